import Audiences
import Identity
import Segmentation
import Storage
import TesseraCore
import TesseraTesting
import Unification

/// A store on disk with the profile engine and the audience engine, on a manual clock.
final class AudienceHarness: Sendable {
    let directory: TemporaryDirectory
    let store: Store
    let profiles: ProfileEngine
    let audiences: AudienceEngine
    let reader: ProfileReader
    let clock: ManualClock
    let source: Int64

    /// The moment tests start at.
    static let start = Timestamp(milliseconds: 1_764_720_000_000)

    /// Opens a store; `reopening` reuses an earlier harness's directory (a restart).
    init(reopening: TemporaryDirectory? = nil, clock: ManualClock = ManualClock(AudienceHarness.start)) async throws {
        let directory = try reopening ?? TemporaryDirectory(prefix: "tessera-segmentation")
        let profiles = ProfileEngine(logger: Logger(label: "test", level: .critical))
        var configuration = Store.Configuration()
        configuration.synchronous = .off
        configuration.logger = Logger(label: "test", level: .critical)
        let store = try Store(directory: directory.path, configuration: configuration, participants: [profiles])
        let audiences = AudienceEngine(
            store: store, profiles: profiles, clock: clock, logger: Logger(label: "test", level: .critical))
        try await store.transaction { connection in
            try profiles.load(in: connection)
            try audiences.load(in: connection)
        }
        self.directory = directory
        self.store = store
        self.profiles = profiles
        self.audiences = audiences
        self.clock = clock
        reader = ProfileReader(store: store, engine: profiles)
        if let existing = try store.source(name: "test") {
            source = existing.id
        } else {
            source = try await store.addSource(name: "test", writeKey: "wk_test").id
        }
    }

    func close() { store.close() }

    func finish() {
        store.close()
        directory.remove()
    }

    /// Stores records in one commit, at the clock's time.
    func commit(_ records: [Segment]) async throws {
        _ = try await store.submit(CommitBatch(records: records.map { $0.incoming(source: source) }))
    }

    /// Saves an audience from rule text.
    @discardableResult
    func create(_ name: String, _ rule: String) async throws -> Audience {
        try await audiences.create(name: name, rule: try AudienceParser.parse(rule))
    }

    func profile(_ userID: String) throws -> Int64? {
        try reader.profileID(namespace: "userId", value: userID)?.rawValue
    }

    /// The user ids of an audience's current members.
    func members(_ audience: Audience) throws -> Set<String> {
        var users: Set<String> = []
        for membership in try audiences.members(of: audience.id, after: nil, limit: 10_000) {
            let document = try reader.document(
                of: ProfileID(rawValue: membership.profileID), policyName: nil, fields: nil)
            for identity in document?["identities"]?.arrayValue ?? [] where identity["namespace"] == "userId" {
                users.insert(identity["value"]?.stringValue ?? "")
            }
        }
        return users
    }

    /// Advances the clock and runs what fell due.
    func advance(milliseconds: Int64) async throws {
        clock.advance(milliseconds: milliseconds)
        try await audiences.runDue(at: clock.now())
    }
}

/// A Segment record at a given time.
struct Segment: Sendable {
    var kind: String
    var body: [String: JSONValue]
    var time: Timestamp

    /// A track call; a user id starting with `anon-` is sent as the anonymous id instead.
    static func track(
        _ userID: String, _ event: String, at time: Timestamp, properties: [String: JSONValue] = [:]
    ) -> Segment {
        var body: [String: JSONValue] = ["event": .string(event), "properties": .object(properties)]
        body[userID.hasPrefix("anon-") ? "anonymousId" : "userId"] = .string(userID)
        return Segment(kind: "track", body: body, time: time)
    }

    static func identify(
        _ userID: String, at time: Timestamp, anonymousID: String? = nil, traits: [String: JSONValue] = [:]
    ) -> Segment {
        var body: [String: JSONValue] = ["userId": .string(userID), "traits": .object(traits)]
        if let anonymousID { body["anonymousId"] = .string(anonymousID) }
        return Segment(kind: "identify", body: body, time: time)
    }

    func incoming(source: Int64) -> IncomingRecord {
        var members = body
        let messageID = RandomID.uuid()
        members["type"] = .string(kind)
        members["messageId"] = .string(messageID)
        members["timestamp"] = .string(time.iso8601)
        return IncomingRecord(
            sourceID: source, messageID: messageID, kind: kind, eventName: body["event"]?.stringValue,
            userID: body["userId"]?.stringValue, anonymousID: body["anonymousId"]?.stringValue, timestamp: time,
            receivedAt: time,
            body: JSONValue.object(members).serializedBytes)
    }
}

extension Int64 {
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
}
