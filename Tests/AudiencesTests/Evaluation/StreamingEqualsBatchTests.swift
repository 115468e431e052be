import Audiences
import TesseraCore
import Testing

/// Streaming (each event into incremental state as it arrives, then the compiled rules) and batch
/// (a columnar snapshot of all profiles, evaluated with bitsets) give the same members.
@Suite struct StreamingEqualsBatchTests {
    @Test("random histories and rules: streaming and batch memberships are equal", arguments: 0..<25)
    func sameMembers(seed: Int) throws {
        var random = RandomHistories(seed: UInt64(seed) &* 104_729 &+ 11)
        var definitions: [AudienceDefinition] = []
        for index in 0..<12 {
            let rule = random.rule(audiences: definitions.map(\.name))
            definitions.append(AudienceDefinition(id: Int64(index + 1), name: "a\(index)", rule: rule))
        }
        let plan = try StreamingPlan(audiences: definitions)
        var builder = AudienceSnapshot.Builder(rules: definitions.map(\.rule))
        var streamed: [String: Set<Int32>] = [:]
        var end = RandomHistories.start
        var people: [(row: Int32, facts: ProfileFacts, state: StreamingState)] = []
        for person in 0..<40 {
            let profile = random.profile()
            let row = builder.addProfile(
                id: Int64(person), attributes: profile.attributes, computed: [:],
                identityNamespaces: profile.identities, consent: profile.consent)
            var state = StreamingState()
            var now = RandomHistories.start
            for (arrival, event) in random.arrivals(
                count: Int(random.number(0...25)), firstSequence: Int64(person) * 100)
            {
                now = max(now, arrival)
                state.observe(event, plan: plan, at: now)
                builder.addEvent(row: row, event)
            }
            end = max(end, now)
            let facts = ProfileFacts(
                attributes: profile.attributes, identityNamespaces: profile.identities, consent: profile.consent,
                history: state.history(plan: plan))
            people.append((row, facts, state))
        }
        let evaluatedAt = end.adding(milliseconds: random.number(0...120) * 60_000)
        for (row, facts, state) in people {
            var pruned = state
            pruned.prune(at: evaluatedAt)
            var current = facts
            current.history = pruned.history(plan: plan)
            var members = AudienceFlags(count: plan.ordered.count)
            for (position, audience) in plan.ordered.enumerated()
            where plan.compiled[position].holds(
                for: current, members: members, state: pruned, plan: plan, at: evaluatedAt)
            {
                members.set(position, true)
                streamed[audience.name, default: []].insert(row)
            }
        }
        let partial = streamed.values.filter { $0.count < people.count }.count
        #expect(partial >= 2, "seed \(seed): too few audiences hold for some profiles but not all to compare")
        let batch = try BatchEvaluator(snapshot: builder.build()).evaluate(
            plan.ordered.map { (name: $0.name, rule: $0.rule) }, at: evaluatedAt)
        for audience in plan.ordered {
            let rows = Set(batch[audience.name]?.members() ?? [])
            #expect(rows == streamed[audience.name] ?? [], "seed \(seed): \(audience.name) = \(audience.rule.text)")
        }
    }
}
