import Audiences
import Testing
import TesseraCore

/// Batch evaluation against the per-profile reference `AudienceEvaluator` on random profiles and rules.
@Suite struct BatchReferenceTests {
    @Test("batch membership equals per-profile evaluation on random histories", arguments: [1, 2, 3, 4])
    func randomHistories(seed: Int) throws {
        var random = RandomCorpus(seed: UInt64(seed))
        let profiles = (0..<700).map { random.profile(id: Int64($0)) }
        let audiences = (0..<40).map { (name: "R\($0)", rule: random.rule(depth: 3, earlier: $0)) }
        let snapshot = BatchFixtures.snapshot(profiles, rules: audiences.map(\.rule))
        let configuration = BatchEvaluator.Configuration(concurrency: 2, chunkRows: 128)
        let evaluator = BatchEvaluator(snapshot: snapshot, configuration: configuration)

        let results = try evaluator.evaluate(audiences, at: BatchFixtures.now)

        var memberships = [Set<String>](repeating: [], count: profiles.count)
        var informative = 0
        for audience in audiences {
            var expected: Set<Int64> = []
            for (index, profile) in profiles.enumerated()
            where AudienceEvaluator.holds(
                audience.rule, for: profile.facts(memberships: memberships[index]),
                at: BatchFixtures.now)
            {
                expected.insert(profile.id)
                memberships[index].insert(audience.name)
            }
            let members = try #require(results[audience.name])
            #expect(BatchFixtures.ids(members, in: snapshot) == expected, "\(audience.rule.text)")
            if (1..<profiles.count).contains(expected.count) { informative += 1 }
        }
        #expect(informative >= audiences.count / 3, "many random audiences hold some but not all profiles")
    }

    @Test("a size estimate over a sample lands near the exact count")
    func sampledEstimate() throws {
        var random = RandomCorpus(seed: 9)
        let profiles = (0..<4_000).map { random.profile(id: Int64($0)) }
        let rule = try AudienceParser.parse(#"has email or did "A" within 2 days"#)
        let snapshot = BatchFixtures.snapshot(profiles, rules: [rule])
        let exact = try BatchEvaluator(snapshot: snapshot).members(of: rule, at: BatchFixtures.now).count
        let sampling = BatchEvaluator.Configuration(estimateSampleRows: 1_024, chunkRows: 128)
        let estimate = try BatchEvaluator(snapshot: snapshot, configuration: sampling)
            .estimateSize(of: rule, at: BatchFixtures.now)
        #expect(exact > 1_000)
        #expect(abs(estimate - exact) < exact / 5)
    }
}

/// Random profiles and rules over a small vocabulary, so that conditions often touch the same data.
struct RandomCorpus {
    var generator: SeededGenerator

    init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    mutating func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0..<choices.count, using: &generator)] }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &generator) < percent }

    static let values: [JSONValue] = [
        "gold", "Gold", "silver", 3, 3.0, 30, 45.5, "30", true, false, .null,
        "2026-11-20", 1_764_000_000_000, ["nested": 1], [1, 2],
    ]

    mutating func profile(id: Int64) -> TestProfile {
        var attributes: [String: JSONValue] = [:]
        for key in ["tier", "age", "at"] where chance(80) { attributes[key] = pick(Self.values) }
        var computed: [String: JSONValue] = [:]
        if chance(70) { computed["orderCount"] = .int(Int64.random(in: 0...4, using: &generator)) }
        var consent: [String: ConsentAnswer] = [:]
        for path in ["marketing", "marketing.email"] where chance(60) { consent[path] = pick(ConsentAnswer.allCases) }
        let namespaces = Set(["email", "phone", "crmId"].filter { _ in chance(40) })
        let events = (0..<Int.random(in: 0...6, using: &generator)).map { _ in event() }
        return TestProfile(
            id: id, attributes: .object(attributes), computed: .object(computed), namespaces: namespaces,
            consent: consent, events: events)
    }

    mutating func event() -> AudienceEvent {
        let day = BatchFixtures.day
        let offset = pick([-day, -day + 1, -day - 1, -2 * day, -3 * day, -3 * day, -10 * day, 0, -BatchFixtures.hour])
        var properties: [String: JSONValue] = [:]
        if chance(80) { properties["n"] = pick([1, 2, 2.5, 5, "2", .null, -1]) }
        if chance(60) { properties["kind"] = pick(["x", "y", "X"]) }
        return AudienceEvent(
            name: pick(["A", "B", "C"]), time: BatchFixtures.at(offset),
            sequence: Int64.random(in: 0..<4, using: &generator), properties: .object(properties),
            context: chance(30) ? ["device": ["type": pick(["mobile", "desktop"])]] : [:])
    }

    mutating func literal() -> AudienceValue {
        pick([
            .string("gold"), .string("30"), .int(3), .int(30), .double(45.5), .bool(true),
            .date(AudienceDate(year: 2026, month: 11, day: 1)), .int(2),
        ])
    }

    mutating func test() -> ValueTest {
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: return .exists
        case 1: return .oneOf([literal(), literal()])
        case 2: return .compare(pick([.contains, .startsWith]), .string(pick(["g", "OL", "x", "3"])))
        case 3: return .compare(pick([.before, .after]), .date(AudienceDate(year: 2026, month: 11, day: 25)))
        default: return .compare(pick([.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]), literal())
        }
    }

    mutating func filters() -> [EventFilter] {
        (0..<Int.random(in: 0...2, using: &generator)).map { _ in
            EventFilter(path: pick(["properties.n", "properties.kind", "context.device.type"]), test: test())
        }
    }

    mutating func window() -> TimeWindow {
        let date = AudienceDate(timestamp: BatchFixtures.at(-2 * BatchFixtures.day), hasTime: true)
        return pick([
            .allTime, .within(AudienceDuration(1, .day)), .within(AudienceDuration(3, .day)), .before(date),
            .after(date),
            .between(AudienceDate(timestamp: BatchFixtures.at(-10 * BatchFixtures.day), hasTime: true), date),
        ])
    }

    mutating func rule(depth: Int, earlier: Int) -> AudienceRule {
        if depth > 0 && chance(45) {
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: return .and([rule(depth: depth - 1, earlier: earlier), rule(depth: depth - 1, earlier: earlier)])
            case 1: return .or([rule(depth: depth - 1, earlier: earlier), rule(depth: depth - 1, earlier: earlier)])
            default: return .not(rule(depth: depth - 1, earlier: earlier))
            }
        }
        return condition(earlier: earlier)
    }

    mutating func condition(earlier: Int) -> AudienceRule {
        switch Int.random(in: 0..<9, using: &generator) {
        case 0:
            return .attribute(
                AttributeCondition(path: pick(["tier", "age", "at", "computed.orderCount"]), test: test()))
        case 1: return .identity(namespace: pick(["email", "phone", "crmId"]))
        case 2:
            let answer: ConsentAnswer = pick(ConsentAnswer.allCases)
            return .consent(ConsentCondition(purpose: "marketing", channel: pick([nil, "email"]), answer: answer))
        case 3 where earlier > 0: return .audience(name: "R\(Int.random(in: 0..<earlier, using: &generator))")
        case 4, 5:
            let bound = Int64.random(in: 0...3, using: &generator)
            return .event(
                EventCondition(
                    event: pick(["A", "B", "C"]), filters: filters(),
                    quantifier: pick([.atLeast(max(1, bound)), .atMost(bound), .exactly(bound)]), window: window()))
        case 6:
            let function: AggregateFunction = pick(AggregateFunction.allCases)
            return .aggregate(
                AggregateCondition(
                    function: function, field: function == .count ? nil : "properties.n", event: pick(["A", "B"]),
                    filters: filters(), window: window(),
                    comparison: pick([.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]),
                    threshold: pick([.int(0), .int(1), .int(2), .double(2.5), .int(4)])))
        case 7, 8:
            let steps = (0..<Int.random(in: 2...3, using: &generator)).map { _ in
                SequenceStep(event: pick(["A", "B", "C"]), filters: chance(30) ? filters() : [])
            }
            return .sequence(SequenceCondition(steps: steps, within: pick([nil, AudienceDuration(1, .day)])))
        default: return .identity(namespace: "email")
        }
    }
}
