import Identity
import Storage
import TesseraCore
import TesseraTesting
import Testing
import Unification

/// The profile engine as the writer's commit participant, against a real store on disk.
@Suite struct ProfileEngineTests {
    @Test("records committed together resolve in order inside one commit")
    func oneCommit() async throws {
        let harness = try await EngineHarness()
        defer { harness.finish() }
        try await harness.commit([
            .page("c-1", minute: 0, anonymousID: "anon-1"),
            .identify("c-2", minute: 1, userID: "u-1", anonymousID: "anon-1", traits: ["email": "one@example.com"]),
            .order("c-3", minute: 2, userID: "u-1", revenue: 12.5),
        ])
        let profile = try #require(try harness.document(of: "email:one@example.com"))
        #expect(EngineHarness.identities(in: profile) == ["anonymousId:anon-1", "userId:u-1", "email:one@example.com"])
        #expect(profile["computed"]?["orderCount"] == 1 && profile["computed"]?["eventCount"] == 2)
        #expect(profile["computed"]?["lifetimeValue"]?["USD"]?.doubleValue == 12.5)
        #expect(profile["attributes"]?["email"] == "one@example.com")
        #expect(try harness.timeline(of: "anonymousId:anon-1") == ["c-3", "c-2", "c-1"])
    }

    @Test("two profiles made and merged inside one commit leave one state and a redirect")
    func mergeInsideOneCommit() async throws {
        let harness = try await EngineHarness()
        defer { harness.finish() }
        try await harness.commit([
            .page("m-1", minute: 0, anonymousID: "anon-1"),
            .order("m-2", minute: 1, userID: "u-1", revenue: 3),
            .identify("m-3", minute: 2, userID: "u-1", anonymousID: "anon-1", traits: ["plan": "pro"]),
        ])
        let survivor = try #require(try harness.profileID(of: "anonymousId:anon-1"))
        #expect(try harness.profileID(of: "userId:u-1") == survivor)
        let merged = ProfileID(rawValue: survivor.rawValue + 1)
        #expect(try harness.reader.resolve(merged) == survivor, "the younger profile's id redirects")
        let profile = try #require(try harness.reader.document(of: survivor, policyName: nil, fields: nil))
        #expect(profile["computed"]?["eventCount"] == 2 && profile["computed"]?["orderCount"] == 1)
        #expect(profile["attributes"]?["plan"] == "pro")
        #expect(try harness.reader.document(of: merged, policyName: nil, fields: nil) == nil)
    }

    @Test("past the identity limit the least recently seen lowest-priority identity leaves the profile")
    func eviction() async throws {
        let harness = try await EngineHarness(maxIdentities: 3)
        defer { harness.finish() }
        try await harness.commit(
            (1...3).map { TestRecord.identify("e-\($0)", minute: $0, userID: "u-1", anonymousID: "anon-\($0)") })
        #expect(try harness.profileID(of: "anonymousId:anon-1") == nil)
        let profile = try #require(try harness.document(of: "userId:u-1"))
        #expect(EngineHarness.identities(in: profile) == ["userId:u-1", "anonymousId:anon-2", "anonymousId:anon-3"])
        #expect(try harness.timeline(of: "userId:u-1") == ["e-3", "e-2", "e-1"], "the events stay with the person")
        let explanation = try await harness.explain("anonymousId:anon-1", "userId:u-1")
        #expect(!explanation.joined && explanation.reasons.contains(.evicted(Identity("anonymousId:anon-1"))))

        try await harness.commit([.identify("e-4", minute: 4, userID: "u-1", anonymousID: "anon-1")])
        #expect(try harness.profileID(of: "anonymousId:anon-1") == harness.profileID(of: "userId:u-1"))
        #expect(try harness.profileID(of: "anonymousId:anon-2") == nil, "seen again, anon-1 pushes out anon-2")
    }

    @Test("evictions replay on restart: the evicted identity stays out until it is seen again")
    func evictionAfterRestart() async throws {
        let first = try await EngineHarness(maxIdentities: 2)
        try await first.commit(
            (1...3).map { TestRecord.identify("v-\($0)", minute: $0, userID: "u-1", anonymousID: "anon-\($0)") })
        let before = try first.document(of: "userId:u-1")
        first.close()

        let second = try await EngineHarness(maxIdentities: 2, reopening: first.directory)
        defer { second.finish() }
        #expect(try second.document(of: "userId:u-1") == before)
        #expect(try second.profileID(of: "anonymousId:anon-1") == nil)
        #expect(try second.profileID(of: "anonymousId:anon-2") == nil)
        let explanation = try await second.explain("anonymousId:anon-2", "userId:u-1")
        #expect(explanation.reasons.contains(.evicted(Identity("anonymousId:anon-2"))))
        try await second.commit([.page("v-4", minute: 4, anonymousID: "anon-2")])
        let alone = try #require(try second.profileID(of: "anonymousId:anon-2"))
        #expect(try alone != second.profileID(of: "userId:u-1"), "seen alone, it gets a profile of its own")
    }

    @Test("a late record whose own identity is evicted leaves that identity in no profile")
    func lateRecordEvictsItsOwnIdentity() async throws {
        let harness = try await EngineHarness(maxIdentities: 2)
        defer { harness.finish() }
        try await harness.commit([.identify("l-1", minute: 10, userID: "u-1", anonymousID: "anon-new")])
        try await harness.commit([.identify("l-2", minute: 5, userID: "u-1", anonymousID: "anon-old")])
        #expect(try harness.profileID(of: "anonymousId:anon-old") == nil)
        let profile = try #require(try harness.document(of: "userId:u-1"))
        #expect(EngineHarness.identities(in: profile) == ["userId:u-1", "anonymousId:anon-new"])
        #expect(try harness.timeline(of: "userId:u-1") == ["l-2", "l-1"])
    }

    @Test("a reopened store rebuilds the same graph and profiles, and links new records to them")
    func rebuild() async throws {
        let first = try await EngineHarness()
        try await first.commit([
            .identify("r-1", minute: 0, userID: "u-ann", anonymousID: "anon-shared"),
            .identify("r-2", minute: 1, userID: "u-bob", anonymousID: "anon-shared"),
            .order("r-3", minute: 2, userID: "u-bob", revenue: 40),
        ])
        let ann = try first.document(of: "userId:u-ann")
        let bob = try first.document(of: "userId:u-bob")
        let explanation = try await first.explain("userId:u-ann", "userId:u-bob")
        first.close()

        let second = try await EngineHarness(reopening: first.directory)
        defer { second.finish() }
        #expect(try second.document(of: "userId:u-ann") == ann)
        #expect(try second.document(of: "userId:u-bob") == bob)
        #expect(try await second.explain("userId:u-ann", "userId:u-bob") == explanation)
        try await second.commit([.identify("r-4", minute: 3, userID: "u-bob", anonymousID: "anon-bob-phone")])
        let grown = try #require(try second.document(of: "anonymousId:anon-bob-phone"))
        #expect(grown["profileId"] == bob?["profileId"])
        #expect(grown["computed"]?["orderCount"] == 1)
    }

    @Test("a commit rolled back after the engine ran leaves no trace in the engine's memory")
    func rollback() async throws {
        let harness = try await EngineHarness(extraParticipants: [FailingParticipant()])
        defer { harness.finish() }
        try await harness.commit([.order("ok-1", minute: 0, userID: "u-1", revenue: 10)])
        await #expect(throws: StorageError.self) {
            try await harness.commit([
                .identify("poison-1", minute: 1, userID: "u-1", anonymousID: "anon-ghost", traits: ["plan": "gold"]),
                .order("poison-2", minute: 2, userID: "u-1", revenue: 100),
            ])
        }
        try await harness.commit([.order("ok-2", minute: 3, userID: "u-1", revenue: 5)])

        let profile = try #require(try harness.document(of: "userId:u-1"))
        #expect(profile["computed"]?["orderCount"] == 2)
        #expect(profile["computed"]?["lifetimeValue"]?["USD"]?.doubleValue == 15)
        #expect(profile["attributes"]?["plan"] == nil)
        #expect(EngineHarness.identities(in: profile) == ["userId:u-1"])
        let explanation = try await harness.explain("anonymousId:anon-ghost", "userId:u-1")
        #expect(explanation.reasons.contains(.unknownIdentity(Identity("anonymousId:anon-ghost"))))

        try await harness.commit([.page("ok-3", minute: 4, anonymousID: "anon-ghost")])
        let ghost = try #require(try harness.profileID(of: "anonymousId:anon-ghost"))
        #expect(try ghost != harness.profileID(of: "userId:u-1"))
        #expect(try harness.timeline(of: "userId:u-1") == ["ok-2", "ok-1"])
    }

    @Test("a rolled-back first commit, which created the engine's tables, does not block later commits")
    func rollbackOfFirstCommit() async throws {
        let harness = try await EngineHarness(loadsFirst: false, extraParticipants: [FailingParticipant()])
        defer { harness.finish() }
        await #expect(throws: StorageError.self) {
            try await harness.commit([.order("poison-1", minute: 0, userID: "u-1", revenue: 100)])
        }
        try await harness.commit([.order("ok-1", minute: 1, userID: "u-1", revenue: 7)])
        let profile = try #require(try harness.document(of: "userId:u-1"))
        #expect(profile["computed"]?["orderCount"] == 1)
        #expect(try harness.timeline(of: "userId:u-1") == ["ok-1"])
    }

    @Test("unlink and remove move the events anchored on the moved identities and recompute both parts")
    func splitting() async throws {
        let harness = try await EngineHarness()
        defer { harness.finish() }
        try await harness.commit([
            .page("s-1", minute: 0, anonymousID: "anon-web"),
            .identify("s-2", minute: 1, userID: "u-1", anonymousID: "anon-web", traits: ["email": "x@example.com"]),
            .identify("s-3", minute: 2, anonymousID: "anon-mail", traits: ["email": "x@example.com", "optIn": true]),
            .order("s-4", minute: 3, anonymousID: "anon-mail", revenue: 8),
        ])
        let original = try #require(try harness.profileID(of: "userId:u-1"))
        let split = try await harness.engine.unlink(
            Identity("userId:u-1"), Identity("email:x@example.com"), store: harness.store, by: "test")
        #expect(split.didSplit && split.parts.first?.profile == original)

        #expect(try harness.profileID(of: "anonymousId:anon-web") == original)
        let mail = try #require(try harness.document(of: "email:x@example.com"))
        #expect(EngineHarness.identities(in: mail) == ["email:x@example.com", "anonymousId:anon-mail"])
        #expect(mail["computed"]?["orderCount"] == 1 && mail["attributes"]?["optIn"] == true)
        #expect(try harness.timeline(of: "email:x@example.com") == ["s-4", "s-3"])
        let user = try #require(try harness.document(of: "userId:u-1"))
        #expect(user["computed"]?["orderCount"] == 0 && user["attributes"]?["optIn"] == nil)
        #expect(try harness.timeline(of: "userId:u-1") == ["s-2", "s-1"])

        let removal = try await harness.engine.remove(
            Identity("anonymousId:anon-mail"), store: harness.store, by: "test")
        #expect(removal.changed)
        #expect(try harness.timeline(of: "anonymousId:anon-mail") == ["s-4"], "the order was anchored on the cookie")
        #expect(try harness.document(of: "anonymousId:anon-mail")?["computed"]?["orderCount"] == 1)
        #expect(try harness.document(of: "email:x@example.com")?["computed"]?["orderCount"] == 0)
        let nothing = try await harness.engine.remove(
            Identity("anonymousId:anon-mail"), store: harness.store, by: "test")
        #expect(!nothing.changed, "an identity alone in its profile has nothing to leave")
    }

    @Test("a record is anchored on the identity that placed it, not on a shared one ranked above it")
    func anchorSkipsSharedIdentity() async throws {
        let harness = try await EngineHarness()
        defer { harness.finish() }
        try await harness.commit(
            (1...4).map { TestRecord.identify("a-\($0)", minute: $0, userID: "u-kiosk", crmID: "CRM-\($0)") })
        let flagged = try await harness.explain("userId:u-kiosk", "crmId:CRM-4")
        #expect(flagged.reasons.contains(.sharedIdentity(Identity("userId:u-kiosk"))))

        try await harness.commit([
            .identify("a-5", minute: 5, userID: "u-kiosk", anonymousID: "anon-5", traits: ["email": "v@example.com"])
        ])
        let visitor = try #require(try harness.profileID(of: "email:v@example.com"))
        #expect(try harness.profileID(of: "anonymousId:anon-5") == visitor)
        #expect(try harness.profileID(of: "userId:u-kiosk") != visitor)
        #expect(try harness.timeline(of: "email:v@example.com") == ["a-5"])

        _ = try await harness.engine.remove(Identity("email:v@example.com"), store: harness.store, by: "test")
        #expect(try harness.timeline(of: "email:v@example.com") == ["a-5"], "the record follows its anchor")
        #expect(try harness.timeline(of: "anonymousId:anon-5") == [])
    }
}

// MARK: - Harness

/// A store in a temporary directory with a profile engine as its commit participant.
final class EngineHarness: Sendable {
    let directory: TemporaryDirectory
    let engine: ProfileEngine
    let store: Store
    let reader: ProfileReader
    let source: Int64

    /// Opens a store; `reopening` reuses an earlier harness's directory, and without `loadsFirst` the
    /// engine loads on the first commit, as a store without a server would have it.
    init(
        maxIdentities: Int = 50, reopening: TemporaryDirectory? = nil, loadsFirst: Bool = true,
        extraParticipants: [any CommitParticipant] = []
    ) async throws {
        let directory = try reopening ?? TemporaryDirectory(prefix: "tessera-unification")
        var configuration = ProfileEngine.Configuration()
        configuration.rules.maxIdentitiesPerProfile = maxIdentities
        let engine = ProfileEngine(configuration: configuration, logger: Logger(label: "test", level: .critical))
        var storeConfiguration = Store.Configuration()
        storeConfiguration.synchronous = .off
        storeConfiguration.logger = Logger(label: "test", level: .critical)
        let store = try Store(
            directory: directory.path, configuration: storeConfiguration,
            participants: [engine] + extraParticipants)
        if loadsFirst {
            try await store.transaction { connection in try engine.load(in: connection) }
        }
        self.directory = directory
        self.engine = engine
        self.store = store
        reader = ProfileReader(store: store, engine: engine)
        if let existing = try store.source(name: "test") {
            source = existing.id
        } else {
            source = try await store.addSource(name: "test", writeKey: "wk_test").id
        }
    }

    func close() {
        store.close()
    }

    func finish() {
        store.close()
        directory.remove()
    }

    /// Stores records in one commit.
    func commit(_ records: [TestRecord]) async throws {
        let incoming = records.map { $0.incoming(source: source) }
        _ = try await store.submit(CommitBatch(records: incoming))
    }

    func profileID(of identity: String) throws -> ProfileID? {
        let parsed = Identity(identity)
        return try reader.profileID(namespace: parsed.namespace, value: parsed.value)
    }

    func document(of identity: String) throws -> JSONValue? {
        guard let id = try profileID(of: identity) else { return nil }
        return try reader.document(of: id, policyName: nil, fields: nil)
    }

    /// Message ids on the identity's timeline, newest first.
    func timeline(of identity: String) throws -> [String] {
        guard let id = try profileID(of: identity) else { return [] }
        return try reader.events(of: id, before: nil, limit: 1_000).map(\.messageID)
    }

    func explain(_ from: String, _ to: String) async throws -> Explanation {
        try await engine.explain(from: Identity(from), to: Identity(to), store: store)
    }

    /// The identities of a profile document, as NAMESPACE:VALUE.
    static func identities(in document: JSONValue) -> Set<String> {
        Set(
            document["identities"]?.arrayValue?.map {
                ($0["namespace"]?.stringValue ?? "") + ":" + ($0["value"]?.stringValue ?? "")
            } ?? [])
    }
}

/// A Segment record for the engine, with its event time in minutes from a fixed start.
struct TestRecord: Sendable {
    var kind: String
    var messageID: String
    var minute: Int
    var body: [String: JSONValue]

    static let start = Timestamp(milliseconds: 1_714_557_600_000)

    static func page(_ messageID: String, minute: Int, anonymousID: String) -> TestRecord {
        TestRecord(kind: "page", messageID: messageID, minute: minute, body: ["anonymousId": .string(anonymousID)])
    }

    static func identify(
        _ messageID: String, minute: Int, userID: String? = nil, anonymousID: String? = nil, crmID: String? = nil,
        traits: [String: JSONValue] = [:]
    ) -> TestRecord {
        var body: [String: JSONValue] = ["traits": .object(traits)]
        if let userID { body["userId"] = .string(userID) }
        if let anonymousID { body["anonymousId"] = .string(anonymousID) }
        if let crmID {
            body["context"] = ["externalIds": [["id": .string(crmID), "type": "crmId", "encoding": "none"]]]
        }
        return TestRecord(kind: "identify", messageID: messageID, minute: minute, body: body)
    }

    static func order(
        _ messageID: String, minute: Int, userID: String? = nil, anonymousID: String? = nil, revenue: Double
    ) -> TestRecord {
        var body: [String: JSONValue] = [
            "event": "Order Completed", "properties": ["revenue": .double(revenue), "currency": "USD"],
        ]
        if let userID { body["userId"] = .string(userID) }
        if let anonymousID { body["anonymousId"] = .string(anonymousID) }
        return TestRecord(kind: "track", messageID: messageID, minute: minute, body: body)
    }

    func incoming(source: Int64) -> IncomingRecord {
        let time = TestRecord.start.adding(milliseconds: Int64(minute) * 60_000)
        var members = body
        members["type"] = .string(kind)
        members["messageId"] = .string(messageID)
        members["timestamp"] = .string(time.iso8601)
        return IncomingRecord(
            sourceID: source, messageID: messageID, kind: kind, eventName: body["event"]?.stringValue,
            userID: body["userId"]?.stringValue, anonymousID: body["anonymousId"]?.stringValue, timestamp: time,
            receivedAt: time, body: JSONValue.object(members).serializedBytes)
    }
}

/// A participant after the engine that fails every commit storing a record whose message id starts
/// with `poison`, as a full disk or a failing later participant would.
struct FailingParticipant: CommitParticipant {
    struct Failure: Error {}

    func apply(stored: [StoredRecordReference], in connection: SQLiteConnection) throws {
        if stored.contains(where: { $0.record.messageID.hasPrefix("poison") }) { throw Failure() }
    }
}

extension Identity {
    /// `"email:jane@example.com"` as an identity; traps on malformed text (test data only).
    init(_ text: String) {
        self.init(parsing: text)!
    }
}
