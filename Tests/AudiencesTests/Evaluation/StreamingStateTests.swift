import Audiences
import TesseraCore
import Testing

/// Incremental streaming state answers every rule as the full event list does, at every moment.
@Suite struct StreamingStateTests {
    @Test("streaming state and the full history agree on random rules and histories", arguments: 0..<200)
    func agreesWithHistory(seed: Int) throws {
        var random = RandomHistories(seed: UInt64(seed) &* 7_919 &+ 1)
        let rules = (0..<8).map { _ in random.rule() }
        let definitions = rules.enumerated().map { AudienceDefinition(id: Int64($0), name: "r\($0)", rule: $1) }
        let plan = try StreamingPlan(audiences: definitions)
        let keys = StoredKeys(
            atomIDs: plan.atoms.indices.map { Int64($0 * 3 + 1) },
            sequenceIDs: plan.sequences.indices.map { Int64($0 + 7) })
        let profile = random.profile()
        var state = StreamingState()
        var seen: [AudienceEvent] = []
        var now = RandomHistories.start
        for (arrival, event) in random.arrivals(count: 30, firstSequence: 1) {
            now = max(now, arrival)
            state.observe(event, plan: plan, at: now)
            seen.append(event)
            guard random.chance(40) else { continue }
            now = now.adding(milliseconds: random.number(0...90) * 60_000)
            state.prune(at: now)
            state = try StreamingState(stored: state.encoded(keys: keys), keys: keys)
            let streaming = ProfileFacts(
                attributes: profile.attributes, identityNamespaces: profile.identities, consent: profile.consent,
                history: state.history(plan: plan))
            var reference = streaming
            reference.history = EventList(seen)
            for (position, audience) in plan.ordered.enumerated() {
                let expected = AudienceEvaluator.holds(audience.rule, for: reference, at: now)
                #expect(
                    plan.compiled[position].holds(
                        for: streaming, members: AudienceFlags(count: plan.ordered.count), state: state, plan: plan,
                        at: now) == expected,
                    "seed \(seed) at \(now.iso8601): \(audience.rule.text)")
                #expect(AudienceEvaluator.holds(audience.rule, for: streaming, at: now) == expected)
            }
        }
    }

    @Test("the next expiry is when the oldest counted event leaves its window")
    func nextExpiry() throws {
        let rule = try AudienceParser.parse(#"did "A" within 1 hour or did "B" within 3 hours"#)
        let plan = try StreamingPlan(audiences: [AudienceDefinition(id: 1, name: "x", rule: rule)])
        let start = RandomHistories.start
        var state = StreamingState()
        state.observe(AudienceEvent(name: "B", time: start, sequence: 1), plan: plan, at: start)
        state.observe(
            AudienceEvent(name: "A", time: start.adding(milliseconds: 60_000), sequence: 2), plan: plan,
            at: start.adding(milliseconds: 60_000))
        #expect(state.nextExpiry(after: start) == start.adding(milliseconds: 61 * 60_000))
        state.prune(at: start.adding(milliseconds: 61 * 60_000))
        #expect(
            state.nextExpiry(after: start.adding(milliseconds: 61 * 60_000))
                == start.adding(milliseconds: 3 * 3_600_000))
        state.prune(at: start.adding(milliseconds: 3 * 3_600_000))
        #expect(state.isEmpty)
    }

    @Test("an event older than its window on arrival is not kept")
    func lateEvents() throws {
        let rule = try AudienceParser.parse(#"did "A" within 1 hour"#)
        let plan = try StreamingPlan(audiences: [AudienceDefinition(id: 1, name: "x", rule: rule)])
        var state = StreamingState()
        let now = RandomHistories.start
        let expired = AudienceEvent(name: "A", time: now.adding(milliseconds: -3_600_000), sequence: 1)
        let counted = AudienceEvent(name: "A", time: now.adding(milliseconds: -3_599_999), sequence: 2)
        let keptExpired = state.observe(expired, plan: plan, at: now)
        let keptCounted = state.observe(counted, plan: plan, at: now)
        #expect(!keptExpired && keptCounted)
    }

    @Test("merging two profiles' states answers as their joined histories do")
    func absorb() throws {
        var random = RandomHistories(seed: 99)
        let rules = (0..<12).map { _ in random.rule() }
        let plan = try StreamingPlan(
            audiences: rules.enumerated().map { AudienceDefinition(id: Int64($0), name: "r\($0)", rule: $1) })
        var left = StreamingState()
        var right = StreamingState()
        var all: [AudienceEvent] = []
        var now = RandomHistories.start
        for (index, (arrival, event)) in random.arrivals(count: 40, firstSequence: 1).enumerated() {
            if index % 2 == 0 {
                left.observe(event, plan: plan, at: arrival)
            } else {
                right.observe(event, plan: plan, at: arrival)
            }
            all.append(event)
            now = arrival
        }
        left.absorb(right)
        let merged = ProfileFacts(history: left.history(plan: plan))
        var reference = merged
        reference.history = EventList(all)
        for rule in rules {
            #expect(
                AudienceEvaluator.holds(rule, for: merged, at: now)
                    == AudienceEvaluator.holds(rule, for: reference, at: now), "\(rule.text)")
        }
    }

    @Test("dependency order puts audiences after those they name, and refuses circles")
    func dependencyOrder() throws {
        let a = AudienceDefinition(id: 1, name: "A", rule: try AudienceParser.parse(#"in audience "B""#))
        let b = AudienceDefinition(id: 2, name: "B", rule: try AudienceParser.parse("has email"))
        let plan = try StreamingPlan(audiences: [a, b])
        #expect(plan.ordered.map(\.name) == ["B", "A"])
        var change = StreamingPlan.Change()
        change.identities = true
        #expect(plan.affected(by: change).map { plan.ordered[$0].name } == ["B", "A"])
        let c = AudienceDefinition(id: 3, name: "B", rule: try AudienceParser.parse(#"in audience "A""#))
        #expect(throws: AudienceDependencyError(names: ["A", "B", "A"], reason: .cycle)) {
            try StreamingPlan(audiences: [a, c])
        }
    }
}
