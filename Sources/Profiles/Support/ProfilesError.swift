/// Why configuration or stored profile state could not be read from JSON.
///
/// The message names the field and what was expected; it never quotes values, so it is safe to log
/// and to return to an administrator.
public struct ProfilesError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field at fault, as a dotted path (`policies[1].sources`), or `(root)`.
    public let field: String

    /// What was wrong, as a short phrase.
    public let message: String

    /// Creates an error about one field.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "profiles: `\(field)` \(message)" }

    /// The dotted name of member `name` of the value at `field`; members of the root stand alone.
    static func member(_ name: String, of field: String) -> String {
        field == "(root)" ? name : "\(field).\(name)"
    }
}
