import Audiences
import Testing
import TesseraCore

@Suite struct BatchEvaluatorTests {
    /// Rules over `BatchFixtures.profiles` and the profile ids that must match them.
    static let cases: [(String, Set<Int64>)] = [
        (#"attribute tier = "gold""#, [101]),
        (#"attribute tier != "gold""#, [102, 104]),
        (#"not attribute tier = "gold""#, [102, 103, 104, 105]),
        ("attribute tier exists", [101, 102, 104]),
        ("not attribute tier exists", [103, 105]),
        ("attribute age >= 30", [101, 103]),
        ("attribute age = 30", [101]),
        ("attribute age in [30, 45]", [101, 103]),
        (#"attribute tier contains "OL""#, [101, 104]),
        (#"attribute tier starts with "g""#, [101, 104]),
        (#"attribute address.city = "Leeds""#, [101]),
        ("attribute address exists", [101]),
        (#"attribute address = "Leeds""#, []),
        ("attribute createdAt after 2026-01-01", [101]),
        ("attribute createdAt before 2026-01-01", []),
        ("attribute vip = true", [102]),
        ("attribute vip != false", [102]),
        ("computed.orderCount >= 1", [101]),
        ("computed.orderCount = 0", [102]),
        ("computed.lifetimeValue > 900", [101]),
        ("has email", [101, 104]),
        ("has email and not has phone", [104]),
        ("has email or has phone", [101, 102, 104]),
        (#"consent marketing.email = "y""#, [101]),
        (#"consent marketing.email = "u""#, [102, 103, 104, 105]),
        (#"consent marketing = "n""#, [102]),
        (#"consent share = "u""#, [102, 103, 104, 105]),
        (#"did "Order Completed""#, [101, 103, 104]),
        (#"did not "Order Completed""#, [102, 105]),
        (#"did "Order Completed" within 7 days"#, [101, 103, 104]),
        (#"did "Order Completed" within 2 days"#, [101]),
        (#"did "Order Completed" where properties.total > 100"#, [101]),
        (#"did "Order Completed" where context.device.type = "mobile""#, [101]),
        (#"did "Order Completed" at least 2 times"#, [101]),
        (#"did "Order Completed" exactly 1 time"#, [103, 104]),
        (#"did "Order Completed" at most 1 time"#, [102, 103, 104, 105]),
        (#"did "Order Completed" before 2026-11-01"#, [101]),
        (#"did "Order Completed" after 2026-11-01"#, [101, 103, 104]),
        (#"did "Order Completed" between 2026-10-22 and 2026-10-23"#, [101]),
        (#"did "Order Completed" between 2026-10-21 and 2026-10-22"#, []),
        (#"count of "Page Viewed" within 7 days = 1"#, [102]),
        (#"count of "Page Viewed" = 2"#, [102]),
        (#"did "Page Viewed" where properties.path starts with "/insurance" within 7 days"#, [102]),
        (#"count of "Order Completed" = 0"#, [102, 105]),
        (#"sum of properties.total for "Order Completed" < 1"#, [102, 103, 105]),
        (#"sum of properties.total for "Order Completed" >= 220"#, [101]),
        (#"min of properties.total for "Order Completed" < 1000"#, [101, 104]),
        (#"not min of properties.total for "Order Completed" < 1000"#, [102, 103, 105]),
        (#"avg of properties.total for "Order Completed" > 70"#, [101]),
        (#"max of properties.total for "Order Completed" within 30 days = 150"#, [101]),
        (#"did "Product Viewed" then "Order Completed""#, [101, 104]),
        (
            #"did "Product Viewed" where properties.sku = "A1" then "Order Completed" where properties.sku = "A1""#
                + " within 1 hour",
            [101]
        ),
        (#"did "Product Viewed" then "Order Completed" within 59 minutes"#, [104]),
        (#"did "Order Completed" then "Order Completed""#, [101]),
        (#"did "Order Completed" then "Order Completed" then "Order Completed""#, [101]),
        (#"did "Order Completed" then "Product Viewed""#, [101, 103]),
        (#"(has email or attribute vip = true) and not did "Page Viewed""#, [101, 104]),
    ]

    @Test("each condition kind selects the profiles the rule means", arguments: cases)
    func conditions(text: String, expected: Set<Int64>) throws {
        let rule = try AudienceParser.parse(text)
        let snapshot = BatchFixtures.snapshot(BatchFixtures.profiles, rules: [rule])
        let evaluator = BatchEvaluator(snapshot: snapshot)
        let result = try evaluator.evaluate([(name: "A", rule: rule)], at: BatchFixtures.now)
        let members = try #require(result["A"])
        #expect(BatchFixtures.ids(members, in: snapshot) == expected)
        #expect(try evaluator.estimateSize(of: rule, at: BatchFixtures.now) == expected.count)
        let reference = BatchFixtures.profiles.filter {
            AudienceEvaluator.holds(rule, for: $0.facts(), at: BatchFixtures.now)
        }
        #expect(Set(reference.map(\.id)) == expected)
    }

    @Test("audiences read the memberships of audiences earlier in the list and of known ones")
    func audienceOfAudience() throws {
        let staff = try AudienceParser.parse(#"has email"#)
        let named = try AudienceParser.parse(#"attribute tier exists and not in audience "Staff""#)
        let outer = try AudienceParser.parse(#"in audience "Named" or in audience "Known""#)
        let snapshot = BatchFixtures.snapshot(BatchFixtures.profiles, rules: [staff, named, outer])
        let known = MembershipBitmap([4])
        let result = try BatchEvaluator(snapshot: snapshot).evaluate(
            [(name: "Staff", rule: staff), (name: "Named", rule: named), (name: "Outer", rule: outer)],
            at: BatchFixtures.now, known: ["Known": known])
        #expect(BatchFixtures.ids(try #require(result["Staff"]), in: snapshot) == [101, 104])
        #expect(BatchFixtures.ids(try #require(result["Named"]), in: snapshot) == [102])
        #expect(BatchFixtures.ids(try #require(result["Outer"]), in: snapshot) == [102, 105])
    }

    @Test("a rule naming an audience not yet evaluated is refused")
    func unknownAudience() throws {
        let rule = try AudienceParser.parse(#"in audience "Later""#)
        let evaluator = BatchEvaluator(snapshot: BatchFixtures.snapshot(BatchFixtures.profiles, rules: [rule]))
        #expect(throws: BatchEvaluationError.unknownAudience) {
            try evaluator.evaluate(
                [(name: "First", rule: rule), (name: "Later", rule: .identity(namespace: "x"))],
                at: BatchFixtures.now)
        }
    }

    @Test(
        "a rule reading data the snapshot did not keep is refused rather than read as missing",
        arguments: [
            "attribute age > 3", "has crmId", #"consent share = "y""#, #"did "Signed In""#,
            #"did "Order Completed" where properties.coupon exists"#,
            #"sum of properties.discount for "Order Completed" > 1"#,
        ])
    func notInSnapshot(text: String) throws {
        let kept = try AudienceParser.parse(#"attribute tier = "gold" and did "Order Completed""#)
        let evaluator = BatchEvaluator(snapshot: BatchFixtures.snapshot(BatchFixtures.profiles, rules: [kept]))
        let rule = try AudienceParser.parse(text)
        #expect(!evaluator.snapshot.needs.covers(rule))
        #expect(evaluator.snapshot.needs.covers(kept))
        #expect(throws: BatchEvaluationError.notInSnapshot) {
            try evaluator.estimateSize(of: rule, at: BatchFixtures.now)
        }
    }

    @Test("an empty snapshot has no members")
    func emptySnapshot() throws {
        let rule = try AudienceParser.parse("not has email")
        let snapshot = BatchFixtures.snapshot([], rules: [rule])
        let result = try BatchEvaluator(snapshot: snapshot).evaluate([(name: "A", rule: rule)], at: BatchFixtures.now)
        #expect(result["A"]?.count == 0)
        #expect(snapshot.count == 0)
    }

    @Test("events added out of order are grouped by profile and ordered by time and log sequence")
    func outOfOrderEvents() throws {
        let rule = try AudienceParser.parse(#"did "A" then "B" within 1 minute"#)
        var builder = AudienceSnapshot.Builder(rules: [rule])
        for id in 0..<3 {
            builder.addProfile(id: Int64(id), attributes: [:], computed: [:], identityNamespaces: [], consent: [:])
        }
        let time = BatchFixtures.at(-BatchFixtures.hour)
        builder.addEvent(row: 2, AudienceEvent(name: "B", time: time, sequence: 9))
        builder.addEvent(row: 0, AudienceEvent(name: "B", time: time, sequence: 4))
        builder.addEvent(row: 2, AudienceEvent(name: "A", time: time, sequence: 8))
        builder.addEvent(row: 0, AudienceEvent(name: "A", time: time, sequence: 5))
        builder.addEvent(row: 1, AudienceEvent(name: "A", time: time.adding(milliseconds: -60_001), sequence: 1))
        builder.addEvent(row: 1, AudienceEvent(name: "B", time: time, sequence: 2))
        let snapshot = builder.build()
        let members = try BatchEvaluator(snapshot: snapshot).members(of: rule, at: BatchFixtures.now)
        #expect(members.members() == [2])
        #expect(snapshot.eventCount == 6)
    }

    @Test("profiles added in blocks of columns evaluate like profiles added one by one")
    func blocks() throws {
        let rule = try AudienceParser.parse(
            #"attribute tier = "gold" and has email and consent marketing = "y" and did "A" where properties.n > 1"#)
        var builder = AudienceSnapshot.Builder(rules: [rule])
        builder.addProfile(
            id: 7, attributes: ["tier": "gold"], computed: [:], identityNamespaces: ["email"],
            consent: ["marketing": .yes])
        var emails = DenseBitset(universe: 3)
        emails.insert(0)
        emails.insert(2)
        let rows = builder.addProfiles(
            ids: [8, 9, 10], attributes: ["tier": ValueColumn(values: ["silver", "gold"], codes: [2, 2, 0])],
            identities: ["email": emails], consent: ["marketing": [.yes, .yes, .yes]])
        #expect(rows == 1..<4)
        builder.addEvents(
            named: "A", rows: [0, 1, 2, 3], times: [1, 1, 1, 1], sequences: [1, 2, 3, 4],
            fields: ["properties.n": ValueColumn(values: [2, 0], codes: [1, 1, 2, 1])])
        builder.addEvents(named: "Unread", rows: [0], times: [1], sequences: [5], fields: [:])
        let snapshot = builder.build()
        let members = try BatchEvaluator(snapshot: snapshot).members(of: rule, at: BatchFixtures.now)
        #expect(members.members().map { snapshot.profileID(ofRow: $0) } == [7, 8])
    }
}
