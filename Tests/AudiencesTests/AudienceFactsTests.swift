import Audiences
import Testing

@Suite struct AudienceFactsTests {
    static let rule = #"""
        (attribute loyalty.tier = "gold" or computed.orderCount >= 3)
        and did "Order Completed" within 30 days
        and not (sum of properties.revenue for "Refund Issued" within 1 year > 100)
        and did "Product Viewed" then "Order Completed" within 1 hour
        and not in audience "Staff" and in audience "Travellers"
        and count of "Page Viewed" between 2026-01-01 and 2026-02-01 >= 3
        """#

    @Test("a rule lists the events, attributes and audiences it reads")
    func references() throws {
        let rule = try AudienceParser.parse(Self.rule)
        #expect(rule.referencedEvents == ["Order Completed", "Refund Issued", "Product Viewed", "Page Viewed"])
        #expect(rule.referencedAttributes == ["loyalty.tier", "computed.orderCount"])
        #expect(rule.referencedAudiences == ["Staff", "Travellers"])
    }

    @Test("the longest sliding window counts months as 30 days and years as 365")
    func longestWindow() throws {
        #expect(try AudienceParser.parse(Self.rule).longestWindow == AudienceDuration(1, .year))
        let months = try AudienceParser.parse(#"did "A" within 13 months or did "B" within 52 weeks"#)
        #expect(months.longestWindow == AudienceDuration(13, .month))
        #expect(AudienceDuration(13, .month).milliseconds == 390 * 86_400_000)
        #expect(AudienceDuration(1, .year).milliseconds == 365 * 86_400_000)
        #expect(AudienceDuration(15, .minute).milliseconds == 900_000)
    }

    @Test(
        "time windows are found only on event and aggregate conditions",
        arguments: [
            (#"did "A""#, false, nil),
            (#"did "A" then "B" within 1 hour"#, false, nil),
            ("attribute createdAt after 2026-01-01", false, nil),
            (#"did "A" after 2026-01-01"#, true, nil),
            (#"has email and not did "A" within 2 weeks"#, true, AudienceDuration(2, .week)),
            (#"count of "A" within 3 days > 1 or did "B" within 4 days"#, true, AudienceDuration(4, .day)),
        ] as [(String, Bool, AudienceDuration?)])
    func timeWindows(text: String, hasWindows: Bool, longest: AudienceDuration?) throws {
        let rule = try AudienceParser.parse(text)
        #expect(rule.hasTimeWindows == hasWindows)
        #expect(rule.longestWindow == longest)
    }

    @Test("quantifiers count as their words say")
    func quantifiers() {
        #expect(EventQuantifier.atLeast(2).isSatisfied(by: 2))
        #expect(!EventQuantifier.atLeast(2).isSatisfied(by: 1))
        #expect(EventQuantifier.atMost(1).isSatisfied(by: 0))
        #expect(!EventQuantifier.atMost(1).isSatisfied(by: 2))
        #expect(EventQuantifier.exactly(0).isSatisfied(by: 0))
        #expect(!EventQuantifier.exactly(0).isSatisfied(by: 1))
    }

    @Test("date literals render in canonical UTC form")
    func dateText() throws {
        #expect(AudienceDate(year: 2026, month: 2, day: 28).text == "2026-02-28")
        #expect(AudienceDate(year: 1969, month: 12, day: 31).text == "1969-12-31")
        let rule = try AudienceParser.parse("attribute at = 2024-02-29T23:59:59.001-00:30")
        #expect(rule.text == "attribute at = 2024-03-01T00:29:59.001Z")
    }
}
