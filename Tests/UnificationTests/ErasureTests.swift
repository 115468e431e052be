import Identity
import Storage
import TesseraCore
import TesseraTesting
import Testing
import Unification

/// Erasing profiles from the engine: the rest of the graph survives, in memory and after a rebuild
/// from the log, no erased id is handed out again, and suppressed identities keep records out.
@Suite struct ErasureTests {
    @Test("erasing one person leaves the others whole, now and after the graph is rebuilt from the log")
    func othersSurvive() async throws {
        var harness = try await EngineHarness()
        try await harness.commit([
            .identify("a-1", minute: 0, userID: "u-a", anonymousID: "anon-a", traits: ["email": "a@example.com"]),
            .order("a-2", minute: 1, userID: "u-a", revenue: 5),
            .identify("b-1", minute: 2, userID: "u-b", anonymousID: "anon-b", traits: ["plan": "pro"]),
            // A second user id for anon-b is refused (userId is unique): the refusal names both people,
            // and the record joins the timeline of u-a.
            .identify("x-1", minute: 3, userID: "u-a", anonymousID: "anon-b"),
        ])
        let a = try #require(try harness.profileID(of: "userId:u-a"))
        let b = try #require(try harness.profileID(of: "userId:u-b"))
        #expect(a != b)
        let engine = harness.engine
        let erasure = try await harness.store.transaction { connection in
            try engine.erase([a.rawValue], in: connection)
        }
        #expect(
            Set(erasure.identities.map(\.description)) == ["userId:u-a", "anonymousId:anon-a", "email:a@example.com"])
        #expect(erasure.events.count == 3 && erasure.counts["identities"] == 3 && erasure.counts["fragments"] == 1)
        #expect((erasure.counts["identityLog"] ?? 0) >= 4)
        try await expectOnlyB(harness, b: b)

        harness.close()
        harness = try await EngineHarness(reopening: harness.directory)
        defer { harness.finish() }
        try await expectOnlyB(harness, b: b)
        try await harness.commit([.identify("c-1", minute: 10, userID: "u-c")])
        let c = try #require(try harness.profileID(of: "userId:u-c"))
        #expect(c.rawValue > max(a.rawValue, b.rawValue), "an erased profile's id is never handed out again")
    }

    private func expectOnlyB(_ harness: EngineHarness, b: ProfileID) async throws {
        #expect(try harness.profileID(of: "userId:u-a") == nil)
        #expect(try harness.profileID(of: "email:a@example.com") == nil)
        #expect(try harness.profileID(of: "userId:u-b") == b)
        let document = try #require(try harness.document(of: "anonymousId:anon-b"))
        #expect(EngineHarness.identities(in: document) == ["userId:u-b", "anonymousId:anon-b"])
        #expect(document["attributes"]?["plan"] == "pro")
        #expect(try await harness.explain("anonymousId:anon-b", "userId:u-b").joined)
        let unknown = try await harness.explain("userId:u-a", "anonymousId:anon-b")
        #expect(!unknown.joined && unknown.reasons.contains(.unknownIdentity(Identity("userId:u-a"))))
    }

    @Test("a plan made outside the writer is used when it still holds, and redone when it does not")
    func plans() async throws {
        let harness = try await EngineHarness()
        defer { harness.finish() }
        try await harness.commit([
            .identify("a-1", minute: 0, userID: "u-a", anonymousID: "anon-a"),
            .identify("b-1", minute: 1, userID: "u-b", anonymousID: "anon-b"),
        ])
        let a = try #require(try harness.profileID(of: "userId:u-a"))
        let b = try #require(try harness.profileID(of: "userId:u-b"))
        let engine = harness.engine
        let plan = try #require(try engine.prepareErasure(of: [a.rawValue, b.rawValue], store: harness.store))
        // Logged after the plan's snapshot, about somebody else: the plan still holds.
        try await harness.commit([.identify("c-1", minute: 2, userID: "u-c", anonymousID: "anon-c")])
        let erasure = try await harness.store.transaction { connection in
            try engine.erase([a.rawValue], plan: nil, in: connection)
        }
        #expect(erasure.identities.count == 2)
        // The plan was made for a and b; a is gone, so it no longer holds and b is erased in full.
        try await harness.commit([.identify("b-2", minute: 3, userID: "u-b", traits: ["email": "b@example.com"])])
        let second = try await harness.store.transaction { connection in
            try engine.erase([b.rawValue], plan: plan, in: connection)
        }
        let erased = Set(second.identities.map(\.description))
        #expect(erased == ["userId:u-b", "anonymousId:anon-b", "email:b@example.com"])
        #expect(try harness.profileID(of: "email:b@example.com") == nil)
        #expect(try harness.profileID(of: "userId:u-c") != nil)

        let c = try #require(try harness.profileID(of: "userId:u-c"))
        let fresh = try #require(try engine.prepareErasure(of: [c.rawValue], store: harness.store))
        try await harness.commit([.identify("d-1", minute: 4, userID: "u-d")])
        let third = try await harness.store.transaction { connection in
            try engine.erase([c.rawValue], plan: fresh, in: connection)
        }
        #expect(third.identities.count == 2 && (third.counts["identityLog"] ?? 0) >= 2)
        #expect(try harness.profileID(of: "userId:u-c") == nil)
        let d = try #require(try harness.profileID(of: "userId:u-d"))
        try await harness.commit([.identify("d-2", minute: 5, userID: "u-d", anonymousID: "anon-d")])
        #expect(
            try harness.profileID(of: "anonymousId:anon-d") == d, "the graph replayed what was logged after the plan")
        let explanation = try await harness.explain("userId:u-d", "anonymousId:anon-d")
        #expect(explanation.joined && explanation.profile == d)
    }

    @Test("identities evicted from the profile earlier are erased with it")
    func evictedIdentities() async throws {
        let harness = try await EngineHarness(maxIdentities: 2)
        defer { harness.finish() }
        try await harness.commit([
            .identify("v-1", minute: 0, userID: "u-1", anonymousID: "anon-1"),
            .identify("v-2", minute: 1, userID: "u-1", anonymousID: "anon-2"),
        ])
        #expect(try harness.profileID(of: "anonymousId:anon-1") == nil, "evicted")
        let profile = try #require(try harness.profileID(of: "userId:u-1"))
        let engine = harness.engine
        let erasure = try await harness.store.transaction { connection in
            try engine.erase([profile.rawValue], in: connection)
        }
        let erased = Set(erasure.identities.map(\.description))
        #expect(erased == ["userId:u-1", "anonymousId:anon-1", "anonymousId:anon-2"])
        let explanation = try await harness.explain("anonymousId:anon-1", "userId:u-1")
        #expect(explanation.reasons.contains(.unknownIdentity(Identity("anonymousId:anon-1"))))
        let log = try harness.store.read { connection in
            try connection.prepare("SELECT entry FROM identity_log").query { try LogEntry(stored: $0.blob(at: 0)) }
        }
        #expect(log.allSatisfy { $0.identities.isEmpty || !$0.identities.contains(Identity("anonymousId:anon-1")) })
    }

    @Test("records carrying a suppressed identity are dropped and counted; others are stored")
    func suppression() async throws {
        let harness = try await EngineHarness()
        defer { harness.finish() }
        // Not a keyed hash: reversing the bytes is enough to tell identities apart in a test.
        let list = SuppressionList(keyedHash: { Array($0.reversed()) })
        harness.engine.suppressions = list
        let added = try await harness.store.transaction { connection in
            try list.add([Identity("email:gone@example.com")], job: "pj_test", at: TestRecord.start, in: connection)
        }
        #expect(added == 1)
        try await harness.commit([
            .identify("s-1", minute: 0, userID: "u-new", traits: ["email": "Gone@Example.com"]),
            .identify("s-2", minute: 1, userID: "u-other", traits: ["email": "other@example.com"]),
        ])
        #expect(try harness.profileID(of: "userId:u-new") == nil)
        #expect(try harness.profileID(of: "userId:u-other") != nil)
        #expect(list.droppedRecords.load(ordering: .relaxed) == 1)
        let stored = try harness.store.read { connection in
            try connection.prepare("SELECT message_id FROM events").query { $0.string(at: 0) }
        }
        #expect(stored == ["s-2"])
    }
}
