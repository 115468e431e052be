import Storage
import Testing
import TesseraCore

@Suite("Dead letters")
struct DeadLetterTests {
    private func deadLetter(source: Int64?, code: String = "missing_field", index: Int? = 2) -> IncomingDeadLetter {
        IncomingDeadLetter(
            sourceID: source, route: "/v1/batch", code: code, message: "userId or anonymousId is required",
            field: "batch[2].userId", index: index, receivedAt: Timestamp(milliseconds: 1_780_000_000_000),
            body: Array(#"{"type":"track"}"#.utf8), truncated: true)
    }

    @Test("dead letters are stored with every field, with or without a source")
    func stored() async throws {
        try await withStore { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let receipt = try await store.submit(
                CommitBatch(
                    records: [record("m-1", source: source.id)],
                    deadLetters: [
                        deadLetter(source: source.id), deadLetter(source: nil, code: "unknown_write_key", index: nil),
                    ]))
            #expect(receipt.deadLetterIDs.count == 2)

            let first = try #require(try store.deadLetter(id: receipt.deadLetterIDs[0]))
            #expect(first.sourceID == source.id)
            #expect(first.route == "/v1/batch")
            #expect(first.code == "missing_field")
            #expect(first.message == "userId or anonymousId is required")
            #expect(first.field == "batch[2].userId")
            #expect(first.index == 2)
            #expect(first.receivedAt == Timestamp(milliseconds: 1_780_000_000_000))
            #expect(first.body == Array(#"{"type":"track"}"#.utf8))
            #expect(first.truncated)
            #expect(first.replayedAt == nil)

            let second = try #require(try store.deadLetter(id: receipt.deadLetterIDs[1]))
            #expect(second.sourceID == nil && second.index == nil && second.code == "unknown_write_key")
            #expect(try store.deadLetter(id: 999) == nil)
            #expect(try store.deadLetters(after: nil, limit: 10).map(\.id) == receipt.deadLetterIDs)
            let afterFirst = try store.deadLetters(after: receipt.deadLetterIDs[0], limit: 10)
            #expect(afterFirst.map(\.id) == [receipt.deadLetterIDs[1]])
        }
    }

    @Test("a replay stores its records and marks the dead letter replayed in the same transaction")
    func replay() async throws {
        let clock = ManualClock()
        try await withStore(clock: clock) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let id = try #require(
                try await store.submit(CommitBatch(deadLetters: [deadLetter(source: source.id)])).deadLetterIDs.first)

            clock.advance(by: .seconds(30))
            let receipt = try await store.submit(
                CommitBatch(records: [record("fixed", source: source.id)], replayedDeadLetters: [id]))
            #expect(receipt.outcomes.first != .duplicate)
            #expect(try store.deadLetter(id: id)?.replayedAt == clock.now())
            #expect(try store.eventCount() == 1)
        }
    }

    @Test("replaying twice fails the second batch and keeps none of its records")
    func replayTwice() async throws {
        try await withStore { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let id = try #require(
                try await store.submit(CommitBatch(deadLetters: [deadLetter(source: source.id)])).deadLetterIDs.first)
            _ = try await store.submit(
                CommitBatch(records: [record("first", source: source.id)], replayedDeadLetters: [id]))

            let error = try await #require(throws: StorageError.self) {
                try await store.submit(
                    CommitBatch(records: [record("second", source: source.id)], replayedDeadLetters: [id]))
            }
            #expect(error.kind == .conflict)
            #expect(try store.eventCount() == 1)
            #expect(try store.event(messageID: "second", sourceID: source.id) == nil)
        }
    }

    @Test("replaying a dead letter that does not exist fails with not found")
    func replayMissing() async throws {
        try await withStore { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let error = try await #require(throws: StorageError.self) {
                try await store.submit(
                    CommitBatch(records: [record("x", source: source.id)], replayedDeadLetters: [42]))
            }
            #expect(error.kind == .notFound)
            #expect(try store.eventCount() == 0)
        }
    }
}
