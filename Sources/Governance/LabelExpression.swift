/// The labels a policy denies its action on: one label, or `and`/`or` combinations of them.
///
/// Written as text: `C2`, `S1 or S2`, `C3 and (I1 or I2)`. `and` binds tighter than `or`, as in
/// most languages, and parentheses group. The expression is tested against every label the data
/// used carries, together: `C3 and I1` holds when one field carries `C3` and another `I1`.
public indirect enum LabelExpression: Sendable, Hashable, CustomStringConvertible {
    /// The data carries this label.
    case label(String)
    /// Every part holds.
    case all([LabelExpression])
    /// At least one part holds.
    case any([LabelExpression])

    /// Parses the written form.
    ///
    /// - Throws: ``GovernanceError`` (field `deny`) for an empty expression, a bad label name, a
    ///   missing parenthesis or a word out of place.
    public init(parsing text: String) throws(GovernanceError) {
        var parser = Parser(tokens: try Parser.tokens(of: text))
        let expression = try parser.disjunction()
        guard parser.position == parser.tokens.count else {
            throw GovernanceError(field: "deny", "unexpected `\(parser.tokens[parser.position])`")
        }
        self = expression
    }

    /// Every label the expression names.
    public var labels: Set<String> {
        switch self {
        case .label(let name): [name]
        case .all(let parts), .any(let parts): parts.reduce(into: []) { $0.formUnion($1.labels) }
        }
    }

    /// The labels of `carried` that make the expression hold, or `nil` when it does not hold.
    ///
    /// For `or`, every part that holds contributes, so a violation names all the labels at fault.
    /// - Complexity: O(size of the expression).
    public func witnesses(in carried: Set<String>) -> Set<String>? {
        switch self {
        case .label(let name):
            return carried.contains(name) ? [name] : nil
        case .all(let parts):
            var found: Set<String> = []
            for part in parts {
                guard let labels = part.witnesses(in: carried) else { return nil }
                found.formUnion(labels)
            }
            return found
        case .any(let parts):
            let found = parts.compactMap { $0.witnesses(in: carried) }
            return found.isEmpty ? nil : found.reduce(into: []) { $0.formUnion($1) }
        }
    }

    /// The written form, as `init(parsing:)` reads it; nested groups are parenthesised.
    public var description: String { text(nested: false) }

    private func text(nested: Bool) -> String {
        switch self {
        case .label(let name): return name
        case .all(let parts):
            let joined = parts.map { $0.text(nested: true) }.joined(separator: " and ")
            return nested ? "(\(joined))" : joined
        case .any(let parts):
            let joined = parts.map { $0.text(nested: true) }.joined(separator: " or ")
            return nested ? "(\(joined))" : joined
        }
    }

    /// A recursive-descent parser over words and parentheses.
    private struct Parser {
        let tokens: [String]
        var position = 0

        static func tokens(of text: String) throws(GovernanceError) -> [String] {
            var tokens: [String] = []
            var word = ""
            for character in text {
                if character == "(" || character == ")" || character == " " || character == "\t" {
                    if !word.isEmpty { tokens.append(word) }
                    word = ""
                    if character != " " && character != "\t" { tokens.append(String(character)) }
                } else {
                    word.append(character)
                }
            }
            if !word.isEmpty { tokens.append(word) }
            guard !tokens.isEmpty else { throw GovernanceError(field: "deny", "must name at least one label") }
            return tokens
        }

        mutating func disjunction() throws(GovernanceError) -> LabelExpression {
            var parts = [try conjunction()]
            while next == "or" {
                position += 1
                parts.append(try conjunction())
            }
            return parts.count == 1 ? parts[0] : .any(parts)
        }

        mutating func conjunction() throws(GovernanceError) -> LabelExpression {
            var parts = [try primary()]
            while next == "and" {
                position += 1
                parts.append(try primary())
            }
            return parts.count == 1 ? parts[0] : .all(parts)
        }

        mutating func primary() throws(GovernanceError) -> LabelExpression {
            guard let token = next else { throw GovernanceError(field: "deny", "ends where a label was expected") }
            position += 1
            if token == "(" {
                let inner = try disjunction()
                guard next == ")" else { throw GovernanceError(field: "deny", "a `(` is never closed") }
                position += 1
                return inner
            }
            guard token != "and", token != "or", DataLabel.isValidName(token) else {
                throw GovernanceError(field: "deny", "`\(token)` is not a label name")
            }
            return .label(token)
        }

        var next: String? { position < tokens.count ? tokens[position] : nil }
    }
}
