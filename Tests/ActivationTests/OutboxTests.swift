@testable import Activation
import Storage
import Testing
import TesseraCore
import TesseraTesting

@Suite(.timeLimit(.minutes(1))) struct OutboxTests {
    @Test("an entry is stored once per idempotency key, pending, with its mapped payload")
    func enqueueOnce() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let outbox = fixture.outbox
        let entry = OutboxEntry(
            destinationID: 1, idempotencyKey: OutboxEntry.key(destinationID: 1, cause: ["audience", "9", "17"]),
            reason: OutboxEntry.reason(audienceEntered: "vip"), profileID: 17, payload: ["email": "a@example.com"],
            createdAt: fixture.clock.now())
        let inserted = try await fixture.store.transaction { connection in
            [try outbox.enqueue(entry, in: connection), try outbox.enqueue(entry, in: connection)]
        }
        #expect(inserted == [true, false])
        let stored = try #require(try outbox.deliveries().first)
        #expect(try outbox.deliveries().count == 1)
        #expect(stored.reason == "audience entered: vip")
        #expect(stored.status.state == .pending)
        #expect(stored.status.attempts == 0)
        #expect(stored.payload == Array("{\"email\":\"a@example.com\"}".utf8))
        #expect(stored.idempotencyKey.hasPrefix("d1-"))
        #expect(try outbox.delivery(id: stored.id) == stored)
    }

    @Test("an entry enqueued in a transaction that rolls back is not stored")
    func rollback() async throws {
        struct Abort: Error {}
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let outbox = fixture.outbox
        let entry = OutboxEntry(
            destinationID: 1, idempotencyKey: "k", reason: "trigger: cart", profileID: nil, payload: [:],
            createdAt: fixture.clock.now())
        await #expect(throws: Abort.self) {
            try await fixture.store.transaction { connection in
                try outbox.enqueue(entry, in: connection)
                throw Abort()
            }
        }
        #expect(try outbox.deliveries().isEmpty)
    }

    @Test("keys derived from the same cause are equal, from different causes differ")
    func derivedKeys() {
        let key = OutboxEntry.key(destinationID: 3, cause: ["audience", "12", "981"])
        #expect(key == OutboxEntry.key(destinationID: 3, cause: ["audience", "12", "981"]))
        #expect(key != OutboxEntry.key(destinationID: 4, cause: ["audience", "12", "981"]))
        #expect(key != OutboxEntry.key(destinationID: 3, cause: ["audience", "129", "81"]))
        #expect(!key.contains("981"))
    }

    @Test("refuses an empty key or reason")
    func invalidEntries() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let outbox = fixture.outbox
        let entry = OutboxEntry(
            destinationID: 1, idempotencyKey: "", reason: "x", profileID: nil, payload: [:],
            createdAt: fixture.clock.now())
        await #expect(throws: ActivationError.self) {
            try await fixture.store.transaction { connection in try outbox.enqueue(entry, in: connection) }
        }
    }

    @Test("lists deliveries by destination and state, page by page, and counts every state")
    func inspection() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        try await fixture.enqueue(5, to: 1)
        try await fixture.enqueue(3, to: 2)
        let firstPage = try fixture.outbox.deliveries(destination: 1, state: .pending, limit: 2)
        #expect(firstPage.map(\.idempotencyKey) == ["key-1-0", "key-1-1"])
        let secondPage = try fixture.outbox.deliveries(destination: 1, after: firstPage.last!.id, limit: 10)
        #expect(secondPage.map(\.idempotencyKey) == ["key-1-2", "key-1-3", "key-1-4"])
        #expect(try fixture.outbox.deliveries(state: .dead).isEmpty)
        #expect(try fixture.outbox.deliveries().count == 8)
        let counts = try fixture.outbox.counts()
        #expect(counts.count == DeliveryState.allCases.count)
        #expect(counts[.pending] == 8)
        #expect(try fixture.outbox.counts(destination: 2)[.pending] == 3)
    }

    @Test("replays only dead deliveries")
    func replayNeedsDead() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        try await fixture.enqueue(1, to: 1)
        let delivery = try #require(try fixture.outbox.deliveries().first)
        let notDead = await #expect(throws: ActivationError.self) { try await fixture.outbox.replay(id: delivery.id) }
        #expect(notDead?.kind == .conflict)
        let missing = await #expect(throws: ActivationError.self) { try await fixture.outbox.replay(id: 999) }
        #expect(missing?.kind == .notFound)
    }

    @Test("purges finished deliveries older than the cutoff")
    func purge() async throws {
        let clock = ManualClock()
        let fixture = try await Fixture(clock: clock)
        defer { fixture.remove() }
        let outbox = fixture.outbox
        try await fixture.enqueue(4, to: 1)
        try await fixture.store.transaction { connection in
            try connection.execute("UPDATE activation_outbox SET state = 'delivered' WHERE id <= 3")
        }
        clock.advance(milliseconds: 1_000)
        #expect(try await outbox.purgeFinished(before: clock.now(), limit: 2) == 2)
        #expect(try await outbox.purgeFinished(before: clock.now(), limit: 2) == 1)
        #expect(try outbox.counts()[.pending] == 1)
    }
}
