public import TesseraCore

extension AudienceRule {
    /// The rule in its JSON form; `AudienceRule(json:)` reads it back to an equal rule.
    ///
    /// Each node is an object named by one key: `and`, `or`, `not`, `attribute`, `has`, `event`,
    /// `aggregate`, `sequence`, `inAudience` or `consent`. Dates are `{"date": "2026-01-01"}` where a
    /// value could also be a string, and plain strings inside windows. See `docs/audiences.md`.
    public var json: JSONValue {
        switch self {
        case .and(let children): return ["and": .array(children.map(\.json))]
        case .or(let children): return ["or": .array(children.map(\.json))]
        case .not(let child): return ["not": child.json]
        case .attribute(let condition):
            return .object(condition.test.jsonMembers.merging(["attribute": .string(condition.path)]) { $1 })
        case .identity(let namespace): return ["has": .string(namespace)]
        case .event(let condition):
            var members: [String: JSONValue] = [
                "event": .string(condition.event), "quantifier": condition.quantifier.json,
            ]
            Self.addFilters(condition.filters, window: condition.window, to: &members)
            return .object(members)
        case .aggregate(let condition):
            var members: [String: JSONValue] = [
                "aggregate": .string(condition.function.rawValue), "event": .string(condition.event),
                "operator": .string(condition.comparison.rawValue), "value": condition.threshold.value.json,
            ]
            if let field = condition.field { members["field"] = .string(field) }
            Self.addFilters(condition.filters, window: condition.window, to: &members)
            return .object(members)
        case .sequence(let condition):
            var members: [String: JSONValue] = [
                "sequence": .array(
                    condition.steps.map { step in
                        var stepMembers: [String: JSONValue] = ["event": .string(step.event)]
                        Self.addFilters(step.filters, window: .allTime, to: &stepMembers)
                        return .object(stepMembers)
                    })
            ]
            if let within = condition.within { members["within"] = within.json }
            return .object(members)
        case .audience(let name): return ["inAudience": .string(name)]
        case .consent(let condition):
            return ["consent": .string(condition.path), "answer": .string(condition.answer.rawValue)]
        }
    }

    private static func addFilters(_ filters: [EventFilter], window: TimeWindow, to members: inout [String: JSONValue])
    {
        if !filters.isEmpty {
            members["where"] = .array(
                filters.map { .object($0.test.jsonMembers.merging(["field": .string($0.path)]) { $1 }) })
        }
        if let window = window.json { members["window"] = window }
    }

    /// Reads a rule from its JSON form, checking it as strictly as the text parser does.
    ///
    /// - Parameter json: A rule as produced by `json`.
    /// - Throws: `AudienceSyntaxError` with a JSON-pointer-like `pointer` (`/and/1/operator`).
    public init(json: JSONValue) throws(AudienceSyntaxError) {
        var reader = AudienceJSONReader()
        self = try reader.rule(json, at: "")
        let length = self.text.utf8.count
        guard length <= AudienceParser.maximumLength else {
            throw AudienceSyntaxError(
                pointer: "",
                message: "the rule's text is \(length) bytes long; the limit is \(AudienceParser.maximumLength) bytes")
        }
    }
}

extension AudienceValue {
    /// The literal in JSON: strings, numbers and booleans as themselves, dates as `{"date": "…"}`.
    public var json: JSONValue {
        switch self {
        case .string(let value): return .string(value)
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        case .bool(let value): return .bool(value)
        case .date(let value): return ["date": .string(value.text)]
        }
    }
}

extension ValueTest {
    var jsonMembers: [String: JSONValue] {
        switch self {
        case .compare(let comparison, let value):
            return ["operator": .string(comparison.rawValue), "value": value.json]
        case .oneOf(let values): return ["operator": "in", "values": .array(values.map(\.json))]
        case .exists: return ["operator": "exists"]
        }
    }
}

extension AudienceDuration {
    var json: JSONValue { ["amount": .int(amount), "unit": .string(unit.rawValue)] }
}

extension EventQuantifier {
    var json: JSONValue {
        switch self {
        case .atLeast(let count): return ["atLeast": .int(count)]
        case .atMost(let count): return ["atMost": .int(count)]
        case .exactly(let count): return ["exactly": .int(count)]
        }
    }
}

extension TimeWindow {
    var json: JSONValue? {
        switch self {
        case .allTime: return nil
        case .within(let duration): return ["within": duration.json]
        case .between(let start, let end): return ["between": [.string(start.text), .string(end.text)]]
        case .before(let date): return ["before": .string(date.text)]
        case .after(let date): return ["after": .string(date.text)]
        }
    }
}
