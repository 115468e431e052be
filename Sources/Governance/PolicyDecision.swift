public import TesseraCore

/// One reason a use of data is denied: a policy, the action it denies, and the field whose labels
/// set it off.
public struct Violation: Sendable, Hashable {
    /// The policy's name.
    public var policy: String
    /// The marketing action denied.
    public var action: String
    /// The field at fault.
    public var field: String
    /// What reads the field (`rule`, `mapping`, `audience "NAME"`).
    public var via: String
    /// The labels of the field that the policy denies, sorted.
    public var labels: [String]
    /// The sources whose labels are among them, sorted; empty when they all sit on the field itself.
    public var sources: [String]

    /// The violation as the API shows it.
    public var json: JSONValue {
        [
            "policy": .string(policy), "action": .string(action), "field": .string(field), "via": .string(via),
            "labels": .array(labels.map(JSONValue.string)), "sources": .array(sources.map(JSONValue.string)),
        ]
    }
}

/// Whether a use of data is allowed, and if not, every violation; with the labels each field carries.
public struct PolicyDecision: Sendable, Hashable {
    /// Every policy, action and field that denies the use, sorted by policy then field.
    public var violations: [Violation]
    /// The labels each field read carries (fields without labels left out).
    public var labels: [String: [String]]

    /// Whether no policy denies the use.
    public var allowed: Bool { violations.isEmpty }

    /// The decision as the API shows it.
    public var json: JSONValue {
        [
            "allowed": .bool(allowed), "violations": .array(violations.map(\.json)),
            "labels": .object(labels.mapValues { .array($0.map(JSONValue.string)) }),
        ]
    }
}
