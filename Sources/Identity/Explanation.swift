public import TesseraCore

/// Why two identities are, or are not, in one profile.
public struct Explanation: Sendable, Hashable {
    /// One reason two identities are not joined.
    public enum Reason: Sendable, Hashable {
        /// The graph has never seen this identity.
        case unknownIdentity(Identity)
        /// This identity's value is blocked: it never links anything.
        case blockedValue(Identity)
        /// Nothing connects the two, not even refused or removed links.
        case noPath
        /// A link on the nearest chain between them was refused (unique conflict, shared identity, or
        /// an identity removed from a profile).
        case refused(LinkRecord)
        /// This identity is flagged as shared and links nothing more.
        case sharedIdentity(Identity)
        /// This identity was evicted from its profile to respect the size limit.
        case evicted(Identity)
        /// A link on the nearest chain was removed by request.
        case unlinked(LinkRecord)
        /// A link on the nearest chain went inactive when one of its ends was evicted or removed.
        case detached(LinkRecord)
        /// This identity was removed from that profile by request.
        case removed(Identity, from: ProfileID)

        /// The reason as JSON: `{"reason": …, …}`.
        public var json: JSONValue {
            switch self {
            case .unknownIdentity(let identity):
                ["reason": "unknownIdentity", "identity": .string(identity.description)]
            case .blockedValue(let identity): ["reason": "blockedValue", "identity": .string(identity.description)]
            case .noPath: ["reason": "noPath"]
            case .refused(let link): ["reason": "refused", "link": link.json]
            case .sharedIdentity(let identity): ["reason": "sharedIdentity", "identity": .string(identity.description)]
            case .evicted(let identity): ["reason": "evicted", "identity": .string(identity.description)]
            case .unlinked(let link): ["reason": "unlinked", "link": link.json]
            case .detached(let link): ["reason": "detached", "link": link.json]
            case .removed(let identity, let profile):
                ["reason": "removed", "identity": .string(identity.description), "profile": .int(profile.rawValue)]
            }
        }
    }

    /// The identity the question starts from.
    public var from: Identity
    /// The identity it asks about.
    public var to: Identity
    /// The shared profile when they are joined.
    public var profile: ProfileID?
    /// When joined: the shortest chain of active links from `from` to `to`, each with its provenance.
    /// When not: the chain with the fewest inactive links, if any chain exists; its inactive links are
    /// among the `reasons`.
    public var path: [LinkRecord]
    /// Why they are not joined; empty when they are.
    public var reasons: [Reason]

    /// Whether the two identities are in one profile.
    public var joined: Bool { profile != nil }

    /// The explanation as JSON.
    public var json: JSONValue {
        [
            "from": .string(from.description), "to": .string(to.description), "joined": .bool(joined),
            "profile": .optional(profile?.rawValue), "path": .array(path.map(\.json)),
            "reasons": .array(reasons.map(\.json)),
        ]
    }
}

/// How profiles would differ if a link log were replayed under other rules.
public struct SimulationReport: Sendable, Hashable {
    /// Counts for one replay of the log.
    public struct Outcome: Sendable, Hashable {
        /// Profiles at the end.
        public var profiles: Int
        /// Links refused (unique conflicts, shared identities, removals).
        public var refusals: Int
        /// Identities flagged as shared.
        public var flagged: Int
        /// Identities evicted.
        public var evictions: Int

        /// The counts as JSON.
        public var json: JSONValue {
            [
                "profiles": .int(Int64(profiles)), "refusals": .int(Int64(refusals)), "flagged": .int(Int64(flagged)),
                "evictions": .int(Int64(evictions)),
            ]
        }
    }

    /// One profile that would differ: its identities grouped by the profiles they are in now (for a
    /// merge) or would be in (for a split).
    public struct Example: Sendable, Hashable {
        /// The groups of identities, each group sorted as found.
        public var groups: [[Identity]]

        /// The groups as a JSON array of arrays of `namespace:value`.
        public var json: JSONValue { .array(groups.map { .array($0.map { .string($0.description) }) }) }
    }

    /// The records replayed.
    public var observations: Int
    /// The replay under the current rules.
    public var current: Outcome
    /// The replay under the proposed rules.
    public var proposed: Outcome
    /// Proposed profiles that would join two or more current profiles.
    public var merges: Int
    /// Current profiles that would fall into two or more proposed profiles.
    public var splits: Int
    /// Up to `exampleLimit` merges, each as the current profiles' identities that would join.
    public var mergeExamples: [Example]
    /// Up to `exampleLimit` splits, each as the proposed profiles' identities a current profile falls into.
    public var splitExamples: [Example]

    /// The report as JSON.
    public var json: JSONValue {
        [
            "observations": .int(Int64(observations)), "current": current.json, "proposed": proposed.json,
            "merges": .int(Int64(merges)), "splits": .int(Int64(splits)),
            "mergeExamples": .array(mergeExamples.map(\.json)), "splitExamples": .array(splitExamples.map(\.json)),
        ]
    }
}
