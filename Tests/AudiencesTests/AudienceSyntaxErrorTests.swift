import Audiences
import Testing

@Suite struct AudienceSyntaxErrorTests {
    /// An invalid rule, where the error must point, and a phrase its message must contain.
    struct Invalid: Sendable, CustomStringConvertible {
        var text: String
        var line: Int
        var column: Int
        var expected: String

        init(_ text: String, _ line: Int, _ column: Int, _ expected: String) {
            self.text = text
            self.line = line
            self.column = column
            self.expected = expected
        }

        var description: String { text }
    }

    static let invalid: [Invalid] = [
        Invalid("", 1, 1, #"expected a condition, "attribute""#),
        Invalid(
            #"attribute loyalty.tier >= "gold""#, 1, 27,
            #"expected a number or a date after ">=", found the quoted string "gold""#),
        Invalid("attribute loyalty.tier >= gold", 1, 27, #"expected a number or a date after ">=", found "gold""#),
        Invalid("has email and\nattribute tier >= gold", 2, 19, #"after ">=", found "gold""#),
        Invalid("attribute tier", 1, 15, #"after tier, found the end of the rule"#),
        Invalid("attribute tier == 1", 1, 17, #"expected a quoted string, a number, true, false or a date after "=""#),
        Invalid("attribute tier contains 3", 1, 25, #"expected a quoted string after "contains""#),
        Invalid(#"attribute tier starts "a""#, 1, 23, #"expected "with" after "starts""#),
        Invalid(#"attribute createdAt before "2026-01-01""#, 1, 28, #"expected a date after "before""#),
        Invalid(#"attribute city in ["Leeds" "York"]"#, 1, 28, #"expected "," or "]""#),
        Invalid("attribute city in []", 1, 20, #"after "[""#),
        Invalid("attribute at = 2026-02-30", 1, 16, #""2026-02-30" is not a valid date"#),
        Invalid("attribute at = 2026-02-01T10:00:00", 1, 16, "is not a valid date"),
        Invalid(#"attribute name = "open"#, 1, 18, "not closed on the line it starts"),
        Invalid(#"attribute name = "a\qb""#, 1, 20, #"unknown escape "\q""#),
        Invalid("attribute n = 99999999999999999999", 1, 15, "too large"),
        Invalid("has email ond has phone", 1, 11, #"expected "and", "or" or the end of the rule, found "ond""#),
        Invalid("has email and", 1, 14, "found the end of the rule"),
        Invalid("(has email or has phone", 1, 24, #"expected "and", "or" or ")""#),
        Invalid("has email)", 1, 10, #"found ")""#),
        Invalid("has", 1, 4, "expected an identity namespace such as email"),
        Invalid("did Order", 1, 5, #"expected a quoted event name after "did""#),
        Invalid(
            #"did "A" within 7 fortnights"#, 1, 18,
            #"expected "minutes", "hours", "days", "weeks", "months" or "years" after 7"#),
        Invalid(#"did "A" within 0 days"#, 1, 16, "a duration must be between 1 and"),
        Invalid(#"did "A" at least 0 times"#, 1, 18, #""at least" needs a count of 1 or more"#),
        Invalid(#"did "A" at least 2"#, 1, 19, #"expected "times""#),
        Invalid(#"did "A" at 2 times"#, 1, 12, #"expected "least" or "most" after "at""#),
        Invalid(#"did "A" where total > 1"#, 1, 15, #"expected "properties." or "context." after "where""#),
        Invalid(#"did "A" where properties > 1"#, 1, 15, "an event filter needs a field under properties"),
        Invalid(#"did "A" between 2026-02-01 and 2026-01-01"#, 1, 9, "must come before the second"),
        Invalid(#"did "A" between 2026-01-01 or 2026-02-01"#, 1, 28, #"expected "and" after the first date"#),
        Invalid(#"did not "A" then "B""#, 1, 13, #"a sequence cannot start with "did not""#),
        Invalid(#"did "A" then B"#, 1, 14, #"expected a quoted event name after "then""#),
        Invalid(#"sum of "Order Completed" > 3"#, 1, 8, "expected a field such as properties.revenue after \"of\""),
        Invalid(#"sum of properties.revenue "Order" > 3"#, 1, 27, #"expected "for" after properties.revenue"#),
        Invalid(#"count of "Order" within 7 days"#, 1, 31, #"expected "=", "!=", "<", "<=", ">" or ">=""#),
        Invalid(#"count of "Order" > 2.5"#, 1, 20, "a count is compared with a whole number"),
        Invalid(#"avg of properties.total for "Order" > "high""#, 1, 39, #"expected a number after ">""#),
        Invalid(#"in "Travellers""#, 1, 4, #"expected "audience" after "in""#),
        Invalid(#"in audience """#, 1, 13, "a name cannot be empty"),
        Invalid(#"consent marketing.email = "yes""#, 1, 27, #"expected "y", "n" or "u" after "=""#),
        Invalid(#"consent marketing.email "y""#, 1, 25, #"expected "=" after marketing.email"#),
        Invalid("computed = 3", 1, 1, "a computed attribute needs a name"),
        Invalid("attribute a = 1 & has b", 1, 17, #"unexpected character "&""#),
        Invalid("attribute a ! 1", 1, 13, #""!" must be followed by "=""#),
        Invalid("loyalty.tier = \"gold\"", 1, 1, #"expected a condition, "attribute", "computed""#),
    ]

    @Test("invalid rules report the line, the column and what was expected", arguments: invalid)
    func reportsPlace(example: Invalid) {
        let error = #expect(throws: AudienceSyntaxError.self) { try AudienceParser.parse(example.text) }
        #expect(error?.line == example.line)
        #expect(error?.column == example.column)
        #expect(error?.message.contains(example.expected) == true, "message: \(error?.message ?? "none")")
        #expect(error?.pointer == nil)
    }

    @Test("the table of invalid rules is large enough")
    func tableSize() {
        #expect(Self.invalid.count >= 25)
    }

    @Test("the description puts the place before the message")
    func description() {
        let error = #expect(throws: AudienceSyntaxError.self) {
            try AudienceParser.parse("has email and\nattribute loyalty.tier >= gold")
        }
        #expect(error?.description == #"line 2, column 27: expected a number or a date after ">=", found "gold""#)
        #expect(error?.expected == ["a number", "a date"])
    }

    @Test(
        "the messages shown in docs/audiences.md are the ones users get",
        arguments: [
            (
                "has email ond has phone",
                #"line 1, column 11: expected "and", "or" or the end of the rule, found "ond""#
            ),
            (
                #"did "A" within 7 fortnights"#,
                #"line 1, column 18: expected "minutes", "hours", "days", "weeks", "months" or "years" after 7, "#
                    + #"found "fortnights""#
            ),
            (
                #"did "A" where total > 1"#,
                #"line 1, column 15: expected "properties." or "context." after "where", found "total""#
            ),
            (#"count of "Order" > 2.5"#, "line 1, column 20: a count is compared with a whole number of 0 or more"),
            ("attribute at = 2026-02-30", #"line 1, column 16: "2026-02-30" is not a valid date"#),
            (#"attribute name = "open"#, "line 1, column 18: the quoted string is not closed on the line it starts"),
        ])
    func documentedMessages(text: String, description: String) {
        let error = #expect(throws: AudienceSyntaxError.self) { try AudienceParser.parse(text) }
        #expect(error?.description == description)
    }

    @Test("a comment does not hide a missing condition")
    func commentAtEnd() {
        let error = #expect(throws: AudienceSyntaxError.self) { try AudienceParser.parse("has email and # todo\n") }
        #expect(error?.line == 2)
        #expect(error?.column == 1)
    }

    @Test("rules longer than the limit are refused before parsing")
    func lengthLimit() throws {
        let long = "has email" + String(repeating: " ", count: AudienceParser.maximumLength)
        let error = #expect(throws: AudienceSyntaxError.self) { try AudienceParser.parse(long) }
        #expect(error?.message.contains("the limit is 16384 bytes") == true)
        let justFits = "has email" + String(repeating: " ", count: AudienceParser.maximumLength - 9)
        #expect(try AudienceParser.parse(justFits) == .identity(namespace: "email"))
    }

    @Test("nesting deeper than the limit is refused at the token that goes too deep")
    func depthLimit() throws {
        let allowed = String(repeating: "(", count: 32) + "has email" + String(repeating: ")", count: 32)
        #expect(try AudienceParser.parse(allowed) == .identity(namespace: "email"))
        let thirtyTwoNots = try AudienceParser.parse(String(repeating: "not ", count: 32) + "has email")
        #expect(thirtyTwoNots.text == String(repeating: "not ", count: 32) + "has email")

        let deep = String(repeating: "(", count: 33) + "has email" + String(repeating: ")", count: 33)
        let error = #expect(throws: AudienceSyntaxError.self) { try AudienceParser.parse(deep) }
        #expect(error?.column == 33)
        #expect(error?.message.contains("deeper than 32") == true)
        #expect(throws: AudienceSyntaxError.self) {
            try AudienceParser.parse(String(repeating: "not ", count: 33) + "has email")
        }
    }

    @Test("lists longer than the limit are refused at the first extra value")
    func listLimit() throws {
        let thousand = (0..<1000).map(String.init).joined(separator: ",")
        let rule = try AudienceParser.parse("attribute n in [\(thousand)]")
        guard case .attribute(let condition) = rule, case .oneOf(let values) = condition.test else {
            Issue.record("expected a list")
            return
        }
        #expect(values.count == 1000)

        let error = #expect(throws: AudienceSyntaxError.self) {
            try AudienceParser.parse("attribute n in [\(thousand),1]")
        }
        #expect(error?.message.contains("at most 1000 values") == true)
        #expect(error?.column == 17 + thousand.count + 1)
    }

    @Test("sequences longer than the limit are refused")
    func sequenceLimit() throws {
        let steps = (0..<32).map { "\"E\($0)\"" }
        #expect(try AudienceParser.parse("did " + steps.joined(separator: " then ")).referencedEvents.count == 32)
        #expect(throws: AudienceSyntaxError.self) {
            try AudienceParser.parse("did " + (steps + ["\"E32\""]).joined(separator: " then "))
        }
    }
}
