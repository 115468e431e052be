/// Why bytes could not be parsed as JSON.
///
/// The message is a short constant phrase that never quotes the input, so it is safe to log, to count
/// in a metric label and to return to the client that sent the bytes.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    /// The class of failure.
    public enum Code: Sendable {
        /// The bytes break the JSON grammar: structure, strings, literals or numbers.
        case invalidJSON
        /// The bytes are not valid UTF-8.
        case invalidUTF8
        /// Arrays and objects nest deeper than the parser's maximum depth.
        case tooDeep
        /// There is no value: no bytes, or only whitespace.
        case empty
        /// The input is beyond what the parser can hold (4 GiB) or memory ran out.
        case tooLarge
    }

    /// The class of failure.
    public let code: Code

    /// A short plain phrase such as "invalid UTF-8" or "unexpected character".
    public let message: String

    /// Creates an error from its code and message.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message with a prefix naming the failure as a JSON parse error.
    public var description: String { "JSON parse error: \(message)" }
}
