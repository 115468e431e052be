/// Why a batch evaluation could not run.
public struct BatchEvaluationError: Error, Hashable, CustomStringConvertible {
    enum Code: Hashable {
        case unknownAudience
        case notInSnapshot
    }

    let code: Code

    init(_ code: Code) {
        self.code = code
    }

    /// A rule names an audience that is neither earlier in the list nor among the known memberships.
    public static let unknownAudience = BatchEvaluationError(.unknownAudience)
    /// A rule reads an attribute, namespace, consent path, event or event field the snapshot was not
    /// built to keep; build the snapshot with that rule among its rules.
    public static let notInSnapshot = BatchEvaluationError(.notInSnapshot)

    /// A short description without values, fit for a metric label.
    public var description: String {
        switch code {
        case .unknownAudience: return "rule names an audience not evaluated before it"
        case .notInSnapshot: return "rule reads data the snapshot does not keep"
        }
    }
}
