/// Valid rules used by several suites: the text as a user may write it, and its canonical text.
enum AudienceRuleExamples {
    /// A valid rule and the canonical text it must render to (`nil` when it is already canonical).
    struct Valid: Sendable, CustomStringConvertible {
        var text: String
        var canonical: String?

        init(_ text: String, _ canonical: String? = nil) {
            self.text = text
            self.canonical = canonical
        }

        var expectedText: String { canonical ?? text }
        var description: String { text }
    }

    static let valid: [Valid] = [
        // Attributes: every operator and literal kind.
        Valid(#"attribute loyalty.tier = "gold""#),
        Valid(#"attribute loyalty.tier != "gold""#),
        Valid("attribute age < 30"),
        Valid("attribute age <= 30"),
        Valid("attribute lifetimeValue > 99.5"),
        Valid("attribute lifetimeValue >= -12"),
        Valid("attribute optedIn = true"),
        Valid("attribute vip = false"),
        Valid(#"attribute address.city in ["Leeds", "York"]"#),
        Valid(#"attribute score in [1, 2.5, "three", true, 2026-01-01]"#),
        Valid("attribute phone exists"),
        Valid(#"attribute email contains "@example.com""#),
        Valid(#"attribute firstName starts with "Jo""#),
        Valid("attribute createdAt after 2026-01-01"),
        Valid("attribute createdAt before 2026-07-01T00:00:00Z"),
        Valid("attribute createdAt >= 2026-07-01T09:30:15.250Z"),
        Valid("attribute createdAt < 2026-07-01T10:30:00+01:00", "attribute createdAt < 2026-07-01T09:30:00Z"),
        Valid("attribute ratio = 1e-5", "attribute ratio = 1e-05"),
        // Computed attributes.
        Valid("computed.orderCount >= 3"),
        Valid("attribute computed.orderCount >= 3", "computed.orderCount >= 3"),
        Valid(#"attribute loyalty.tier = "gold" and computed.orderCount >= 3"#),
        // Identities.
        Valid("has email"),
        Valid("has email and not has phone"),
        Valid("has loyaltyId or has crmId"),
        // Events: quantifiers and windows.
        Valid(#"did "Order Completed""#),
        Valid(#"did "Order Completed" within 7 days"#),
        Valid(#"did "Order Completed" where properties.total > 100 at least 2 times within 30 days"#),
        Valid(#"did not "Order Completed" within 90 days"#),
        Valid(#"did "Order Completed" exactly 0 times within 90 days"#, #"did not "Order Completed" within 90 days"#),
        Valid(#"did "Order Completed" at least 1 time"#, #"did "Order Completed""#),
        Valid(#"did "Support Ticket Opened" at most 1 time within 1 year"#),
        Valid(#"did "Newsletter Opened" exactly 3 times within 4 weeks"#),
        Valid(#"did "Signed In" between 2026-11-01 and 2026-12-01"#),
        Valid(#"did "Signed In" before 2026-01-01"#),
        Valid(#"did "Signed In" after 2026-06-30T12:00:00Z"#),
        Valid(#"did "Location Updated" where properties.zone = "duty-free" within 15 minutes"#),
        Valid(#"did "Page Viewed" where context.device.type in ["mobile", "tablet"] and properties.seconds >= 30"#),
        Valid(#"did "App Opened" within 1 minute"#),
        Valid(#"did "App Opened" within 6 months"#),
        Valid(#"did "App Opened" within 2 hours"#),
        // Aggregates.
        Valid(#"sum of properties.revenue for "Order Completed" within 1 year > 500"#),
        Valid(#"count of "Page Viewed" where properties.path starts with "/insurance" within 14 days >= 3"#),
        Valid(#"count of "Order Completed" = 0"#),
        Valid(#"min of properties.total for "Order Completed" <= 10"#),
        Valid(#"max of properties.total for "Order Completed" between 2026-01-01 and 2026-02-01 != 0"#),
        Valid(#"avg of context.sessionLength for "Session Ended" where properties.app = "ios" < 12.5"#),
        // Sequences.
        Valid(#"did "Product Viewed" then "Product Added" then "Order Completed" within 1 hour"#),
        Valid(#"did "Product Viewed" where properties.sku = "A1" then "Order Completed" where properties.sku = "A1""#),
        // Membership and consent.
        Valid(#"in audience "Travellers""#),
        Valid(#"consent marketing.email = "y""#),
        Valid(#"consent share = "n""#),
        Valid(#"consent personalize.push = "U""#, #"consent personalize.push = "u""#),
        // Combinators, precedence and parentheses.
        Valid("has email or has phone and has crmId", "has email or (has phone and has crmId)"),
        Valid("(has email or has phone) and has crmId"),
        Valid("not (has email or has phone)"),
        Valid("not not has email"),
        Valid("((has email))", "has email"),
        Valid("has a and has b and has c or has d", "(has a and has b and has c) or has d"),
        Valid("has a and (has b and has c)"),
        Valid(#"not did "Order Completed" within 7 days and in audience "Lapsed""#),
        // Case-insensitive keywords, comments, line breaks.
        Valid(
            #"ATTRIBUTE tier = "gold" AND Has email OR NOT did "X" WITHIN 7 DAYS"#,
            #"(attribute tier = "gold" and has email) or not did "X" within 7 days"#),
        Valid("has email # people we can write to\nand has phone", "has email and has phone"),
        Valid("# leading comment\n\n  has email  \n# trailing comment", "has email"),
        Valid(##"attribute tag = "#vip" # a hash inside quotes is not a comment"##, ##"attribute tag = "#vip""##),
        // Unicode and escapes in strings.
        Valid(#"attribute address.city = "Zürich""#),
        Valid(#"did "注文完了" where properties.note contains "🎉""#),
        Valid(#"attribute nickname = "say \"hi\" \\ then\nbye\t!""#),
        Valid(#"attribute code = "\u{e9}t\u{E9}""#, #"attribute code = "été""#),
    ]
}
