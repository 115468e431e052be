/// Why an activation operation was refused or failed.
///
/// A struct with an open set of kinds, so that cases can be added without breaking callers. The
/// description names the field and the rule, never a value the user sent: it is safe to log and to
/// show in an API error body. The server maps kinds to HTTP statuses at its edge.
public struct ActivationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A coarse class of failure.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// A destination's settings break a rule; `field` names the setting.
        public static let invalidDestination = Kind("invalid_destination")
        /// A mapping names a profile path Tessera does not know.
        public static let invalidMapping = Kind("invalid_mapping")
        /// No destination or delivery has the given id.
        public static let notFound = Kind("not_found")
        /// The change conflicts with stored data: a taken name, a delivery that is not dead.
        public static let conflict = Kind("conflict")
        /// An outbox entry cannot be stored as given.
        public static let invalidEntry = Kind("invalid_entry")
        /// Stored settings could not be read back; the table was edited by hand or is damaged.
        public static let corruptSettings = Kind("corrupt_settings")

        public var description: String { name }
    }

    /// What went wrong, coarsely.
    public let kind: Kind

    /// The setting or argument at fault, such as `batchSize`, when there is one.
    public let field: String?

    /// A sentence explaining the rule that was broken, free of user values.
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, field: String? = nil, _ message: String) {
        self.kind = kind
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "\(kind) (\(field)): \(message)" }
        return "\(kind): \(message)"
    }
}
