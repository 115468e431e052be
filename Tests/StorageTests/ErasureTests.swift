import Storage
import TesseraCore
import Testing

/// Erasing events, dedupe keys and dead letters inside writer transactions.
@Suite struct StoreErasureTests {
    @Test("erased events lose their dedupe keys, in the table and in memory: the same message is new again")
    func eventsAndKeys() async throws {
        try await withStore { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web").id
            let receipt = try await store.submit(
                CommitBatch(records: ["m-1", "m-2", "m-3"].map { record($0, source: source) }))
            let sequences = receipt.outcomes.compactMap { outcome -> Int64? in
                if case .stored(let sequence) = outcome { return sequence }
                return nil
            }
            let erasure = try await store.transaction { connection in
                try store.eraseEvents(Set(sequences.prefix(2)), in: connection)
            }
            #expect(erasure.events == 2 && erasure.dedupeKeys == 2)
            let again = try await store.submit(CommitBatch(records: ["m-1", "m-3"].map { record($0, source: source) }))
            #expect(again.outcomes.first != .duplicate, "m-1 was erased, so it is new")
            #expect(again.outcomes.last == .duplicate, "m-3 stays a duplicate")
        }
    }

    @Test("retention deletes the oldest events up to the first one received after the cutoff")
    func oldestEvents() async throws {
        let clock = ManualClock()
        try await withStore(clock: clock) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web").id
            var records = ["a", "b"].map { record($0, source: source) }
            records[1].receivedAt = clock.now().adding(milliseconds: 10_000)
            _ = try await store.submit(CommitBatch(records: records))
            let cutoff = clock.now().adding(milliseconds: 5_000)
            let deleted = try await store.transaction { connection -> Int in
                let expired = try store.oldestEvents(receivedBefore: cutoff, limit: 10, in: connection)
                #expect(expired.count == 1)
                return try store.eraseEvents(through: expired[0], in: connection).events
            }
            #expect(deleted == 1)
            #expect(try store.events(sourceID: nil, after: nil, limit: 10).map(\.messageID) == ["b"])
        }
    }

    @Test("dead letters holding a value as a JSON string are erased, whatever its ASCII case")
    func deadLetters() async throws {
        try await withStore { store, _ in
            func letter(_ body: String) -> IncomingDeadLetter {
                IncomingDeadLetter(
                    sourceID: nil, route: "/v1/track", code: "missing_field", message: "event is required",
                    field: "event", index: nil, receivedAt: Timestamp(milliseconds: 1_780_000_000_000),
                    body: Array(body.utf8), truncated: false)
            }
            _ = try await store.submit(
                CommitBatch(deadLetters: [
                    letter(#"{"email":"Jane@Example.com"}"#), letter(#"{"email":"janet@example.com"}"#),
                    letter(#"{"note":"jane@example.com is here"}"#),
                ]))
            let erased = try await store.transaction { connection in
                try store.eraseDeadLetters(containing: ["jane@example.com"], in: connection)
            }
            #expect(erased == 1, "only the exact string value, not a longer one or a mention")
        }
    }
}
