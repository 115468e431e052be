import TesseraCore

/// Reads the JSON form of a rule, applying the same checks and limits as the text parser.
///
/// Every error names the place with a JSON-pointer-like path, so a console can highlight the field.
struct AudienceJSONReader {
    private static let kinds = [
        "and", "or", "not", "attribute", "has", "aggregate", "event", "sequence", "inAudience", "consent",
    ]
    /// The text nesting depth of the node being read: each `not` and each parenthesised group counts one.
    private var depth = 0

    private func error(_ pointer: String, _ message: String, expected: [String] = []) -> AudienceSyntaxError {
        AudienceSyntaxError(pointer: pointer, message: message, expected: expected)
    }

    mutating func rule(_ json: JSONValue, at pointer: String) throws(AudienceSyntaxError) -> AudienceRule {
        guard let members = json.objectValue else { throw error(pointer, "expected an object describing a condition") }
        guard let kind = Self.kinds.first(where: { members[$0] != nil }) else {
            let names = Self.kinds.map { "\"\($0)\"" }
            throw error(
                pointer, "expected an object with one of the keys " + names.joined(separator: ", "), expected: names)
        }
        switch kind {
        case "and", "or":
            try allow(members, ["and", "or"].filter { $0 == kind }, at: pointer)
            return try chain(members[kind]!, kind: kind, at: pointer + "/" + kind)
        case "not":
            try allow(members, ["not"], at: pointer)
            let child = members["not"]!
            let grouped = Self.isChain(child) ? 2 : 1
            try nest(grouped, at: pointer + "/not")
            defer { depth -= grouped }
            return .not(try rule(child, at: pointer + "/not"))
        case "attribute":
            try allow(members, ["attribute", "operator", "value", "values"], at: pointer)
            let path = try self.path(members["attribute"]!, at: pointer + "/attribute")
            return .attribute(AttributeCondition(path: path, test: try test(members, at: pointer)))
        case "has":
            try allow(members, ["has"], at: pointer)
            return .identity(namespace: try identifier(members["has"]!, at: pointer + "/has"))
        case "aggregate": return .aggregate(try aggregate(members, at: pointer))
        case "event": return .event(try event(members, at: pointer))
        case "sequence": return .sequence(try sequence(members, at: pointer))
        case "inAudience":
            try allow(members, ["inAudience"], at: pointer)
            return .audience(name: try name(members["inAudience"]!, at: pointer + "/inAudience"))
        default: return .consent(try consent(members, at: pointer))
        }
    }

    private static func isChain(_ json: JSONValue) -> Bool { json["and"] != nil || json["or"] != nil }

    private mutating func nest(_ levels: Int, at pointer: String) throws(AudienceSyntaxError) {
        depth += levels
        guard depth <= AudienceParser.maximumDepth else {
            throw error(pointer, "the rule nests deeper than \(AudienceParser.maximumDepth) levels")
        }
    }

    private mutating func chain(_ json: JSONValue, kind: String, at pointer: String) throws(AudienceSyntaxError)
        -> AudienceRule
    {
        guard let elements = json.arrayValue, elements.count >= 2 else {
            throw error(pointer, "expected an array of two or more conditions")
        }
        var children: [AudienceRule] = []
        for (index, element) in elements.enumerated() {
            let grouped = Self.isChain(element) ? 1 : 0
            try nest(grouped, at: "\(pointer)/\(index)")
            children.append(try rule(element, at: "\(pointer)/\(index)"))
            depth -= grouped
        }
        return kind == "and" ? .and(children) : .or(children)
    }

    private func allow(_ members: [String: JSONValue], _ keys: [String], at pointer: String) throws(AudienceSyntaxError)
    {
        for key in members.keys.sorted() where !keys.contains(key) {
            throw error("\(pointer)/\(key)", "unexpected key \"\(key)\"", expected: keys.map { "\"\($0)\"" })
        }
    }

    private func required(_ members: [String: JSONValue], _ key: String, at pointer: String) throws(AudienceSyntaxError)
        -> JSONValue
    {
        guard let value = members[key] else { throw error("\(pointer)/\(key)", "the key \"\(key)\" is missing") }
        return value
    }

    // MARK: Names and paths

    private func string(_ json: JSONValue, at pointer: String) throws(AudienceSyntaxError) -> String {
        guard let text = json.stringValue else { throw error(pointer, "expected a string") }
        return text
    }

    private func name(_ json: JSONValue, at pointer: String) throws(AudienceSyntaxError) -> String {
        let text = try string(json, at: pointer)
        guard !text.isEmpty else { throw error(pointer, "a name cannot be empty") }
        return text
    }

    private func identifier(_ json: JSONValue, at pointer: String) throws(AudienceSyntaxError) -> String {
        let text = try string(json, at: pointer)
        guard AudienceLexer.isIdentifier(text) else {
            throw error(pointer, "expected a name of letters, digits and \"_\" that does not start with a digit")
        }
        return text
    }

    /// A dotted path whose segments are identifiers; the roots `computed`, `properties`, `context` in lower case.
    private func path(_ json: JSONValue, at pointer: String) throws(AudienceSyntaxError) -> String {
        let text = try string(json, at: pointer)
        let segments = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard segments.allSatisfy(AudienceLexer.isIdentifier) else {
            throw error(pointer, "expected a dotted path of names such as loyalty.tier")
        }
        let root = segments[0].lowercased()
        guard !["computed", "properties", "context"].contains(root) || root == segments[0] else {
            throw error(pointer, "the root \"\(segments[0])\" must be written in lower case")
        }
        return text
    }

    private func fieldPath(_ json: JSONValue, at pointer: String) throws(AudienceSyntaxError) -> String {
        let text = try path(json, at: pointer)
        guard text.hasPrefix("properties.") || text.hasPrefix("context.") else {
            throw error(
                pointer, "expected a field under properties. or context.", expected: ["properties.", "context."])
        }
        return text
    }

    // MARK: Values and tests

    private func value(_ json: JSONValue, at pointer: String) throws(AudienceSyntaxError) -> AudienceValue {
        switch json {
        case .string(let text): return .string(text)
        case .int(let number): return .int(number)
        case .double(let number) where number.isFinite: return .double(number)
        case .bool(let flag): return .bool(flag)
        case .object(let members) where members.count == 1 && members["date"] != nil:
            return .date(try date(members["date"]!, at: pointer + "/date"))
        default:
            throw error(
                pointer, "expected a string, a number, a boolean or {\"date\": …}",
                expected: ["a string", "a number", "a boolean", "a date object"])
        }
    }

    private func date(_ json: JSONValue, at pointer: String) throws(AudienceSyntaxError) -> AudienceDate {
        guard let text = json.stringValue, let date = AudienceDateParser.parse(text) else {
            throw error(pointer, "expected a date like 2026-01-31 or 2026-01-31T09:30:00Z")
        }
        return date
    }

    private func test(_ members: [String: JSONValue], at pointer: String) throws(AudienceSyntaxError) -> ValueTest {
        let operatorPointer = pointer + "/operator"
        let name = try string(try required(members, "operator", at: pointer), at: operatorPointer)
        if name == "exists" {
            guard members["value"] == nil, members["values"] == nil else {
                throw error(pointer, "\"exists\" takes no value")
            }
            return .exists
        }
        if name == "in" {
            guard members["value"] == nil else { throw error(pointer + "/value", "\"in\" takes \"values\", a list") }
            let list = try required(members, "values", at: pointer)
            guard let elements = list.arrayValue, !elements.isEmpty else {
                throw error(pointer + "/values", "expected an array of one or more values")
            }
            guard elements.count <= AudienceParser.maximumListLength else {
                throw error(pointer + "/values", "a list holds at most \(AudienceParser.maximumListLength) values")
            }
            var values: [AudienceValue] = []
            for (index, element) in elements.enumerated() {
                values.append(try value(element, at: "\(pointer)/values/\(index)"))
            }
            return .oneOf(values)
        }
        guard let comparison = ComparisonOperator(rawValue: name) else {
            let names = ComparisonOperator.allCases.map { "\"\($0.rawValue)\"" } + ["\"in\"", "\"exists\""]
            throw error(operatorPointer, "unknown operator \"\(name)\"", expected: names)
        }
        guard members["values"] == nil else { throw error(pointer + "/values", "only \"in\" takes \"values\"") }
        let literal = try value(try required(members, "value", at: pointer), at: pointer + "/value")
        try check(literal, for: comparison, at: pointer + "/value")
        return .compare(comparison, literal)
    }

    /// Applies the text parser's rule about which literals each operator accepts.
    private func check(_ literal: AudienceValue, for comparison: ComparisonOperator, at pointer: String)
        throws(AudienceSyntaxError)
    {
        let fits: Bool
        switch (comparison, literal) {
        case (.equal, _), (.notEqual, _): fits = true
        case (.contains, .string), (.startsWith, .string): fits = true
        case (.before, .date), (.after, .date): fits = true
        case (.less, .int), (.less, .double), (.less, .date), (.lessOrEqual, .int), (.lessOrEqual, .double),
            (.lessOrEqual, .date), (.greater, .int), (.greater, .double), (.greater, .date),
            (.greaterOrEqual, .int), (.greaterOrEqual, .double), (.greaterOrEqual, .date):
            fits = true
        default: fits = false
        }
        guard fits else { throw error(pointer, "\"\(comparison.rawValue)\" cannot compare with \(literal.text)") }
    }

    // MARK: Events

    private func filters(_ members: [String: JSONValue], at pointer: String) throws(AudienceSyntaxError)
        -> [EventFilter]
    {
        guard let list = members["where"] else { return [] }
        guard let elements = list.arrayValue, !elements.isEmpty else {
            throw error(pointer + "/where", "expected an array of one or more filters")
        }
        var result: [EventFilter] = []
        for (index, element) in elements.enumerated() {
            let filterPointer = "\(pointer)/where/\(index)"
            guard let filter = element.objectValue else { throw error(filterPointer, "expected a filter object") }
            try allow(filter, ["field", "operator", "value", "values"], at: filterPointer)
            let path = try fieldPath(try required(filter, "field", at: filterPointer), at: filterPointer + "/field")
            result.append(EventFilter(path: path, test: try test(filter, at: filterPointer)))
        }
        return result
    }

    private func count(_ json: JSONValue, minimum: Int64, at pointer: String) throws(AudienceSyntaxError) -> Int64 {
        guard case .int(let number) = json, number >= minimum else {
            throw error(pointer, "expected a whole number of \(minimum) or more")
        }
        return number
    }

    private func duration(_ json: JSONValue, at pointer: String) throws(AudienceSyntaxError) -> AudienceDuration {
        guard let members = json.objectValue else {
            throw error(pointer, "expected {\"amount\": 7, \"unit\": \"day\"}")
        }
        try allow(members, ["amount", "unit"], at: pointer)
        let amount = try count(try required(members, "amount", at: pointer), minimum: 1, at: pointer + "/amount")
        guard amount <= AudienceDuration.maximumAmount else {
            throw error(pointer + "/amount", "a duration has at most \(AudienceDuration.maximumAmount) units")
        }
        let unitName = try string(try required(members, "unit", at: pointer), at: pointer + "/unit")
        guard let unit = DurationUnit(rawValue: unitName) else {
            throw error(
                pointer + "/unit", "unknown unit \"\(unitName)\"", expected: DurationUnit.allCases.map(\.rawValue))
        }
        return AudienceDuration(amount, unit)
    }

    private func window(_ members: [String: JSONValue], at pointer: String) throws(AudienceSyntaxError) -> TimeWindow {
        guard let json = members["window"] else { return .allTime }
        let windowPointer = pointer + "/window"
        guard let window = json.objectValue, window.count == 1, let (kind, body) = window.first else {
            throw error(windowPointer, "expected an object with one of \"within\", \"between\", \"before\", \"after\"")
        }
        switch kind {
        case "within": return .within(try duration(body, at: windowPointer + "/within"))
        case "before": return .before(try date(body, at: windowPointer + "/before"))
        case "after": return .after(try date(body, at: windowPointer + "/after"))
        case "between":
            guard let dates = body.arrayValue, dates.count == 2 else {
                throw error(windowPointer + "/between", "expected an array of two dates")
            }
            let start = try date(dates[0], at: windowPointer + "/between/0")
            let end = try date(dates[1], at: windowPointer + "/between/1")
            guard start < end else {
                throw error(windowPointer + "/between", "the first date must come before the second")
            }
            return .between(start, end)
        default:
            throw error(
                windowPointer + "/" + kind, "unknown window \"\(kind)\"",
                expected: ["within", "between", "before", "after"])
        }
    }

    private func quantifier(_ json: JSONValue?, at pointer: String) throws(AudienceSyntaxError) -> EventQuantifier {
        guard let json else { return .atLeast(1) }
        guard let members = json.objectValue, members.count == 1, let (kind, body) = members.first else {
            throw error(pointer, "expected an object with one of \"atLeast\", \"atMost\", \"exactly\"")
        }
        switch kind {
        case "atLeast": return .atLeast(try count(body, minimum: 1, at: pointer + "/atLeast"))
        case "atMost": return .atMost(try count(body, minimum: 0, at: pointer + "/atMost"))
        case "exactly": return .exactly(try count(body, minimum: 0, at: pointer + "/exactly"))
        default:
            throw error(
                pointer + "/" + kind, "unknown quantifier \"\(kind)\"", expected: ["atLeast", "atMost", "exactly"])
        }
    }

    private func event(_ members: [String: JSONValue], at pointer: String) throws(AudienceSyntaxError) -> EventCondition
    {
        try allow(members, ["event", "where", "quantifier", "window"], at: pointer)
        return EventCondition(
            event: try name(members["event"]!, at: pointer + "/event"), filters: try filters(members, at: pointer),
            quantifier: try quantifier(members["quantifier"], at: pointer + "/quantifier"),
            window: try window(members, at: pointer))
    }

    private func aggregate(_ members: [String: JSONValue], at pointer: String) throws(AudienceSyntaxError)
        -> AggregateCondition
    {
        try allow(members, ["aggregate", "field", "event", "where", "window", "operator", "value"], at: pointer)
        let functionName = try string(members["aggregate"]!, at: pointer + "/aggregate")
        guard let function = AggregateFunction(rawValue: functionName) else {
            throw error(
                pointer + "/aggregate", "unknown aggregate \"\(functionName)\"",
                expected: AggregateFunction.allCases.map(\.rawValue))
        }
        var field: String?
        if function == .count {
            guard members["field"] == nil else { throw error(pointer + "/field", "count takes no field") }
        } else {
            field = try fieldPath(try required(members, "field", at: pointer), at: pointer + "/field")
        }
        let event = try name(try required(members, "event", at: pointer), at: pointer + "/event")
        let operatorName = try string(try required(members, "operator", at: pointer), at: pointer + "/operator")
        guard let comparison = ComparisonOperator(rawValue: operatorName), comparison.isNumericComparison else {
            throw error(
                pointer + "/operator", "expected one of =, !=, <, <=, >, >=",
                expected: ["=", "!=", "<", "<=", ">", ">="])
        }
        let thresholdJSON = try required(members, "value", at: pointer)
        guard let threshold = try value(thresholdJSON, at: pointer + "/value").number else {
            throw error(pointer + "/value", "expected a number")
        }
        if function == .count {
            guard case .int(let number) = threshold, number >= 0 else {
                throw error(pointer + "/value", "a count is compared with a whole number of 0 or more")
            }
        }
        return AggregateCondition(
            function: function, field: field, event: event, filters: try filters(members, at: pointer),
            window: try window(members, at: pointer), comparison: comparison, threshold: threshold)
    }

    private func sequence(_ members: [String: JSONValue], at pointer: String) throws(AudienceSyntaxError)
        -> SequenceCondition
    {
        try allow(members, ["sequence", "within"], at: pointer)
        guard let elements = members["sequence"]!.arrayValue, elements.count >= 2,
            elements.count <= AudienceParser.maximumSequenceSteps
        else {
            throw error(
                pointer + "/sequence", "expected an array of 2 to \(AudienceParser.maximumSequenceSteps) steps")
        }
        var steps: [SequenceStep] = []
        for (index, element) in elements.enumerated() {
            let stepPointer = "\(pointer)/sequence/\(index)"
            guard let step = element.objectValue else { throw error(stepPointer, "expected a step object") }
            try allow(step, ["event", "where"], at: stepPointer)
            let event = try name(try required(step, "event", at: stepPointer), at: stepPointer + "/event")
            steps.append(SequenceStep(event: event, filters: try filters(step, at: stepPointer)))
        }
        let within = try members["within"].map { json throws(AudienceSyntaxError) in
            try duration(json, at: pointer + "/within")
        }
        return SequenceCondition(steps: steps, within: within)
    }

    private func consent(_ members: [String: JSONValue], at pointer: String) throws(AudienceSyntaxError)
        -> ConsentCondition
    {
        try allow(members, ["consent", "answer"], at: pointer)
        let text = try string(members["consent"]!, at: pointer + "/consent")
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy(AudienceLexer.isIdentifier) else {
            throw error(pointer + "/consent", "expected a purpose or purpose.channel such as marketing.email")
        }
        let answerText = try string(try required(members, "answer", at: pointer), at: pointer + "/answer")
        guard let answer = ConsentAnswer(rawValue: answerText) else {
            throw error(pointer + "/answer", "expected \"y\", \"n\" or \"u\"", expected: ["y", "n", "u"])
        }
        return ConsentCondition(purpose: parts[0], channel: parts.count == 2 ? parts[1] : nil, answer: answer)
    }
}
