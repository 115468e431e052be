import Foundation
import Storage
import Synchronization
import TesseraCore

/// A wall clock that moves only when a test moves it.
final class ManualClock: WallClock {
    private let current: Mutex<Timestamp>

    init(_ start: Timestamp = Timestamp(milliseconds: 1_780_000_000_000)) {
        current = Mutex(start)
    }

    func now() -> Timestamp { current.withLock { $0 } }

    func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        current.withLock { $0 = $0.adding(milliseconds: seconds * 1000 + attoseconds / 1_000_000_000_000_000) }
    }
}

/// A fresh directory under the system's temporary directory, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("tessera-storage-tests-\(RandomID.uuid())").path
    }

    func create() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Collects what `onCommit` reports, from the writer thread.
final class CommitLog: Sendable {
    private let entries = Mutex<[CommitStatistics]>([])

    var handler: @Sendable (CommitStatistics) -> Void {
        { statistics in self.entries.withLock { $0.append(statistics) } }
    }

    var commits: [CommitStatistics] { entries.withLock { $0 } }
}

/// Opens a store in a fresh directory, runs `body`, then closes the store and removes the directory.
func withStore<T>(
    configuration: Store.Configuration = .forTests, clock: any WallClock = ManualClock(),
    participants: [any CommitParticipant] = [], onCommit: (@Sendable (CommitStatistics) -> Void)? = nil,
    _ body: (Store, TemporaryDirectory) async throws -> T
) async throws -> T {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let store = try Store(
        directory: directory.path, configuration: configuration, clock: clock, participants: participants,
        onCommit: onCommit)
    defer { store.close() }
    return try await body(store, directory)
}

extension Store.Configuration {
    /// Defaults with syncs off (tests do not need power-loss safety) and a quiet logger.
    static var forTests: Store.Configuration {
        var configuration = Store.Configuration()
        configuration.synchronous = .off
        configuration.logger.level = .critical
        return configuration
    }
}

/// A `track` record with the given message id.
func record(_ messageID: String, source: Int64, name: String = "Order Completed") -> IncomingRecord {
    IncomingRecord(
        sourceID: source, messageID: messageID, kind: "track", eventName: name, userID: "user-1",
        anonymousID: nil, timestamp: Timestamp(milliseconds: 1_780_000_000_000),
        receivedAt: Timestamp(milliseconds: 1_780_000_000_500),
        body: Array(#"{"type":"track","messageId":"\#(messageID)"}"#.utf8))
}

/// Waits for completion-style submissions.
final class Completions: Sendable {
    private let results = Mutex<[Int: Result<CommitReceipt, StorageError>]>([:])

    func handler(_ index: Int) -> @Sendable (Result<CommitReceipt, StorageError>) -> Void {
        { result in self.results.withLock { $0[index] = result } }
    }

    /// The results once `count` have arrived, or what arrived before `timeout`.
    func wait(for count: Int, timeout: Duration = .seconds(10)) async -> [Int: Result<CommitReceipt, StorageError>] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while results.withLock({ $0.count }) < count && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
        return results.withLock { $0 }
    }
}
