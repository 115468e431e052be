public import TesseraCore

/// Two profiles that became one: `from`'s id now redirects to `into`.
public struct ProfileMerge: Sendable, Hashable {
    /// The younger profile, merged away.
    public var from: ProfileID
    /// The older profile, which survives.
    public var into: ProfileID

    /// Creates a merge.
    public init(from: ProfileID, into: ProfileID) {
        self.from = from
        self.into = into
    }
}

/// What observing one record decided and changed, for the lead to persist in the same transaction
/// as the record.
public struct Resolution: Sendable {
    /// The graph operation number shared by `entries`.
    public var observation: Int64
    /// The profile the record belongs to: that of its highest-priority identity that is not shared
    /// (or of a shared one when it has nothing else); nil when it carried no usable identity.
    public var profile: ProfileID?
    /// The record's identities that took part, highest priority first.
    public var identities: [Identity]
    /// Identities left out because their values are blocked.
    public var ignored: [Identity]
    /// The log entries written, in order; empty when the record only repeated known evidence.
    public var entries: [LogEntry]
    /// Profiles that fell apart when identities were evicted to keep a profile within its limit.
    public var splits: [Split]

    /// The merges the record caused, in the order they happened.
    public var merges: [ProfileMerge] {
        entries.compactMap {
            if case .merged(let from, let into) = $0.change { return ProfileMerge(from: from, into: into) }
            return nil
        }
    }

    /// The refused links the record asked for.
    public var refusals: [LogEntry] {
        entries.filter {
            if case .refused = $0.change { return true }
            return false
        }
    }

    /// The resolution as JSON.
    public var json: JSONValue {
        [
            "observation": .int(observation), "profile": .optional(profile?.rawValue),
            "identities": .array(identities.map { .string($0.description) }),
            "ignored": .array(ignored.map { .string($0.description) }),
            "merges": .array(merges.map { ["from": .int($0.from.rawValue), "into": .int($0.into.rawValue)] }),
            "entries": .array(entries.map(\.json)), "splits": .array(splits.map(\.json)),
        ]
    }
}

/// What became of a profile after a link or an identity went away.
public struct Split: Sendable, Hashable {
    /// One resulting profile and its identities.
    public struct Part: Sendable, Hashable {
        /// The profile's id.
        public var profile: ProfileID
        /// Its identities, highest priority first.
        public var identities: [Identity]

        /// Creates a part.
        public init(profile: ProfileID, identities: [Identity]) {
            self.profile = profile
            self.identities = identities
        }
    }

    /// The profile that was cut.
    public var profile: ProfileID?
    /// The resulting profiles: the first keeps `profile`'s id (it holds its oldest identity); any
    /// others are new. Empty when nothing changed.
    public var parts: [Part]
    /// Identities that left every profile (evicted).
    public var detached: [Identity]
    /// The log entries written, in order.
    public var entries: [LogEntry]

    /// Creates a split; with only a profile, the result of a request that changed nothing.
    public init(profile: ProfileID?, parts: [Part] = [], detached: [Identity] = [], entries: [LogEntry] = []) {
        self.profile = profile
        self.parts = parts
        self.detached = detached
        self.entries = entries
    }

    /// Whether the graph changed.
    public var changed: Bool { !entries.isEmpty }

    /// Whether the profile became more than one.
    public var didSplit: Bool { parts.count > 1 }

    /// The split as JSON.
    public var json: JSONValue {
        [
            "profile": .optional(profile?.rawValue), "changed": .bool(changed), "split": .bool(didSplit),
            "parts": .array(
                parts.map {
                    [
                        "profile": .int($0.profile.rawValue),
                        "identities": .array($0.identities.map { .string($0.description) }),
                    ]
                }),
            "detached": .array(detached.map { .string($0.description) }), "entries": .array(entries.map(\.json)),
        ]
    }
}
