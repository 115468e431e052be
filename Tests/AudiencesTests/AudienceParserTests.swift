import Audiences
import Testing
import TesseraCore

@Suite struct AudienceParserTests {
    @Test("every valid rule parses and renders to its canonical text", arguments: AudienceRuleExamples.valid)
    func canonicalText(example: AudienceRuleExamples.Valid) throws {
        let rule = try AudienceParser.parse(example.text)
        #expect(rule.text == example.expectedText)
    }

    @Test("canonical text parses back to an equal rule", arguments: AudienceRuleExamples.valid)
    func textRoundTrip(example: AudienceRuleExamples.Valid) throws {
        let rule = try AudienceParser.parse(example.text)
        let again = try AudienceParser.parse(rule.text)
        #expect(again == rule)
        #expect(again.text == rule.text)
    }

    @Test("the table of valid rules is large enough to cover the language")
    func tableSize() {
        #expect(AudienceRuleExamples.valid.count >= 40)
    }

    @Test("attribute conditions build the expected tree")
    func attributeTree() throws {
        #expect(
            try AudienceParser.parse(#"attribute loyalty.tier = "gold" and computed.orderCount >= 3"#)
                == .and([
                    .attribute(AttributeCondition(path: "loyalty.tier", test: .compare(.equal, .string("gold")))),
                    .attribute(
                        AttributeCondition(path: "computed.orderCount", test: .compare(.greaterOrEqual, .int(3)))),
                ]))
        #expect(
            try AudienceParser.parse(#"attribute address.city in ["Leeds", "York"]"#)
                == .attribute(
                    AttributeCondition(path: "address.city", test: .oneOf([.string("Leeds"), .string("York")]))))
        #expect(
            try AudienceParser.parse("attribute createdAt after 2026-01-01")
                == .attribute(
                    AttributeCondition(
                        path: "createdAt", test: .compare(.after, .date(AudienceDate(year: 2026, month: 1, day: 1))))))
        #expect(
            try AudienceParser.parse("attribute x = 2.0")
                == .attribute(AttributeCondition(path: "x", test: .compare(.equal, .double(2)))))
    }

    @Test("dates with offsets name the same instant as their UTC form")
    func dateOffsets() throws {
        let withOffset = try AudienceParser.parse("attribute at = 2026-07-01T10:30:00+01:00")
        let utc = try AudienceParser.parse("attribute at = 2026-07-01T09:30:00Z")
        #expect(withOffset == utc)
        let midnight = AudienceDate(year: 2026, month: 7, day: 1)
        guard case .attribute(let condition) = utc, case .compare(_, .date(let date)) = condition.test else {
            Issue.record("expected a date comparison")
            return
        }
        #expect(date.timestamp.milliseconds - midnight.timestamp.milliseconds == 34_200_000)
        #expect(date.hasTime)
    }

    @Test("event conditions carry filters, quantifier and window")
    func eventTree() throws {
        let rule = try AudienceParser.parse(
            #"did "Order Completed" where properties.total > 100 at least 2 times within 30 days"#)
        #expect(
            rule
                == .event(
                    EventCondition(
                        event: "Order Completed",
                        filters: [EventFilter(path: "properties.total", test: .compare(.greater, .int(100)))],
                        quantifier: .atLeast(2), window: .within(AudienceDuration(30, .day)))))
        #expect(
            try AudienceParser.parse(#"did not "Order Completed" within 90 days"#)
                == .event(
                    EventCondition(
                        event: "Order Completed", quantifier: .exactly(0), window: .within(AudienceDuration(90, .day))))
        )
        #expect(
            try AudienceParser.parse(#"did "Signed In" between 2026-11-01 and 2026-12-01"#)
                == .event(
                    EventCondition(
                        event: "Signed In",
                        window: .between(
                            AudienceDate(year: 2026, month: 11, day: 1), AudienceDate(year: 2026, month: 12, day: 1)))))
    }

    @Test("filters end where the next condition begins")
    func filtersStopAtConditions() throws {
        let rule = try AudienceParser.parse(#"did "A" where properties.x = 1 and properties.y = 2 and has email"#)
        guard case .and(let children) = rule, children.count == 2, case .event(let event) = children[0] else {
            Issue.record("expected an event and an identity, got \(rule)")
            return
        }
        #expect(event.filters.map(\.path) == ["properties.x", "properties.y"])
        #expect(children[1] == .identity(namespace: "email"))
    }

    @Test("aggregates, sequences, membership and consent build the expected tree")
    func otherTrees() throws {
        #expect(
            try AudienceParser.parse(#"sum of properties.revenue for "Order Completed" within 1 year > 500"#)
                == .aggregate(
                    AggregateCondition(
                        function: .sum, field: "properties.revenue", event: "Order Completed",
                        window: .within(AudienceDuration(1, .year)), comparison: .greater, threshold: .int(500))))
        #expect(
            try AudienceParser.parse(#"count of "Order Completed" = 0"#)
                == .aggregate(
                    AggregateCondition(
                        function: .count, field: nil, event: "Order Completed", comparison: .equal, threshold: .int(0)))
        )
        #expect(
            try AudienceParser.parse(#"did "A" then "B" where context.page = "x" then "C" within 1 hour"#)
                == .sequence(
                    SequenceCondition(
                        steps: [
                            SequenceStep(event: "A"),
                            SequenceStep(
                                event: "B",
                                filters: [EventFilter(path: "context.page", test: .compare(.equal, .string("x")))]),
                            SequenceStep(event: "C"),
                        ], within: AudienceDuration(1, .hour))))
        #expect(try AudienceParser.parse(#"in audience "Travellers""#) == .audience(name: "Travellers"))
        #expect(
            try AudienceParser.parse(#"consent marketing.email = "y""#)
                == .consent(ConsentCondition(purpose: "marketing", channel: "email", answer: .yes)))
    }

    @Test("precedence is not, then and, then or")
    func precedence() throws {
        let email = AudienceRule.identity(namespace: "email")
        let phone = AudienceRule.identity(namespace: "phone")
        let crm = AudienceRule.identity(namespace: "crmId")
        #expect(
            try AudienceParser.parse("not has email and has phone or has crmId")
                == .or([.and([.not(email), phone]), crm]))
        #expect(
            try AudienceParser.parse("has email or not (has phone or has crmId)")
                == .or([email, .not(.or([phone, crm]))]))
        #expect(try AudienceParser.parse("has email and has phone and has crmId") == .and([email, phone, crm]))
    }

    @Test("keywords ignore case but names and strings keep theirs")
    func keywordCase() throws {
        let lower = try AudienceParser.parse(#"did "Order" where properties.Total > 1 at least 2 times within 3 days"#)
        let upper = try AudienceParser.parse(#"DID "Order" WHERE PROPERTIES.Total > 1 AT LEAST 2 TIMES WITHIN 3 DAYS"#)
        #expect(lower == upper)
        #expect(
            try AudienceParser.parse(#"attribute Tier = "Gold""#) != AudienceParser.parse(#"attribute tier = "gold""#))
        #expect(try AudienceParser.parse("attribute flag = TRUE") == AudienceParser.parse("attribute flag = true"))
    }

    @Test("unicode survives in strings, and columns count characters")
    func unicode() throws {
        let rule = try AudienceParser.parse(#"in audience "Voyageurs à Zürich 🧳""#)
        #expect(rule == .audience(name: "Voyageurs à Zürich 🧳"))
        #expect(rule.text == #"in audience "Voyageurs à Zürich 🧳""#)
        let error = #expect(throws: AudienceSyntaxError.self) {
            try AudienceParser.parse(#"attribute city = "Zürich" ond has email"#)
        }
        #expect(error?.column == 27)
    }

    @Test("control characters in strings render as escapes and parse back")
    func controlCharacters() throws {
        let rule = AudienceRule.audience(name: "bell\u{7}and\u{0}null")
        #expect(rule.text == #"in audience "bell\u{7}and\u{0}null""#)
        #expect(try AudienceParser.parse(rule.text) == rule)
    }
}
