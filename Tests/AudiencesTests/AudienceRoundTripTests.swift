import Audiences
import Testing

/// Builds valid rules from a seed, to check that text and JSON round trips hold beyond the hand-written table.
struct RuleGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    }

    private mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }

    private mutating func pick<T>(_ choices: [T]) -> T { choices[next(choices.count)] }

    private mutating func name() -> String {
        pick(["tier", "and", "not", "computed", "_x9", "Has", "within", "emailAddress", "in", "then"])
    }

    private mutating func text() -> String {
        pick(["gold", "", "say \"hi\"", "back\\slash", "tab\there", "Zürich 🎉", "#not a comment", "line\nbreak"])
    }

    private mutating func date() -> AudienceDate {
        let day = AudienceDate(year: Int64(1990 + next(60)), month: Int64(1 + next(12)), day: Int64(1 + next(28)))
        guard next(2) == 0 else { return day }
        let offset = Int64(next(86_400)) * 1000 + Int64(pick([0, 1, 250, 999]))
        return AudienceDate(timestamp: day.timestamp.adding(milliseconds: offset), hasTime: true)
    }

    private mutating func literal() -> AudienceValue {
        switch next(5) {
        case 0: return .string(text())
        case 1: return .int(pick([0, -1, 42, Int64.max, Int64.min]))
        case 2: return .double(pick([0.5, -2.25, 1e-05, 1e21, 100.0, 0.1]))
        case 3: return .bool(next(2) == 0)
        default: return .date(date())
        }
    }

    private mutating func test() -> ValueTest {
        switch next(7) {
        case 0: return .exists
        case 1: return .oneOf((0...next(3)).map { _ in literal() })
        case 2: return .compare(pick([.contains, .startsWith]), .string(text()))
        case 3: return .compare(pick([.before, .after]), .date(date()))
        case 4: return .compare(pick([.less, .lessOrEqual, .greater, .greaterOrEqual]), .int(Int64(next(100))))
        default: return .compare(pick([.equal, .notEqual]), literal())
        }
    }

    private mutating func filters() -> [EventFilter] {
        (0..<next(3)).map { _ in EventFilter(path: pick(["properties", "context"]) + "." + name(), test: test()) }
    }

    private mutating func duration() -> AudienceDuration {
        AudienceDuration(Int64(1 + next(48)), pick(DurationUnit.allCases))
    }

    private mutating func window() -> TimeWindow {
        switch next(5) {
        case 0: return .allTime
        case 1: return .within(duration())
        case 2: return .before(date())
        case 3: return .after(date())
        default:
            let start = date()
            return .between(
                start, AudienceDate(timestamp: start.timestamp.adding(milliseconds: 86_400_000), hasTime: true))
        }
    }

    private mutating func event() -> String { pick(["Order Completed", "注文", "a \"quoted\" event", "x"]) }

    private mutating func condition() -> AudienceRule {
        switch next(8) {
        case 0:
            return .attribute(AttributeCondition(path: pick(["", "computed."]) + name() + "." + name(), test: test()))
        case 1: return .identity(namespace: name())
        case 2:
            let quantifier = pick([EventQuantifier.atLeast(1), .atLeast(3), .atMost(0), .exactly(0), .exactly(2)])
            return .event(EventCondition(event: event(), filters: filters(), quantifier: quantifier, window: window()))
        case 3:
            let function = pick(AggregateFunction.allCases)
            let threshold: AudienceNumber = function == .count ? .int(Int64(next(5))) : pick([.int(-3), .double(2.5)])
            return .aggregate(
                AggregateCondition(
                    function: function, field: function == .count ? nil : "properties." + name(), event: event(),
                    filters: filters(), window: window(),
                    comparison: pick([.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]),
                    threshold: threshold))
        case 4:
            let steps = (0...(1 + next(3))).map { _ in SequenceStep(event: event(), filters: filters()) }
            return .sequence(SequenceCondition(steps: steps, within: next(2) == 0 ? nil : duration()))
        case 5: return .audience(name: event())
        case 6:
            return .consent(
                ConsentCondition(
                    purpose: name(), channel: next(2) == 0 ? nil : name(), answer: pick(ConsentAnswer.allCases)))
        default: return .attribute(AttributeCondition(path: name(), test: test()))
        }
    }

    mutating func rule(depth: Int = 0) -> AudienceRule {
        guard depth < 4 else { return condition() }
        switch next(6) {
        case 0: return .and((0...next(3)).map { _ in rule(depth: depth + 1) } + [condition()])
        case 1: return .or((0...next(3)).map { _ in rule(depth: depth + 1) } + [condition()])
        case 2: return .not(rule(depth: depth + 1))
        default: return condition()
        }
    }
}

@Suite struct AudienceRoundTripTests {
    @Test("generated rules survive text and JSON round trips", arguments: 0..<20)
    func generated(batch: Int) throws {
        for index in 0..<25 {
            var generator = RuleGenerator(seed: UInt64(batch * 25 + index))
            let rule = generator.rule()
            let text = rule.text
            let parsed = try #require(try? AudienceParser.parse(text), "\(text)")
            #expect(parsed == rule, "\(text)")
            #expect(try AudienceRule(json: rule.json) == rule, "\(text)")
        }
    }
}
