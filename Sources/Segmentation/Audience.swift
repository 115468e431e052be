public import Audiences
public import Storage
public import TesseraCore

/// A saved audience with its bookkeeping.
public struct Audience: Sendable, Equatable {
    /// The audience's id.
    public var id: Int64
    /// Its unique name.
    public var name: String
    /// What it is for, in the words of whoever made it.
    public var description: String
    /// Its rule.
    public var rule: AudienceRule
    /// When it was created and last changed.
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// When its membership was last computed over all profiles.
    public var evaluatedAt: Timestamp?

    /// The definition evaluators use.
    public var definition: AudienceDefinition { AudienceDefinition(id: id, name: name, rule: rule) }

    /// The audience as the API shows it, with its rule as text and as JSON.
    public func json(size: Int? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(id), "name": .string(name), "description": .string(description),
            "rule": .string(rule.text), "ruleJSON": rule.json,
            "createdAt": .string(createdAt.iso8601), "updatedAt": .string(updatedAt.iso8601),
            "evaluatedAt": evaluatedAt.map { .string($0.iso8601) } ?? .null,
        ]
        if let size { object["size"] = .int(Int64(size)) }
        return .object(object)
    }
}

/// Where a profile stands in an audience.
public enum MembershipStatus: String, Sendable, CaseIterable {
    /// It has just entered: the evaluation that found the rule holding was the first since it did not.
    case realized
    /// It entered earlier and the rule still holds.
    case existing
    /// It was a member and the rule no longer holds.
    case exited
}

/// One profile's membership in one audience.
public struct Membership: Sendable, Equatable {
    public var audienceID: Int64
    public var profileID: Int64
    public var status: MembershipStatus
    /// When the profile last entered the audience.
    public var enteredAt: Timestamp
    /// When the status last changed.
    public var updatedAt: Timestamp

    public var json: JSONValue {
        [
            "audienceId": .int(audienceID), "profileId": .int(profileID), "status": .string(status.rawValue),
            "enteredAt": .string(enteredAt.iso8601), "updatedAt": .string(updatedAt.iso8601),
        ]
    }
}

/// One entry of an audience's history: a profile entered or left, when, and why.
public struct MembershipChange: Sendable, Equatable {
    public var id: Int64
    public var audienceID: Int64
    public var profileID: Int64
    /// `realized` or `exited`.
    public var change: MembershipStatus
    /// When it happened: the commit, or the moment a window expired.
    public var time: Timestamp
    /// What caused it: `record 42`, `time`, `backfill`, `merge into 7`, `split`.
    public var cause: String

    public var json: JSONValue {
        [
            "id": .int(id), "audienceId": .int(audienceID), "profileId": .int(profileID),
            "change": .string(change.rawValue), "time": .string(time.iso8601), "cause": .string(cause),
        ]
    }
}

/// Why an audience operation was refused.
public enum AudienceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name is empty, too long, or taken.
    case invalidName(String)
    /// No audience has that id.
    case notFound(Int64)
    /// The rule refers to audiences that do not exist, or in a circle.
    case dependency(AudienceDependencyError)
    /// Other audiences refer to this one, so it cannot be deleted or renamed.
    case inUse(by: [String])

    public var description: String {
        switch self {
        case .invalidName(let reason): return reason
        case .notFound(let id): return "no audience has id \(id)"
        case .dependency(let error): return error.description
        case .inUse(let names):
            return "audiences " + names.map { "\"\($0)\"" }.joined(separator: ", ") + " refer to this audience"
        }
    }
}

/// Hears audience entries and exits inside the transaction that records them, to act on them
/// atomically (an outbox row for a destination, say). A throw rolls the transaction back.
public protocol MembershipListener: AnyObject {
    /// A profile entered (`realized`) or left (`exited`) the audience named `audience`.
    func membershipChanged(_ change: MembershipChange, audience: String, in connection: SQLiteConnection) throws
}
