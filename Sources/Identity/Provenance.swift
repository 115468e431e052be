public import TesseraCore

/// Where a piece of identity evidence came from.
public struct Provenance: Sendable, Hashable {
    /// The sequence number of the stored record that carried the evidence, when there is one.
    public var record: Int64?
    /// The id of the source that sent it, when known.
    public var source: Int64?
    /// What produced it: an extraction rule (`segment.identify`), an import, or an operator's request
    /// (`request.unlink`).
    public var rule: String
    /// When the evidence was seen: the record's event time, or the time of the request.
    public var time: Timestamp

    /// Creates a provenance.
    public init(record: Int64? = nil, source: Int64? = nil, rule: String, time: Timestamp) {
        self.record = record
        self.source = source
        self.rule = rule
        self.time = time
    }

    /// The provenance as JSON: `record` and `source` (or null), `rule`, `time` (ISO 8601) and
    /// `timeMs` (milliseconds since the epoch).
    public var json: JSONValue {
        [
            "record": .optional(record), "source": .optional(source), "rule": .string(rule),
            "time": .string(time.iso8601), "timeMs": .int(time.milliseconds),
        ]
    }

    /// Reads the JSON form; `timeMs` is authoritative.
    public init(json: JSONValue) throws(IdentityDecodingError) {
        guard case .string(let rule) = json["rule"] else { throw IdentityDecodingError("provenance needs a rule") }
        guard let milliseconds = json["timeMs"]?.intValue else {
            throw IdentityDecodingError("provenance needs timeMs")
        }
        self.init(
            record: json["record"]?.intValue, source: json["source"]?.intValue, rule: rule,
            time: Timestamp(milliseconds: milliseconds))
    }
}

/// Why the graph did not make a link that a record's evidence asked for.
public enum Refusal: Sendable, Hashable {
    /// The link would have joined two profiles holding different values of this unique namespace.
    case uniqueConflict(namespace: String)
    /// This identity is flagged as shared (seen with too many people) and links nothing more.
    case sharedIdentity(Identity)
    /// One of the identities was removed from this profile by request and may not rejoin it.
    case removedFromProfile(ProfileID)

    /// The refusal as JSON: `{"reason": "uniqueConflict", "namespace": …}` and so on.
    public var json: JSONValue {
        switch self {
        case .uniqueConflict(let namespace): ["reason": "uniqueConflict", "namespace": .string(namespace)]
        case .sharedIdentity(let identity): ["reason": "sharedIdentity", "identity": .string(identity.description)]
        case .removedFromProfile(let profile): ["reason": "removedFromProfile", "profile": .int(profile.rawValue)]
        }
    }

    /// Reads the JSON form.
    public init(json: JSONValue) throws(IdentityDecodingError) {
        switch json["reason"]?.stringValue {
        case "uniqueConflict":
            guard let namespace = json["namespace"]?.stringValue else { throw IdentityDecodingError("refusal") }
            self = .uniqueConflict(namespace: namespace)
        case "sharedIdentity":
            self = .sharedIdentity(try IdentityDecodingError.identity(json["identity"]))
        case "removedFromProfile":
            self = .removedFromProfile(try IdentityDecodingError.profile(json["profile"]))
        default:
            throw IdentityDecodingError("unknown refusal reason")
        }
    }
}

/// A link as the graph holds it: two identities, its state and the evidence behind it.
public struct LinkRecord: Sendable, Hashable {
    /// The state of a link.
    public enum State: Sendable, Hashable {
        /// The link joins the two identities' profiles.
        case active
        /// The evidence was not accepted.
        case refused(Refusal)
        /// An operator removed the link; new evidence does not make it again.
        case unlinked
        /// One end was evicted or removed from its profile; new evidence can make it again.
        case detached
    }

    /// One end (on a path, the end nearer the start).
    public var from: Identity
    /// The other end.
    public var to: Identity
    /// Whether and why the link holds.
    public var state: State
    /// The evidence that last changed the link's state.
    public var provenance: Provenance

    /// Creates a link record.
    public init(from: Identity, to: Identity, state: State, provenance: Provenance) {
        self.from = from
        self.to = to
        self.state = state
        self.provenance = provenance
    }

    /// Whether the link joins its ends.
    public var isActive: Bool { state == .active }

    /// The link as JSON.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "from": .string(from.description), "to": .string(to.description), "provenance": provenance.json,
        ]
        switch state {
        case .active: object["state"] = "active"
        case .refused(let refusal):
            object["state"] = "refused"
            object["refusal"] = refusal.json
        case .unlinked: object["state"] = "unlinked"
        case .detached: object["state"] = "detached"
        }
        return .object(object)
    }
}

/// What the graph knows about one identity.
public struct IdentityState: Sendable, Hashable {
    /// The identity.
    public var identity: Identity
    /// Its profile; nil when it was evicted and not seen since.
    public var profile: ProfileID?
    /// The earliest evidence of it.
    public var firstSeen: Timestamp
    /// The latest evidence of it.
    public var lastSeen: Timestamp
    /// Seen with too many values of a unique namespace: it links nothing more.
    public var isShared: Bool
    /// Evicted from its profile to keep the profile within its size limit.
    public var isEvicted: Bool
    /// Removed from a profile by request at least once.
    public var wasRemoved: Bool

    /// The state as JSON.
    public var json: JSONValue {
        [
            "identity": .string(identity.description), "namespace": .string(identity.namespace),
            "profile": .optional(profile?.rawValue), "firstSeen": .string(firstSeen.iso8601),
            "lastSeen": .string(lastSeen.iso8601), "shared": .bool(isShared), "evicted": .bool(isEvicted),
            "removed": .bool(wasRemoved),
        ]
    }
}

/// Why a JSON document could not be read as an identity-graph value (a log entry, a provenance).
///
/// The message never quotes identity values.
public struct IdentityDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was missing or malformed.
    public let message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    /// The message, for logs.
    public var description: String { "identity log: \(message)" }

    /// An identity in its `namespace:value` form.
    static func identity(_ value: JSONValue?) throws(IdentityDecodingError) -> Identity {
        guard let text = value?.stringValue, let identity = Identity(parsing: text) else {
            throw IdentityDecodingError("expected an identity as namespace:value")
        }
        return identity
    }

    /// A profile id as a positive integer.
    static func profile(_ value: JSONValue?) throws(IdentityDecodingError) -> ProfileID {
        guard let number = value?.intValue, number > 0 else { throw IdentityDecodingError("expected a profile id") }
        return ProfileID(rawValue: number)
    }
}
