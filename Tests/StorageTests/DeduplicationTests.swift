@testable import Storage
import Testing
import TesseraCore

@Suite("Deduplication")
struct DeduplicationTests {
    @Test("a repeated message id inside one batch is stored once")
    func withinBatch() async throws {
        try await withStore { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let receipt = try await store.submit(
                CommitBatch(records: [
                    record("m-1", source: source.id), record("m-2", source: source.id),
                    record("m-1", source: source.id),
                ]))
            #expect(receipt.outcomes.count == 3)
            #expect(receipt.outcomes[2] == .duplicate)
            #expect(receipt.outcomes[0] != .duplicate && receipt.outcomes[1] != .duplicate)
            #expect(try store.eventCount() == 2)
        }
    }

    @Test("a repeated message id in a later batch is a duplicate; another source may reuse it")
    func acrossBatches() async throws {
        try await withStore { store, _ in
            let web = try await store.addSource(name: "web", writeKey: "key-web")
            let ios = try await store.addSource(name: "ios", writeKey: "key-ios")
            let first = try await store.submit(CommitBatch(records: [record("m-1", source: web.id)]))
            let again = try await store.submit(CommitBatch(records: [record("m-1", source: web.id)]))
            let otherSource = try await store.submit(CommitBatch(records: [record("m-1", source: ios.id)]))
            #expect(first.outcomes.first != .duplicate)
            #expect(again.outcomes == [.duplicate])
            #expect(otherSource.outcomes.first != .duplicate)
            #expect(try store.eventCount() == 2)
        }
    }

    @Test("duplicates inside one group commit are caught across batches")
    func withinGroup() async throws {
        var configuration = Store.Configuration.forTests
        configuration.commitWindow = .milliseconds(200)
        try await withStore(configuration: configuration) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let completions = Completions()
            for index in 0..<4 {
                store.submit(
                    CommitBatch(records: [record("same", source: source.id)]), completion: completions.handler(index))
            }
            let results = await completions.wait(for: 4)
            let outcomes = (0..<4).compactMap { try? results[$0]?.get().outcomes.first }
            #expect(outcomes.count == 4)
            #expect(outcomes.filter { $0 == .duplicate }.count == 3)
            #expect(outcomes.first != .duplicate)
        }
    }

    @Test("keys survive closing and reopening the store")
    func acrossRestarts() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let first = try Store(directory: directory.path, configuration: .forTests, clock: clock)
        let source = try await first.addSource(name: "web", writeKey: "key-web")
        _ = try await first.submit(CommitBatch(records: [record("m-1", source: source.id)]))
        first.close()

        let second = try Store(directory: directory.path, configuration: .forTests, clock: clock)
        defer { second.close() }
        let receipt = try await second.submit(
            CommitBatch(records: [record("m-1", source: source.id), record("m-2", source: source.id)]))
        #expect(receipt.outcomes.first == .duplicate)
        #expect(receipt.outcomes.last != .duplicate)
        #expect(try second.eventCount() == 2)
    }

    @Test("a key older than the window no longer counts: the record is stored again")
    func windowExpiry() async throws {
        let clock = ManualClock()
        var configuration = Store.Configuration.forTests
        configuration.dedupeWindow = .seconds(3600)
        try await withStore(configuration: configuration, clock: clock) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let first = try await store.submit(CommitBatch(records: [record("m-1", source: source.id)]))

            clock.advance(by: .seconds(3599))
            let inside = try await store.submit(CommitBatch(records: [record("m-1", source: source.id)]))
            #expect(inside.outcomes == [.duplicate])

            clock.advance(by: .seconds(2))
            let after = try await store.submit(CommitBatch(records: [record("m-1", source: source.id)]))
            guard case .stored(let newer) = after.outcomes.first, case .stored(let older) = first.outcomes.first else {
                Issue.record("the expired key still counted")
                return
            }
            #expect(newer > older)

            // The replacement key counts from its own first sighting.
            let again = try await store.submit(CommitBatch(records: [record("m-1", source: source.id)]))
            #expect(again.outcomes == [.duplicate])
            #expect(try store.event(messageID: "m-1", sourceID: source.id)?.sequence == newer)
        }
    }

    @Test("expired keys are purged in chunks by later commits, and the index forgets them")
    func purge() async throws {
        let clock = ManualClock()
        var configuration = Store.Configuration.forTests
        configuration.dedupeWindow = .seconds(60)
        configuration.dedupePurgeInterval = .seconds(10)
        configuration.dedupePurgeChunk = 4
        configuration.idleCheckInterval = .seconds(3600)  // only commits purge here
        try await withStore(configuration: configuration, clock: clock) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let old = (0..<10).map { record("old-\($0)", source: source.id) }
            _ = try await store.submit(CommitBatch(records: old))
            #expect(try keyCount(store) == 10)

            clock.advance(by: .seconds(61))
            _ = try await store.submit(CommitBatch(records: [record("new-0", source: source.id)]))
            #expect(try keyCount(store) == 7)  // 10 - 4 + 1
            _ = try await store.submit(CommitBatch(records: [record("new-1", source: source.id)]))
            #expect(try keyCount(store) == 4)  // 7 - 4 + 1
            _ = try await store.submit(CommitBatch(records: [record("new-2", source: source.id)]))
            #expect(try keyCount(store) == 3)  // the last 2 expired keys; the purge is then done
            _ = try await store.submit(CommitBatch(records: [record("new-3", source: source.id)]))
            #expect(try keyCount(store) == 4)  // not due again until 10 s later

            // Purged keys no longer find events by message id, though the events stay in the log.
            #expect(try store.event(messageID: "old-0", sourceID: source.id) == nil)
            #expect(try store.eventCount() == 14)
            let again = try await store.submit(CommitBatch(records: [record("old-0", source: source.id)]))
            #expect(again.outcomes.first != .duplicate)
        }
    }

    @Test("an idle writer purges expired keys on its own")
    func idlePurge() async throws {
        let clock = ManualClock()
        var configuration = Store.Configuration.forTests
        configuration.dedupeWindow = .seconds(60)
        configuration.idleCheckInterval = .milliseconds(10)
        try await withStore(configuration: configuration, clock: clock) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            _ = try await store.submit(CommitBatch(records: (0..<5).map { record("m-\($0)", source: source.id) }))
            clock.advance(by: .seconds(3600))

            let deadline = ContinuousClock.now.advanced(by: .seconds(10))
            while try keyCount(store) > 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try keyCount(store) == 0)
            #expect(try store.eventCount() == 5)
        }
    }

    @Test("keys logged by another store on the same file are known before the next commit")
    func otherProcess() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let server = try Store(directory: directory.path, configuration: .forTests, clock: clock)
        defer { server.close() }
        let source = try await server.addSource(name: "web", writeKey: "key-web")
        _ = try await server.submit(CommitBatch(records: [record("warm-up", source: source.id)]))

        let cli = try Store(directory: directory.path, configuration: .forTests, clock: clock)
        let imported = try await cli.submit(CommitBatch(records: [record("imported", source: source.id)]))
        #expect(imported.outcomes.first != .duplicate)
        cli.close()

        let replay = try await server.submit(CommitBatch(records: [record("imported", source: source.id)]))
        #expect(replay.outcomes == [.duplicate])
        #expect(try server.eventCount() == 2)
    }

    private func keyCount(_ store: Store) throws -> Int {
        try store.read { connection in
            try connection.prepare("SELECT count(*) FROM dedupe_keys").queryFirst { Int($0.int64(at: 0)) } ?? -1
        }
    }
}
