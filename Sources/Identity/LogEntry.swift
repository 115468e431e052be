public import TesseraCore

/// One append-only entry of the identity graph's link log.
///
/// Entries record decisions, not inputs: replaying them (`IdentityGraph(rules:replaying:)`) rebuilds
/// the same profiles with the same ids whatever the rules are now. Each entry carries everything it
/// needs (identities in full, profile ids, the provenance), so the lead can store them as they come
/// and rebuild the graph from storage at start-up.
///
/// An identity's first entry (a `created` or `linked` entry, as every new identity ends up in a
/// profile) marks when it was first seen; there is no separate entry for that, which keeps a
/// record that links two new identities to two entries.
public struct LogEntry: Sendable, Hashable {
    /// What changed.
    public enum Change: Sendable, Hashable {
        /// A known identity was seen again; written at most once per `IdentityRules.touchInterval`.
        case touched(Identity)
        /// A new profile was started around an identity that had none.
        case created(ProfileID, Identity)
        /// Two identities were linked; if they were in different profiles, a `merged` entry follows.
        case linked(Identity, Identity)
        /// A profile merged into an older one; its id now redirects there.
        case merged(ProfileID, into: ProfileID)
        /// A link asked for by evidence was refused.
        case refused(Identity, Identity, Refusal)
        /// An identity was seen in one record with a value of a unique namespace (counted for shared-
        /// identity detection; written when new, or when the last entry is older than half the window).
        case cooccurred(Identity, with: Identity)
        /// An identity was flagged as shared: seen with `distinctValues` values of `namespace` inside
        /// the window. It links nothing more.
        case flagged(Identity, namespace: String, distinctValues: Int)
        /// An identity was evicted from a profile that had grown past its limit; `split` entries follow
        /// if the profile fell apart.
        case evicted(Identity, from: ProfileID)
        /// A link was removed by request; `split` entries follow if the profile fell apart.
        case unlinked(Identity, Identity)
        /// An identity was removed from a profile by request and placed in a new profile of its own;
        /// `split` entries follow if the rest fell apart.
        case removed(Identity, from: ProfileID, into: ProfileID)
        /// Part of a profile became a new profile after a link or identity went away.
        case split(from: ProfileID, into: ProfileID, identities: [Identity])
    }

    /// The entry's position in the log, from 1, without gaps.
    public var sequence: Int64
    /// The graph operation (an observed record, an unlink, a removal) that wrote the entry; entries of
    /// one operation share it.
    public var observation: Int64
    /// What changed.
    public var change: Change
    /// The evidence or request behind the change.
    public var provenance: Provenance

    /// Creates an entry.
    public init(sequence: Int64, observation: Int64, change: Change, provenance: Provenance) {
        self.sequence = sequence
        self.observation = observation
        self.change = change
        self.provenance = provenance
    }

    /// The profiles whose membership the entry changes, for the lead to move events and fragments.
    public var profilesChanged: [ProfileID] {
        switch change {
        case .created(let profile, _): [profile]
        case .merged(let from, let into): [from, into]
        case .evicted(_, let from): [from]
        case .removed(_, let from, let into): [from, into]
        case .split(let from, let into, _): [from, into]
        case .touched, .linked, .refused, .cooccurred, .flagged, .unlinked: []
        }
    }
}

extension LogEntry {
    /// The entry as JSON: `sequence`, `observation`, `kind`, the change's members and `provenance`.
    ///
    /// Identities are written as `namespace:value`; `LogEntry(json:)` reads this form back.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "sequence": .int(sequence), "observation": .int(observation), "provenance": provenance.json,
        ]
        func identity(_ key: String, _ value: Identity) { object[key] = .string(value.description) }
        func profile(_ key: String, _ value: ProfileID) { object[key] = .int(value.rawValue) }
        switch change {
        case .touched(let a):
            object["kind"] = "touched"
            identity("identity", a)
        case .created(let p, let a):
            object["kind"] = "created"
            profile("profile", p)
            identity("identity", a)
        case .linked(let a, let b):
            object["kind"] = "linked"
            identity("from", a)
            identity("to", b)
        case .merged(let from, let into):
            object["kind"] = "merged"
            profile("profile", from)
            profile("into", into)
        case .refused(let a, let b, let refusal):
            object["kind"] = "refused"
            identity("from", a)
            identity("to", b)
            object["refusal"] = refusal.json
        case .cooccurred(let a, let b):
            object["kind"] = "cooccurred"
            identity("identity", a)
            identity("with", b)
        case .flagged(let a, let namespace, let count):
            object["kind"] = "flagged"
            identity("identity", a)
            object["namespace"] = .string(namespace)
            object["distinctValues"] = .int(Int64(count))
        case .evicted(let a, let from):
            object["kind"] = "evicted"
            identity("identity", a)
            profile("profile", from)
        case .unlinked(let a, let b):
            object["kind"] = "unlinked"
            identity("from", a)
            identity("to", b)
        case .removed(let a, let from, let into):
            object["kind"] = "removed"
            identity("identity", a)
            profile("profile", from)
            profile("into", into)
        case .split(let from, let into, let identities):
            object["kind"] = "split"
            profile("profile", from)
            profile("into", into)
            object["identities"] = .array(identities.map { .string($0.description) })
        }
        return .object(object)
    }

    /// Reads the JSON form written by `json`.
    ///
    /// - Throws: `IdentityDecodingError` when a member is missing or malformed.
    public init(json: JSONValue) throws(IdentityDecodingError) {
        guard let sequence = json["sequence"]?.intValue, let observation = json["observation"]?.intValue,
            let kind = json["kind"]?.stringValue, let provenanceJSON = json["provenance"]
        else { throw IdentityDecodingError("an entry needs sequence, observation, kind and provenance") }
        let provenance = try Provenance(json: provenanceJSON)
        self.init(
            sequence: sequence, observation: observation, change: try Self.change(kind: kind, json: json),
            provenance: provenance)
    }

    private static func change(kind: String, json: JSONValue) throws(IdentityDecodingError) -> Change {
        typealias Error = IdentityDecodingError
        switch kind {
        // Logs written before first sightings were folded into `created` and `linked` entries have
        // `seen` entries; they carry the same information as `touched`.
        case "touched", "seen": return .touched(try Error.identity(json["identity"]))
        case "created": return .created(try Error.profile(json["profile"]), try Error.identity(json["identity"]))
        case "linked": return .linked(try Error.identity(json["from"]), try Error.identity(json["to"]))
        case "merged": return .merged(try Error.profile(json["profile"]), into: try Error.profile(json["into"]))
        case "refused":
            guard let refusal = json["refusal"] else { throw Error("a refused entry needs its refusal") }
            return .refused(
                try Error.identity(json["from"]), try Error.identity(json["to"]), try Refusal(json: refusal))
        case "cooccurred":
            return .cooccurred(try Error.identity(json["identity"]), with: try Error.identity(json["with"]))
        case "flagged":
            guard let namespace = json["namespace"]?.stringValue, let count = json["distinctValues"]?.intValue else {
                throw Error("a flagged entry needs namespace and distinctValues")
            }
            return .flagged(try Error.identity(json["identity"]), namespace: namespace, distinctValues: Int(count))
        case "evicted":
            return .evicted(try Error.identity(json["identity"]), from: try Error.profile(json["profile"]))
        case "unlinked": return .unlinked(try Error.identity(json["from"]), try Error.identity(json["to"]))
        case "removed":
            return .removed(
                try Error.identity(json["identity"]), from: try Error.profile(json["profile"]),
                into: try Error.profile(json["into"]))
        case "split":
            guard let list = json["identities"]?.arrayValue else { throw Error("a split entry needs identities") }
            var identities: [Identity] = []
            for item in list { identities.append(try Error.identity(item)) }
            return .split(
                from: try Error.profile(json["profile"]), into: try Error.profile(json["into"]), identities: identities)
        default:
            throw Error("unknown entry kind")
        }
    }
}
