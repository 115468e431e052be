/// Why a rule, in text or JSON form, was rejected, and where.
///
/// Text errors carry a 1-based line and column (columns count Unicode scalars); JSON errors carry a
/// JSON-pointer-like `pointer` such as `/and/1/operator`, with `line` and `column` set to 0.
public struct AudienceSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line of the problem in text form; 0 for JSON errors.
    public var line: Int
    /// The 1-based column of the problem in text form; 0 for JSON errors.
    public var column: Int
    /// Where in a JSON rule the problem is; `nil` for text errors.
    public var pointer: String?
    /// What went wrong, without the location, e.g. `expected a number after ">=", found "gold"`.
    public var message: String
    /// The things that would have been accepted at that place, e.g. `["a number", "a quoted string"]`.
    public var expected: [String]

    /// Creates an error for the text form.
    public init(line: Int, column: Int, message: String, expected: [String] = []) {
        self.line = line
        self.column = column
        self.pointer = nil
        self.message = message
        self.expected = expected
    }

    /// Creates an error for the JSON form.
    public init(pointer: String, message: String, expected: [String] = []) {
        self.line = 0
        self.column = 0
        self.pointer = pointer
        self.message = message
        self.expected = expected
    }

    /// The message a user sees: `line 2, column 14: expected …` or `at /and/0: expected …`.
    public var description: String {
        if let pointer { return "at \(pointer.isEmpty ? "/" : pointer): \(message)" }
        return "line \(line), column \(column): \(message)"
    }
}
