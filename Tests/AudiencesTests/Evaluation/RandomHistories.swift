import Audiences
import TesseraCore

/// Random rules and event histories over a small vocabulary, so that random choices collide often
/// enough to exercise every condition (test data only).
struct RandomHistories {
    /// SplitMix64: small, fast and reproducible from a seed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let start = Timestamp(milliseconds: 1_764_720_000_000)
    static let events = ["A", "B", "C"]
    var random: Generator

    init(seed: UInt64) { random = Generator(state: seed) }

    mutating func pick<T>(_ choices: [T]) -> T { choices.randomElement(using: &random)! }
    mutating func number(_ range: ClosedRange<Int64>) -> Int64 { Int64.random(in: range, using: &random) }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    // MARK: - Rules

    /// A random rule; `audiences` are names it may refer to.
    mutating func rule(depth: Int = 0, audiences: [String] = []) -> AudienceRule {
        if depth < 2, chance(40) {
            let children = (0..<Int(number(2...3))).map { _ in rule(depth: depth + 1, audiences: audiences) }
            return chance(50) ? .and(children) : .or(children)
        }
        if depth < 3, chance(10) { return .not(rule(depth: depth + 1, audiences: audiences)) }
        if !audiences.isEmpty, chance(8) { return .audience(name: pick(audiences)) }
        switch number(0...6) {
        case 0: return .attribute(AttributeCondition(path: pick(["tier", "age"]), test: valueTest()))
        case 1: return .identity(namespace: pick(["email", "phone"]))
        case 2, 3:
            return .event(
                EventCondition(event: pick(Self.events), filters: filters(), quantifier: quantifier(), window: window())
            )
        case 4:
            let function = pick(AggregateFunction.allCases)
            return .aggregate(
                AggregateCondition(
                    function: function, field: function == .count ? nil : "properties.n", event: pick(Self.events),
                    filters: filters(), window: window(), comparison: pick([.greater, .lessOrEqual, .equal]),
                    threshold: function == .count ? .int(number(0...3)) : .int(number(0...12))))
        case 5:
            let steps = (0..<Int(number(2...3))).map { _ in SequenceStep(event: pick(Self.events), filters: filters()) }
            return .sequence(
                SequenceCondition(steps: steps, within: chance(50) ? AudienceDuration(number(1...3), .hour) : nil))
        default:
            return .consent(
                ConsentCondition(purpose: "marketing", channel: "email", answer: pick(ConsentAnswer.allCases)))
        }
    }

    mutating func valueTest() -> ValueTest {
        switch number(0...3) {
        case 0: return .exists
        case 1: return .oneOf([.string("gold"), .int(30)])
        case 2: return .compare(pick([.equal, .notEqual]), pick([.string("gold"), .string("silver"), .int(30)]))
        default: return .compare(pick([.less, .greaterOrEqual]), .int(number(20...50)))
        }
    }

    mutating func filters() -> [EventFilter] {
        guard chance(40) else { return [] }
        return chance(50)
            ? [EventFilter(path: "properties.n", test: .compare(pick([.greater, .lessOrEqual]), .int(number(0...9))))]
            : [EventFilter(path: "properties.k", test: .compare(.equal, .string(pick(["x", "y"]))))]
    }

    mutating func quantifier() -> EventQuantifier {
        switch number(0...2) {
        case 0: return .atLeast(number(1...3))
        case 1: return .atMost(number(0...2))
        default: return .exactly(number(0...2))
        }
    }

    mutating func window() -> TimeWindow {
        switch number(0...4) {
        case 0, 1: return .within(AudienceDuration(number(1...4), .hour))
        case 2:
            let from = Self.start.adding(milliseconds: number(0...5) * 3_600_000)
            return .between(
                AudienceDate(timestamp: from, hasTime: true),
                AudienceDate(timestamp: from.adding(milliseconds: 3 * 3_600_000), hasTime: true))
        case 3:
            return .after(
                AudienceDate(timestamp: Self.start.adding(milliseconds: number(0...8) * 3_600_000), hasTime: true))
        default: return .allTime
        }
    }

    // MARK: - Histories

    /// Events arriving over about ten hours: each with its arrival time (the moment it is
    /// evaluated) and its own time, sometimes up to two hours in the past.
    mutating func arrivals(count: Int, firstSequence: Int64) -> [(arrival: Timestamp, event: AudienceEvent)] {
        var now = Self.start
        var result: [(Timestamp, AudienceEvent)] = []
        for offset in 0..<count {
            now = now.adding(milliseconds: number(0...40) * 60_000)
            let late = chance(20) ? number(1...120) * 60_000 : 0
            let properties: JSONValue = [
                "n": chance(85) ? .int(number(0...9)) : "none", "k": .string(pick(["x", "y"])),
            ]
            let event = AudienceEvent(
                name: pick(Self.events), time: now.adding(milliseconds: -late),
                sequence: firstSequence + Int64(offset), properties: properties)
            result.append((now, event))
        }
        return result
    }

    /// A profile's attributes, identities and consent.
    mutating func profile() -> (attributes: JSONValue, identities: Set<String>, consent: [String: ConsentAnswer]) {
        var attributes: [String: JSONValue] = [:]
        if chance(70) { attributes["tier"] = .string(pick(["gold", "silver"])) }
        if chance(70) { attributes["age"] = chance(80) ? .int(number(18...60)) : "unknown" }
        var identities: Set<String> = []
        if chance(60) { identities.insert("email") }
        if chance(30) { identities.insert("phone") }
        let consent: [String: ConsentAnswer] = chance(50) ? ["marketing.email": pick(ConsentAnswer.allCases)] : [:]
        return (.object(attributes), identities, consent)
    }
}
