import Identity
import Profiles
import Storage
import TesseraCore
import TesseraTesting
import Testing
import Unification

/// Consent in the profile engine: answers kept with their history, `collect = n` enforced as
/// records arrive, and answers following a merge.
@Suite struct ConsentTests {
    static func consent(_ messageID: String, minute: Int, userID: String, _ preferences: [String: Bool]) -> TestRecord {
        TestRecord(
            kind: "track", messageID: messageID, minute: minute,
            body: [
                "event": "Segment Consent Preference Updated", "userId": .string(userID),
                "context": ["consent": ["categoryPreferences": .object(preferences.mapValues { .bool($0) })]],
            ])
    }

    @Test("after collect = n a person's behavioural records are not stored; identify and consent still apply")
    func collectRefused() async throws {
        let harness = try await EngineHarness()
        defer { harness.finish() }
        try await harness.commit([
            .order("c-1", minute: 0, userID: "u-1", revenue: 10),
            Self.consent("c-2", minute: 1, userID: "u-1", ["Analytics": false]),
        ])
        try await harness.commit([
            .order("c-3", minute: 2, userID: "u-1", revenue: 99),
            .identify("c-4", minute: 3, userID: "u-1", traits: ["plan": "pro"]),
            .order("c-5", minute: 4, userID: "u-2", revenue: 5),
        ])
        #expect(try harness.timeline(of: "userId:u-1") == ["c-4", "c-2", "c-1"], "the refused order is gone")
        #expect(harness.engine.consentSuppressed.load(ordering: .relaxed) == 1)
        let profile = try #require(try harness.document(of: "userId:u-1"))
        #expect(profile["computed"]?["orderCount"] == 1 && profile["attributes"]?["plan"] == "pro")
        #expect(profile["consent"]?["collect"]?["value"] == "n")
        #expect(try harness.timeline(of: "userId:u-2") == ["c-5"], "other people are unaffected")
        let stored = try harness.store.events(sourceID: nil, after: nil, limit: 100).map(\.messageID)
        #expect(!stored.contains("c-3"), "not in the event log either")

        try await harness.commit([
            Self.consent("c-6", minute: 5, userID: "u-1", ["Analytics": true]),
            .order("c-7", minute: 6, userID: "u-1", revenue: 1),
        ])
        #expect(try harness.timeline(of: "userId:u-1").first == "c-7", "collection resumes once allowed again")
    }

    @Test("answers keep their history; an older answer arriving late does not replace a newer one")
    func history() async throws {
        let harness = try await EngineHarness()
        defer { harness.finish() }
        try await harness.commit([Self.consent("h-1", minute: 10, userID: "u-1", ["Email": true])])
        try await harness.commit([Self.consent("h-2", minute: 5, userID: "u-1", ["Email": false])])
        let profile = try #require(try harness.document(of: "userId:u-1"))
        #expect(profile["consent"]?["marketing.email"]?["value"] == "y")
        let count = try harness.store.read { connection in
            try connection.prepare("SELECT count(*) FROM consent_history").queryFirst { $0.int64(at: 0) }
        }
        #expect(count == 2)
    }

    @Test("a merged profile's answers move to the survivor, the later answer winning per purpose")
    func merge() async throws {
        let harness = try await EngineHarness()
        defer { harness.finish() }
        try await harness.commit([
            .page("m-1", minute: 0, anonymousID: "anon-1"),
            TestRecord(
                kind: "track", messageID: "m-2", minute: 1,
                body: [
                    "event": "x", "anonymousId": "anon-1",
                    "context": ["consent": ["categoryPreferences": ["Email": true, "SMS": true]]],
                ]),
            Self.consent("m-3", minute: 2, userID: "u-1", ["Email": false]),
        ])
        try await harness.commit([.identify("m-4", minute: 3, userID: "u-1", anonymousID: "anon-1")])
        let profile = try #require(try harness.document(of: "anonymousId:anon-1"))
        #expect(profile["consent"]?["marketing.email"]?["value"] == "n")
        #expect(profile["consent"]?["marketing.sms"]?["value"] == "y")
    }

    @Test("consent set through the engine is recorded for the profile and shown at once")
    func setConsent() async throws {
        let harness = try await EngineHarness()
        defer { harness.finish() }
        try await harness.commit([.identify("s-1", minute: 0, userID: "u-1")])
        let id = try #require(try harness.profileID(of: "userId:u-1"))
        _ = try #require(try harness.document(of: "userId:u-1"), "cached before the change")
        let update = ConsentUpdate(purpose: "share", value: .no, time: Timestamp.now(), basis: nil)
        #expect(
            try await harness.engine.setConsent([update], for: id.rawValue, store: harness.store, by: "admin")
                == id.rawValue)
        #expect(try harness.document(of: "userId:u-1")?["consent"]?["share"]?["value"] == "n")
        #expect(try await harness.engine.setConsent([update], for: 999, store: harness.store, by: "admin") == nil)
    }
}
