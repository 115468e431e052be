import Identity
import Testing
import TesseraCore

@Suite struct BatchObserveTests {
    /// Records of a few hundred people under rules that refuse, flag and evict, with repeats and
    /// blocked values, so that every path of `observe` runs.
    static func records(seed: UInt64, count: Int) -> [Observation] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { position in
            let person = Int(random.next() % 300)
            let pool = [
                Identity(namespace: "anonymousId", value: "a\(person)-\(random.next() % 3)"),
                Identity(namespace: "userId", value: "u\(random.next() % 7 == 0 ? person + 1 : person)"),
                Identity(namespace: "email", value: "p\(person)@example.com"),
                Identity(namespace: "deviceId", value: "kiosk-\(person % 5)"),
                Identity(namespace: "email", value: "null"),
            ]
            let identities = (0..<Int(1 + random.next() % 4)).map { _ in pool[Int(random.next() % 5)] }
            let provenance = evidence(Int64(position), days: Double(position) / 50)
            return Observation(identities: identities, provenance: provenance)
        }
    }

    @Test("a batch decides exactly as the same records one by one", arguments: [7, 8, 9])
    func sameAsOneByOne(seed: UInt64) {
        let rules = IdentityRules(maxIdentitiesPerProfile: 8, sharedIdentityThreshold: 3)
        let records = Self.records(seed: seed, count: 3_000)
        let single = IdentityGraph(rules: rules)
        let singleResolutions = records.map { single.observe($0.identities, provenance: $0.provenance) }
        let batched = IdentityGraph(rules: rules)
        var batchedResolutions: [Resolution] = []
        for start in stride(from: 0, to: records.count, by: 700) {
            batchedResolutions += batched.observe(Array(records[start..<min(start + 700, records.count)]))
        }

        #expect(batchedResolutions.count == singleResolutions.count)
        for (one, other) in zip(singleResolutions, batchedResolutions) {
            #expect(one.profile == other.profile && one.identities == other.identities)
            #expect(one.entries == other.entries && one.ignored == other.ignored && one.splits == other.splits)
        }
        #expect(batched.log == single.log)
        #expect(batched.profilesByID == single.profilesByID)
        #expect(single.log.contains { if case .refused = $0.change { true } else { false } })
        #expect(single.log.contains { if case .evicted = $0.change { true } else { false } })
    }

    @Test("an empty batch changes nothing")
    func emptyBatch() {
        let graph = IdentityGraph(rules: .defaults)
        #expect(graph.observe([]).isEmpty)
        #expect(graph.lastSequence == 0)
    }
}
