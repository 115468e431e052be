/// What erasure (a privacy delete) needs from the graph: the counters a rebuilt graph must not reuse.
///
/// Erasure deletes every log entry naming an erased identity and rebuilds the graph from the rest.
/// The rebuilt graph would otherwise hand out the erased profiles' ids and entry numbers again,
/// and a destination that once received an erased profile's id would take a newcomer for them.
extension IdentityGraph {
    /// The counters a graph has handed out so far.
    public struct Counters: Sendable, Equatable {
        /// The id the next new profile gets.
        public var nextProfile: Int64
        /// The number of the last log entry written.
        public var lastEntry: Int64
        /// The number of the last graph operation.
        public var lastObservation: Int64

        /// Creates counters.
        public init(nextProfile: Int64, lastEntry: Int64, lastObservation: Int64) {
            self.nextProfile = nextProfile
            self.lastEntry = lastEntry
            self.lastObservation = lastObservation
        }
    }

    /// The counters handed out so far.
    public var counters: Counters {
        Counters(
            nextProfile: core.nextProfile, lastEntry: core.entrySequence, lastObservation: core.observationCount)
    }

    /// Whether the graph has ever seen `identity` (and still holds it: erasure takes identities out).
    ///
    /// - Complexity: one hash probe.
    public func contains(_ identity: Identity) -> Bool {
        core.index.node(of: identity) != nil
    }

    /// Makes sure no profile id, entry number or operation number up to `counters` is handed out again.
    public func reserve(_ counters: Counters) {
        core.nextProfile = max(core.nextProfile, counters.nextProfile)
        core.entrySequence = max(core.entrySequence, counters.lastEntry)
        core.observationCount = max(core.observationCount, counters.lastObservation)
    }
}

extension LogEntry {
    /// The identities the entry names, in any role.
    public var identities: [Identity] {
        switch change {
        case .touched(let a), .created(_, let a), .flagged(let a, _, _), .evicted(let a, _),
            .removed(let a, _, _):
            [a]
        case .linked(let a, let b), .unlinked(let a, let b), .cooccurred(let a, let b): [a, b]
        case .refused(let a, let b, let refusal):
            if case .sharedIdentity(let shared) = refusal { [a, b, shared] } else { [a, b] }
        case .split(_, _, let identities): identities
        case .merged: []
        }
    }
}
