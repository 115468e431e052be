import Audiences
import Testing
import TesseraCore

@Suite struct AudienceJSONTests {
    @Test("every valid rule survives AST → JSON → AST", arguments: AudienceRuleExamples.valid)
    func jsonRoundTrip(example: AudienceRuleExamples.Valid) throws {
        let rule = try AudienceParser.parse(example.text)
        #expect(try AudienceRule(json: rule.json) == rule)
    }

    @Test("every valid rule survives JSON serialised to text and read back", arguments: AudienceRuleExamples.valid)
    func jsonSerialisedIsStable(example: AudienceRuleExamples.Valid) throws {
        let rule = try AudienceParser.parse(example.text)
        let json = rule.json
        #expect(json.serialized == (try AudienceRule(json: json)).json.serialized)
    }

    @Test("the documented example has the documented JSON form")
    func documentedExample() throws {
        let rule = try AudienceParser.parse(
            #"""
            has email and consent marketing.email = "y"
            and did "Order Completed" where properties.total > 100 at least 2 times within 30 days
            and not in audience "Staff"
            """#)
        let expected: JSONValue = [
            "and": [
                ["has": "email"],
                ["consent": "marketing.email", "answer": "y"],
                [
                    "event": "Order Completed",
                    "where": [["field": "properties.total", "operator": ">", "value": 100]],
                    "quantifier": ["atLeast": 2],
                    "window": ["within": ["amount": 30, "unit": "day"]],
                ],
                ["not": ["inAudience": "Staff"]],
            ]
        ]
        #expect(rule.json == expected)
        #expect(try AudienceRule(json: expected) == rule)
    }

    @Test("dates are tagged where a value could also be a string, and plain inside windows")
    func datesInJSON() throws {
        let rule = try AudienceParser.parse(
            #"attribute createdAt = 2026-01-01 and did "A" between 2026-01-01 and 2026-02-01T10:00:00Z"#)
        let expected: JSONValue = [
            "and": [
                ["attribute": "createdAt", "operator": "=", "value": ["date": "2026-01-01"]],
                [
                    "event": "A", "quantifier": ["atLeast": 1],
                    "window": ["between": ["2026-01-01", "2026-02-01T10:00:00Z"]],
                ],
            ]
        ]
        #expect(rule.json == expected)
        #expect(try AudienceRule(json: ["attribute": "createdAt", "operator": "=", "value": "2026-01-01"]) != rule)
    }

    @Test("an event without a quantifier means did at least once")
    func defaultQuantifier() throws {
        #expect(try AudienceRule(json: ["event": "A"]) == AudienceParser.parse(#"did "A""#))
    }

    /// A JSON rule that must be refused, and the pointer and message phrase expected.
    struct Invalid: Sendable, CustomStringConvertible {
        var json: JSONValue
        var pointer: String
        var expected: String
        var description: String { json.serialized }
    }

    static let invalid: [Invalid] = [
        Invalid(json: "has email", pointer: "", expected: "expected an object"),
        Invalid(json: ["having": "email"], pointer: "", expected: "one of the keys"),
        Invalid(json: ["and": [["has": "email"]]], pointer: "/and", expected: "two or more"),
        Invalid(
            json: ["and": [["has": "email"], ["has": "bad name"]]], pointer: "/and/1/has", expected: "letters, digits"),
        Invalid(json: ["has": "email", "extra": 1], pointer: "/extra", expected: "unexpected key \"extra\""),
        Invalid(
            json: ["attribute": "tier", "operator": "~", "value": 1], pointer: "/operator", expected: "unknown operator"
        ),
        Invalid(
            json: ["attribute": "tier", "operator": ">", "value": "gold"], pointer: "/value", expected: "cannot compare"
        ),
        Invalid(json: ["attribute": "tier", "operator": "="], pointer: "/value", expected: "missing"),
        Invalid(json: ["attribute": "a..b", "operator": "exists"], pointer: "/attribute", expected: "dotted path"),
        Invalid(
            json: ["attribute": "Computed.x", "operator": "exists"], pointer: "/attribute", expected: "lower case"),
        Invalid(json: ["attribute": "a", "operator": "in", "values": []], pointer: "/values", expected: "one or more"),
        Invalid(
            json: ["attribute": "a", "operator": "=", "value": ["date": "2026-13-01"]], pointer: "/value/date",
            expected: "a date like"),
        Invalid(json: ["event": ""], pointer: "/event", expected: "cannot be empty"),
        Invalid(
            json: ["event": "A", "where": [["field": "total", "operator": "exists"]]], pointer: "/where/0/field",
            expected: "properties."),
        Invalid(
            json: ["event": "A", "quantifier": ["atLeast": 0]], pointer: "/quantifier/atLeast", expected: "1 or more"),
        Invalid(
            json: ["event": "A", "window": ["within": ["amount": 7, "unit": "fortnight"]]],
            pointer: "/window/within/unit", expected: "unknown unit"),
        Invalid(
            json: ["event": "A", "window": ["between": ["2026-02-01", "2026-01-01"]]], pointer: "/window/between",
            expected: "before the second"),
        Invalid(
            json: ["aggregate": "median", "event": "A", "operator": ">", "value": 1], pointer: "/aggregate",
            expected: "unknown aggregate"),
        Invalid(
            json: ["aggregate": "sum", "event": "A", "operator": ">", "value": 1], pointer: "/field",
            expected: "missing"),
        Invalid(
            json: ["aggregate": "count", "event": "A", "operator": "contains", "value": 1], pointer: "/operator",
            expected: "expected one of"),
        Invalid(
            json: ["aggregate": "count", "event": "A", "operator": ">", "value": 1.5], pointer: "/value",
            expected: "whole number"),
        Invalid(json: ["sequence": [["event": "A"]]], pointer: "/sequence", expected: "2 to 32 steps"),
        Invalid(
            json: ["consent": "marketing.email.extra", "answer": "y"], pointer: "/consent",
            expected: "purpose.channel"),
        Invalid(
            json: ["consent": "marketing", "answer": "yes"], pointer: "/answer", expected: "\"y\", \"n\" or \"u\""),
        Invalid(
            json: ["or": [["has": "a"], ["not": ["inAudience": 3]]]], pointer: "/or/1/not/inAudience",
            expected: "expected a string"),
    ]

    @Test("invalid JSON rules name the place with a pointer", arguments: invalid)
    func reportsPointer(example: Invalid) {
        let error = #expect(throws: AudienceSyntaxError.self) { try AudienceRule(json: example.json) }
        #expect(error?.pointer == example.pointer)
        #expect(error?.message.contains(example.expected) == true, "message: \(error?.message ?? "none")")
        #expect(error?.line == 0)
    }

    @Test("the JSON error shown in docs/audiences.md is the one users get")
    func documentedMessage() {
        let json: JSONValue = [
            "and": [
                ["has": "email"], ["has": "phone"],
                ["event": "A", "window": ["within": ["amount": 2, "unit": "fortnight"]]],
            ]
        ]
        let error = #expect(throws: AudienceSyntaxError.self) { try AudienceRule(json: json) }
        #expect(error?.description == #"at /and/2/window/within/unit: unknown unit "fortnight""#)
    }

    @Test("JSON nesting deeper than the text limit is refused")
    func depthLimit() throws {
        var nested: JSONValue = ["has": "email"]
        for _ in 0..<32 { nested = ["not": nested] }
        #expect(try AudienceRule(json: nested).text.hasPrefix("not not"))
        nested = ["not": nested]
        let error = #expect(throws: AudienceSyntaxError.self) { try AudienceRule(json: nested) }
        #expect(error?.message.contains("deeper than 32") == true)
    }

    @Test("a JSON rule whose text would pass the length limit is refused")
    func lengthLimit() {
        let name = String(repeating: "x", count: AudienceParser.maximumLength)
        let error = #expect(throws: AudienceSyntaxError.self) { try AudienceRule(json: ["inAudience": .string(name)]) }
        #expect(error?.pointer == "")
        #expect(error?.description.hasPrefix("at /: the rule's text is") == true)
    }
}
