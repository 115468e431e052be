import Foundation
import Synchronization
import Testing
import TesseraCore

@testable import Storage

@Suite("WAL checkpoints")
struct CheckpointTests {
    /// A configuration whose WAL asks for a checkpoint past 8 pages.
    private var smallWAL: Store.Configuration {
        var configuration = Store.Configuration.forTests
        configuration.walAutocheckpointPages = 8
        return configuration
    }

    /// A batch of 50 records of about 2 KB each: several 16 KiB WAL pages per commit.
    private func largeBatch(_ round: Int, source: Int64) -> CommitBatch {
        let padding = String(repeating: "x", count: 2_000)
        return CommitBatch(
            records: (0..<50).map { index in
                var record = record("m-\(round)-\(index)", source: source)
                record.body = Array(#"{"type":"track","padding":"\#(padding)"}"#.utf8)
                return record
            })
    }

    /// Frames in the store's WAL, read without copying anything back (a `PASSIVE` checkpoint of
    /// nothing new reports the log's size).
    private func walFrames(_ store: Store) throws -> Int64 {
        let connection = try SQLiteConnection(path: store.databasePath, flags: [.readWrite])
        return try connection.prepare("PRAGMA main.wal_checkpoint(PASSIVE)", cached: false).queryFirst {
            $0.int64(at: 1)
        } ?? -1
    }

    @Test("past the threshold the checkpointer thread copies the WAL back, and nothing is lost")
    func checkpointsOffTheWriter() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try Store(directory: directory.path, configuration: smallWAL)
        let source = try await store.addSource(name: "web", writeKey: "key-web")
        for round in 0..<20 {
            _ = try await store.submit(largeBatch(round, source: source.id))
        }
        let checkpointer = try #require(store.checkpointer)
        let deadline = ContinuousClock.now + .seconds(10)
        while checkpointer.completed.load(ordering: .relaxed) == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(checkpointer.completed.load(ordering: .relaxed) > 0)
        store.close()

        let reopened = try Store(directory: directory.path, configuration: smallWAL)
        defer { reopened.close() }
        #expect(try reopened.eventCount() == 1_000)
    }

    @Test("when the checkpointer is stopped, the writer checkpoints at four times the threshold")
    func writerBackstop() async throws {
        try await withStore(configuration: smallWAL) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            store.checkpointer?.stop()
            for round in 0..<40 {
                _ = try await store.submit(largeBatch(round, source: source.id))
            }
            // 40 commits of several pages each, without any checkpoint, would leave hundreds.
            let frames = try walFrames(store)
            #expect(frames >= 0)
            #expect(frames < 4 * 8 + 40)
        }
    }

    @Test("the writer is asked to checkpoint only at four times the threshold; stop is idempotent")
    func decisions() async throws {
        try await withStore(configuration: smallWAL) { store, _ in
            let checkpointer = try #require(store.checkpointer)
            #expect(!checkpointer.committed(frames: 7))
            #expect(!checkpointer.committed(frames: 8))
            #expect(!checkpointer.committed(frames: 31))
            #expect(checkpointer.committed(frames: 32))
            checkpointer.stop()
            checkpointer.stop()
        }
    }

    @Test("with checkpoints turned off there is no checkpointer")
    func turnedOff() async throws {
        var configuration = Store.Configuration.forTests
        configuration.walAutocheckpointPages = 0
        try await withStore(configuration: configuration) { store, _ in
            #expect(store.checkpointer == nil)
        }
    }
}
