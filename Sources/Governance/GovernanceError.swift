/// Why a label assignment, policy or governance setting was refused: the field at fault and the rule
/// it breaks, fit to show to whoever sent it.
public struct GovernanceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The member at fault, as a dotted path (`policies[2].action`, `fields.attributes.email`).
    public var field: String
    /// What is wrong with it.
    public var message: String

    /// Creates an error.
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    /// The same error with `prefix` in front of its field (`policies[2]` + `action`).
    func within(_ prefix: String) -> GovernanceError {
        if prefix.isEmpty { return self }
        return GovernanceError(field: field.isEmpty ? prefix : "\(prefix).\(field)", message)
    }

    public var description: String { "\(field): \(message)" }
}
