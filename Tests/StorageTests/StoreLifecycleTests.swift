import Foundation
import Storage
import Synchronization
import Testing

@Suite("Store lifecycle")
struct StoreLifecycleTests {
    @Test("the data directory and its parents are created, with the database in tessera.sqlite")
    func createsDirectory() throws {
        let root = TemporaryDirectory()
        defer { root.remove() }
        let store = try Store(directory: root.path + "/nested/data", configuration: .forTests)
        defer { store.close() }
        #expect(store.databasePath == root.path + "/nested/data/tessera.sqlite")
        #expect(FileManager.default.fileExists(atPath: store.databasePath))
        let settings = try store.read { connection in
            try connection.prepare("PRAGMA journal_mode").queryFirst { $0.string(at: 0) }
        }
        #expect(settings == "wal")
        let version = try store.read { connection in
            try connection.prepare("PRAGMA user_version").queryFirst { $0.int64(at: 0) }
        }
        #expect(version == 2)
    }

    @Test("a database from a newer schema version is refused")
    func newerSchema() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try directory.create()
        let connection = try SQLiteConnection(path: directory.path + "/tessera.sqlite")
        try connection.execute("PRAGMA user_version = 99")
        #expect(throws: StorageError.self) { try Store(directory: directory.path, configuration: .forTests) }
    }

    @Test("close commits everything queued, completes every caller, then refuses work")
    func closeDrains() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = Store.Configuration.forTests
        configuration.commitWindow = .seconds(5)
        let store = try Store(directory: directory.path, configuration: configuration)
        let source = try await store.addSource(name: "web", writeKey: "key-web")
        let completions = Completions()
        for index in 0..<100 {
            store.submit(
                CommitBatch(records: [record("m-\(index)", source: source.id)]), completion: completions.handler(index))
        }
        store.close()  // returns only once the queue is drained; the 5 s window is not waited for
        let results = await completions.wait(for: 100, timeout: .zero)
        #expect(results.count == 100)
        #expect(results.values.allSatisfy { (try? $0.get()) != nil })

        let late = try await #require(throws: StorageError.self) {
            try await store.submit(CommitBatch(records: [record("late", source: source.id)]))
        }
        #expect(late.kind == .closed)
        await #expect(throws: StorageError.self) { try await store.setSetting("k", "v") }
        #expect(throws: StorageError.self) { try store.eventCount() }
        store.close()  // idempotent

        let reopened = try Store(directory: directory.path, configuration: .forTests)
        defer { reopened.close() }
        #expect(try reopened.eventCount() == 100)
    }

    @Test("everything acknowledged is readable by a second store opened without closing the first")
    func crashLeavesAcknowledgedData() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = Store.Configuration.forTests
        configuration.synchronous = .full
        let first = try Store(directory: directory.path, configuration: configuration)
        let source = try await first.addSource(name: "web", writeKey: "key-web")
        var acknowledged: [String] = []
        for batch in 0..<5 {
            let records = (0..<20).map { record("m-\(batch)-\($0)", source: source.id) }
            _ = try await first.submit(CommitBatch(records: records))
            acknowledged += records.map(\.messageID)
        }

        // `first` is never closed before the second store reads: to SQLite this is a crashed writer.
        let second = try Store(directory: directory.path, configuration: .forTests)
        defer {
            second.close()
            first.close()
        }
        let stored = try second.events(sourceID: source.id, after: nil, limit: 1_000).map(\.messageID)
        #expect(stored == acknowledged)
        #expect(try second.source(writeKey: "key-web")?.id == source.id)
        let again = try await second.submit(CommitBatch(records: [record("m-0-0", source: source.id)]))
        #expect(again.outcomes == [.duplicate])
    }

    @Test("reads go on while the writer is in the middle of a transaction")
    func readsDoNotWaitForWriter() async throws {
        try await withStore { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            _ = try await store.submit(CommitBatch(records: [record("m-1", source: source.id)]))

            let gate = Gate()
            async let held: Void = store.transaction { connection in
                let insert = try connection.prepare(
                    "INSERT INTO settings (key, value) VALUES ('pending', 'uncommitted')")
                try insert.run()
                gate.enteredAndWait()
            }
            await gate.waitUntilEntered()
            let started = ContinuousClock.now
            #expect(try store.eventCount() == 1)
            #expect(try store.setting("pending") == nil)  // the writer's uncommitted row is invisible
            #expect(started.duration(to: .now) < .seconds(1))
            gate.release()
            try await held
            #expect(try store.setting("pending") == "uncommitted")
        }
    }

    @Test("an admin transaction returns its value after commit and rolls back when it throws")
    func adminTransactions() async throws {
        struct Refused: Error {}
        try await withStore { store, _ in
            let count = try await store.transaction { connection in
                try connection.execute("INSERT INTO settings (key, value) VALUES ('a', '1'), ('b', '2')")
                return connection.changes
            }
            #expect(count == 2)
            await #expect(throws: Refused.self) {
                try await store.transaction { connection in
                    try connection.execute("INSERT INTO settings (key, value) VALUES ('c', '3')")
                    throw Refused()
                }
            }
            #expect(try store.setting("c") == nil)
            #expect(try store.setting("a") == "1")
        }
    }

    @Test("a full disk fails the commit and its callers; the writer keeps running afterwards")
    func diskFull() async throws {
        try await withStore { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            // Cap the file at its current size, as a full disk would.
            try await store.transaction { connection in
                let pages = try connection.prepare("PRAGMA page_count").queryFirst { $0.int64(at: 0) } ?? 0
                try connection.execute("PRAGMA max_page_count = \(pages)")
            }
            let big = (0..<200).map { index in
                var item = record("big-\(index)", source: source.id)
                item.body = Array(repeating: UInt8(ascii: "x"), count: 2_000)
                return item
            }
            let error = try await #require(throws: StorageError.self) {
                try await store.submit(CommitBatch(records: big))
            }
            #expect(error.primaryCode == 13)  // SQLITE_FULL
            #expect(try store.eventCount() == 0)

            try await store.transaction { connection in
                try connection.execute("PRAGMA max_page_count = 1073741823")
            }
            let receipt = try await store.submit(CommitBatch(records: big))
            #expect(receipt.outcomes.allSatisfy { $0 != .duplicate })
            #expect(try store.eventCount() == 200)
        }
    }
}

/// Lets a test hold the writer inside a transaction while it reads.
private final class Gate: Sendable {
    private let entered = Mutex(false)
    private let released = Mutex(false)

    func enteredAndWait() {
        entered.withLock { $0 = true }
        while !released.withLock({ $0 }) {
            usleep(1_000)
        }
    }

    func waitUntilEntered() async {
        while !entered.withLock({ $0 }) {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    func release() {
        released.withLock { $0 = true }
    }
}
