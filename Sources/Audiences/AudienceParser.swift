/// Parses the audience text language into an `AudienceRule`.
///
/// A hand-written lexer and recursive-descent parser: no parser generator package can be fetched on
/// this build, and the grammar is small enough (see `docs/audiences.md`) that direct code gives
/// precise messages naming the line, the column and what was expected. Precedence, from tightest:
/// `not`, `and`, `or`; parentheses group. Keywords are matched without regard to case.
public enum AudienceParser {
    /// The longest rule accepted, in UTF-8 bytes.
    public static let maximumLength = 16 * 1024
    /// The deepest nesting of parentheses and `not` accepted.
    public static let maximumDepth = 32
    /// The most literals accepted in one `in [...]` list.
    public static let maximumListLength = 1000
    /// The most steps accepted in one sequence.
    public static let maximumSequenceSteps = 32

    /// Parses rule text.
    ///
    /// - Parameter text: The rule, e.g. `has email and did "Order Completed" within 30 days`.
    /// - Returns: The rule's tree.
    /// - Throws: `AudienceSyntaxError` naming the line, the column and what was expected.
    /// - Complexity: O(n) in the length of the text.
    public static func parse(_ text: String) throws(AudienceSyntaxError) -> AudienceRule {
        let length = text.utf8.count
        guard length <= maximumLength else {
            throw AudienceSyntaxError(
                line: 1, column: 1,
                message: "the rule is \(length) bytes long; the limit is \(maximumLength) bytes")
        }
        var lexer = AudienceLexer(text)
        var parser = RuleParser(tokens: try lexer.tokens())
        return try parser.parseRule()
    }
}

/// The recursive-descent parser over a token list.
struct RuleParser {
    private let tokens: [AudienceToken]
    private var position = 0
    private var depth = 0

    init(tokens: [AudienceToken]) {
        self.tokens = tokens
    }

    private var current: AudienceToken { tokens[position] }

    private mutating func advance() -> AudienceToken {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private mutating func accept(_ keyword: String) -> Bool {
        guard current.isKeyword(keyword) else { return false }
        position += 1
        return true
    }

    private func failure(_ expected: [String], after: String? = nil) -> AudienceSyntaxError {
        let list: String
        if expected.count <= 1 {
            list = expected.first ?? "something else"
        } else {
            list = expected.dropLast().joined(separator: ", ") + " or " + expected[expected.count - 1]
        }
        let context = after.map { " after \($0)" } ?? ""
        return AudienceSyntaxError(
            line: current.line, column: current.column,
            message: "expected \(list)\(context), found \(current.described)", expected: expected)
    }

    private func failure(at token: AudienceToken, _ message: String) -> AudienceSyntaxError {
        AudienceSyntaxError(line: token.line, column: token.column, message: message)
    }

    private mutating func expect(_ keyword: String, after: String? = nil) throws(AudienceSyntaxError) {
        guard accept(keyword) else { throw failure(["\"\(keyword)\""], after: after) }
    }

    private mutating func expectSymbol(_ symbol: String, after: String? = nil) throws(AudienceSyntaxError) {
        guard current.isSymbol(symbol) else { throw failure(["\"\(symbol)\""], after: after) }
        position += 1
    }

    mutating func parseRule() throws(AudienceSyntaxError) -> AudienceRule {
        let rule = try parseOr()
        guard current.kind == .end else {
            throw failure(["\"and\"", "\"or\"", "the end of the rule"])
        }
        return rule
    }

    private mutating func parseOr() throws(AudienceSyntaxError) -> AudienceRule {
        var children = [try parseAnd()]
        while accept("or") { children.append(try parseAnd()) }
        return children.count == 1 ? children[0] : .or(children)
    }

    private mutating func parseAnd() throws(AudienceSyntaxError) -> AudienceRule {
        var children = [try parseUnary()]
        while accept("and") { children.append(try parseUnary()) }
        return children.count == 1 ? children[0] : .and(children)
    }

    private mutating func enter() throws(AudienceSyntaxError) {
        depth += 1
        guard depth <= AudienceParser.maximumDepth else {
            throw failure(
                at: current,
                "the rule nests deeper than \(AudienceParser.maximumDepth) levels of parentheses and \"not\"")
        }
    }

    private mutating func parseUnary() throws(AudienceSyntaxError) -> AudienceRule {
        if current.isKeyword("not") {
            try enter()
            position += 1
            let child = try parseUnary()
            depth -= 1
            return .not(child)
        }
        if current.isSymbol("(") {
            try enter()
            position += 1
            let inner = try parseOr()
            guard current.isSymbol(")") else { throw failure(["\"and\"", "\"or\"", "\")\""]) }
            position += 1
            depth -= 1
            return inner
        }
        return try parseCondition()
    }

    private static let conditionStarts = [
        "\"attribute\"", "\"computed\"", "\"has\"", "\"did\"", "\"count\"", "\"sum\"", "\"min\"", "\"max\"",
        "\"avg\"", "\"in audience\"", "\"consent\"", "\"not\"", "\"(\"",
    ]

    private mutating func parseCondition() throws(AudienceSyntaxError) -> AudienceRule {
        guard case .word(let word) = current.kind else { throw failure(["a condition"] + Self.conditionStarts) }
        switch word.lowercased() {
        case "attribute":
            position += 1
            let path = try parsePath(after: "\"attribute\"")
            return .attribute(AttributeCondition(path: path, test: try parseTest(after: path)))
        case "computed":
            let root = current
            let path = try parsePath(after: nil)
            guard path.contains(".") else {
                throw failure(at: root, "a computed attribute needs a name, such as computed.orderCount")
            }
            return .attribute(AttributeCondition(path: path, test: try parseTest(after: path)))
        case "has":
            position += 1
            return .identity(namespace: try parseIdentifier("an identity namespace such as email", after: "\"has\""))
        case "did":
            position += 1
            return try parseDid()
        case "count", "sum", "min", "max", "avg":
            position += 1
            return .aggregate(try parseAggregate(AggregateFunction(rawValue: word.lowercased())!))
        case "in":
            position += 1
            try expect("audience", after: "\"in\"")
            return .audience(name: try parseName("a quoted audience name", after: "\"audience\""))
        case "consent":
            position += 1
            return .consent(try parseConsent())
        default:
            throw failure(["a condition"] + Self.conditionStarts)
        }
    }

    // MARK: Paths, names and literals

    private mutating func parseIdentifier(_ what: String, after: String?) throws(AudienceSyntaxError) -> String {
        guard case .word(let word) = current.kind else { throw failure([what], after: after) }
        position += 1
        return word
    }

    /// Reads `segment { "." segment }`; the root `computed`, `properties` or `context` is lower-cased.
    private mutating func parsePath(after: String?) throws(AudienceSyntaxError) -> String {
        var segments = [try parseIdentifier("an attribute path such as loyalty.tier", after: after)]
        let root = segments[0].lowercased()
        if ["computed", "properties", "context"].contains(root) { segments[0] = root }
        while current.isSymbol(".") {
            position += 1
            segments.append(try parseIdentifier("a name after \".\"", after: nil))
        }
        return segments.joined(separator: ".")
    }

    private mutating func parseName(_ what: String, after: String) throws(AudienceSyntaxError) -> String {
        guard case .string(let name) = current.kind else { throw failure([what], after: after) }
        guard !name.isEmpty else { throw failure(at: current, "a name cannot be empty") }
        position += 1
        return name
    }

    private static let anyLiteral = ["a quoted string", "a number", "true", "false", "a date"]

    private mutating func parseLiteral(_ expected: [String], after: String) throws(AudienceSyntaxError)
        -> AudienceValue
    {
        let value: AudienceValue
        switch current.kind {
        case .string(let text): value = .string(text)
        case .int(let number): value = .int(number)
        case .double(let number): value = .double(number)
        case .date(let date): value = .date(date)
        case .word(let word) where word.lowercased() == "true": value = .bool(true)
        case .word(let word) where word.lowercased() == "false": value = .bool(false)
        default: throw failure(expected, after: after)
        }
        let allowed: Bool
        switch value {
        case .string: allowed = expected.contains("a quoted string")
        case .int, .double: allowed = expected.contains("a number")
        case .bool: allowed = expected.contains("true")
        case .date: allowed = expected.contains("a date")
        }
        guard allowed else { throw failure(expected, after: after) }
        position += 1
        return value
    }

    // MARK: Value tests

    private static let testStarts = [
        "\"=\"", "\"!=\"", "\"<\"", "\"<=\"", "\">\"", "\">=\"", "\"in\"", "\"exists\"", "\"contains\"",
        "\"starts with\"", "\"before\"", "\"after\"",
    ]

    private mutating func parseTest(after path: String) throws(AudienceSyntaxError) -> ValueTest {
        if case .symbol(let symbol) = current.kind, let comparison = ComparisonOperator(rawValue: symbol) {
            position += 1
            let expected: [String]
            switch comparison {
            case .equal, .notEqual: expected = Self.anyLiteral
            default: expected = ["a number", "a date"]
            }
            return .compare(comparison, try parseLiteral(expected, after: "\"\(symbol)\""))
        }
        if accept("exists") { return .exists }
        if accept("contains") {
            return .compare(.contains, try parseLiteral(["a quoted string"], after: "\"contains\""))
        }
        if accept("starts") {
            try expect("with", after: "\"starts\"")
            return .compare(.startsWith, try parseLiteral(["a quoted string"], after: "\"starts with\""))
        }
        if accept("before") { return .compare(.before, try parseLiteral(["a date"], after: "\"before\"")) }
        if accept("after") { return .compare(.after, try parseLiteral(["a date"], after: "\"after\"")) }
        if accept("in") { return .oneOf(try parseList()) }
        throw failure(Self.testStarts, after: path)
    }

    private mutating func parseList() throws(AudienceSyntaxError) -> [AudienceValue] {
        try expectSymbol("[", after: "\"in\"")
        var values = [try parseLiteral(Self.anyLiteral, after: "\"[\"")]
        while current.isSymbol(",") {
            position += 1
            guard values.count < AudienceParser.maximumListLength else {
                throw failure(at: current, "a list holds at most \(AudienceParser.maximumListLength) values")
            }
            values.append(try parseLiteral(Self.anyLiteral, after: "\",\""))
        }
        guard current.isSymbol("]") else { throw failure(["\",\"", "\"]\""]) }
        position += 1
        return values
    }

    // MARK: Events

    /// Reads `[where filter { and filter }]`, where each filter starts with `properties.` or `context.`.
    private mutating func parseFilters() throws(AudienceSyntaxError) -> [EventFilter] {
        guard accept("where") else { return [] }
        var filters = [try parseFilter(after: "\"where\"")]
        while current.isKeyword("and"), let next = tokens.dropFirst(position + 1).first,
            next.isKeyword("properties") || next.isKeyword("context")
        {
            position += 1
            filters.append(try parseFilter(after: "\"and\""))
        }
        return filters
    }

    private mutating func parseFilter(after: String) throws(AudienceSyntaxError) -> EventFilter {
        guard current.isKeyword("properties") || current.isKeyword("context") else {
            throw failure(["\"properties.\"", "\"context.\""], after: after)
        }
        let root = current
        let path = try parsePath(after: after)
        guard path.contains(".") else {
            throw failure(at: root, "an event filter needs a field under \(path), such as \(path).total")
        }
        return EventFilter(path: path, test: try parseTest(after: path))
    }

    private mutating func parseCount(after: String) throws(AudienceSyntaxError) -> Int64 {
        guard case .int(let count) = current.kind, count >= 0 else {
            throw failure(["a whole number"], after: after)
        }
        position += 1
        guard accept("times") || accept("time") else { throw failure(["\"times\""]) }
        return count
    }

    private mutating func parseDuration(after: String) throws(AudienceSyntaxError) -> AudienceDuration {
        guard case .int(let amount) = current.kind else {
            throw failure(["a duration such as 7 days"], after: after)
        }
        let amountToken = current
        guard amount >= 1, amount <= AudienceDuration.maximumAmount else {
            throw failure(
                at: amountToken, "a duration must be between 1 and \(AudienceDuration.maximumAmount) units")
        }
        position += 1
        guard case .word(let word) = current.kind else { throw failure(Self.unitNames, after: "\(amount)") }
        var name = word.lowercased()
        if name.hasSuffix("s") { name.removeLast() }
        guard let unit = DurationUnit(rawValue: name) else { throw failure(Self.unitNames, after: "\(amount)") }
        position += 1
        return AudienceDuration(amount, unit)
    }

    private static let unitNames = ["\"minutes\"", "\"hours\"", "\"days\"", "\"weeks\"", "\"months\"", "\"years\""]

    private mutating func parseDate(after: String) throws(AudienceSyntaxError) -> AudienceDate {
        guard case .date(let date) = current.kind else { throw failure(["a date"], after: after) }
        position += 1
        return date
    }

    private mutating func parseWindow() throws(AudienceSyntaxError) -> TimeWindow {
        if accept("within") { return .within(try parseDuration(after: "\"within\"")) }
        if accept("before") { return .before(try parseDate(after: "\"before\"")) }
        if accept("after") { return .after(try parseDate(after: "\"after\"")) }
        guard current.isKeyword("between") else { return .allTime }
        let between = advance()
        let start = try parseDate(after: "\"between\"")
        try expect("and", after: "the first date")
        let end = try parseDate(after: "\"and\"")
        guard start < end else {
            throw failure(at: between, "the first date of \"between\" must come before the second")
        }
        return .between(start, end)
    }

    private mutating func parseDid() throws(AudienceSyntaxError) -> AudienceRule {
        let negated = accept("not")
        let event = try parseName("a quoted event name", after: negated ? "\"did not\"" : "\"did\"")
        let filters = try parseFilters()
        if current.isKeyword("then") {
            guard !negated else { throw failure(at: current, "a sequence cannot start with \"did not\"") }
            return .sequence(try parseSequence(first: SequenceStep(event: event, filters: filters)))
        }

        var quantifier = EventQuantifier.atLeast(1)
        if negated {
            quantifier = .exactly(0)
        } else if accept("at") {
            if accept("least") {
                let countToken = current
                let count = try parseCount(after: "\"at least\"")
                guard count >= 1 else { throw failure(at: countToken, "\"at least\" needs a count of 1 or more") }
                quantifier = .atLeast(count)
            } else if accept("most") {
                quantifier = .atMost(try parseCount(after: "\"at most\""))
            } else {
                throw failure(["\"least\"", "\"most\""], after: "\"at\"")
            }
        } else if accept("exactly") {
            quantifier = .exactly(try parseCount(after: "\"exactly\""))
        }
        let window = try parseWindow()
        return .event(EventCondition(event: event, filters: filters, quantifier: quantifier, window: window))
    }

    private mutating func parseSequence(first: SequenceStep) throws(AudienceSyntaxError) -> SequenceCondition {
        var steps = [first]
        while current.isKeyword("then") {
            guard steps.count < AudienceParser.maximumSequenceSteps else {
                throw failure(at: current, "a sequence has at most \(AudienceParser.maximumSequenceSteps) steps")
            }
            position += 1
            let event = try parseName("a quoted event name", after: "\"then\"")
            steps.append(SequenceStep(event: event, filters: try parseFilters()))
        }
        let within = accept("within") ? try parseDuration(after: "\"within\"") : nil
        return SequenceCondition(steps: steps, within: within)
    }

    private mutating func parseAggregate(_ function: AggregateFunction) throws(AudienceSyntaxError)
        -> AggregateCondition
    {
        try expect("of", after: "\"\(function.rawValue)\"")
        var field: String?
        if function != .count {
            guard current.isKeyword("properties") || current.isKeyword("context") else {
                throw failure(["a field such as properties.revenue"], after: "\"of\"")
            }
            let root = current
            let path = try parsePath(after: "\"of\"")
            guard path.contains(".") else {
                throw failure(at: root, "\(function.rawValue) needs a field under \(path), such as \(path).revenue")
            }
            field = path
            try expect("for", after: path)
        }
        let event = try parseName("a quoted event name", after: function == .count ? "\"of\"" : "\"for\"")
        let filters = try parseFilters()
        let window = try parseWindow()

        guard case .symbol(let symbol) = current.kind, let comparison = ComparisonOperator(rawValue: symbol) else {
            throw failure(["\"=\"", "\"!=\"", "\"<\"", "\"<=\"", "\">\"", "\">=\""])
        }
        position += 1
        let thresholdToken = current
        guard let threshold = try parseLiteral(["a number"], after: "\"\(symbol)\"").number else {
            throw failure(at: thresholdToken, "expected a number")
        }
        if function == .count {
            guard case .int(let count) = threshold, count >= 0 else {
                throw failure(at: thresholdToken, "a count is compared with a whole number of 0 or more")
            }
        }
        return AggregateCondition(
            function: function, field: field, event: event, filters: filters, window: window,
            comparison: comparison, threshold: threshold)
    }

    private mutating func parseConsent() throws(AudienceSyntaxError) -> ConsentCondition {
        let purpose = try parseIdentifier("a consent purpose such as marketing", after: "\"consent\"")
        var channel: String?
        if current.isSymbol(".") {
            position += 1
            channel = try parseIdentifier("a channel such as email", after: "\".\"")
        }
        try expectSymbol("=", after: channel.map { "\(purpose).\($0)" } ?? purpose)
        let answers = ["\"y\"", "\"n\"", "\"u\""]
        guard case .string(let text) = current.kind, let answer = ConsentAnswer(rawValue: text.lowercased()) else {
            throw failure(answers, after: "\"=\"")
        }
        position += 1
        return ConsentCondition(purpose: purpose, channel: channel, answer: answer)
    }
}
