import Foundation
import Synchronization
import TesseraCore

/// Copies the WALs back into the database files on a thread of its own, so that the writer's
/// commits do not wait for it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the writer
/// thread: with identity and profiles on, that was a sixth of the writer's time. The writer's
/// connection instead reports each commit's WAL size (``SQLiteConnection/onWALCommit(_:)``) and
/// asks for a checkpoint past ``threshold`` frames; this thread runs it in `PASSIVE` mode, which
/// never waits for readers or the writer. Should it fall behind, the writer checkpoints itself at
/// four times the threshold, as SQLite would have, so the WAL stays bounded.
final class Checkpointer: @unchecked Sendable {
    /// WAL frames (pages) at which a checkpoint is asked for.
    let threshold: Int
    /// Checkpoints run by this thread.
    let completed = Atomic<Int>(0)
    private let connection: SQLiteConnection
    private let logger: Logger
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var requested = false
    /// Guarded by `condition`.
    private var state = State.running

    private enum State {
        case running, stopping, stopped
    }

    /// Opens a connection of its own to the store's database (with the audit log attached, so that
    /// one checkpoint covers both) and starts the thread.
    init(databasePath: String, auditPath: String, threshold: Int, logger: Logger) throws {
        connection = try SQLiteConnection(path: databasePath, flags: [.readWrite])
        try AuditDatabase.attach(connection, path: auditPath)
        self.threshold = threshold
        self.logger = logger
        let thread = Thread { [self] in run() }
        thread.name = "tessera-checkpointer"
        thread.start()
    }

    /// The writer's answer to a commit that left `frames` frames in a database's WAL.
    ///
    /// - Returns: whether the writer must checkpoint that database itself (the WAL grew to four
    ///   times the threshold: this thread is behind or stopped).
    func committed(frames: Int) -> Bool {
        guard frames >= threshold else { return false }
        if frames >= 4 * threshold { return true }
        condition.lock()
        if !requested {
            requested = true
            condition.signal()
        }
        condition.unlock()
        return false
    }

    /// Stops the thread after the checkpoint it is running, and waits for it. Idempotent.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        if state == .running { state = .stopping }
        condition.broadcast()
        while state != .stopped {
            condition.wait()
        }
    }

    private func run() {
        condition.lock()
        while true {
            while !requested && state == .running {
                condition.wait()
            }
            guard state == .running else { break }
            requested = false
            condition.unlock()
            checkpoint()
            condition.lock()
        }
        state = .stopped
        condition.broadcast()
        condition.unlock()
    }

    private func checkpoint() {
        do {
            // Unqualified: every attached database, the store's and the audit log's.
            try connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            completed.add(1, ordering: .relaxed)
        } catch {
            logger.warning(
                "background WAL checkpoint failed", metadata: ["error.code": "\((error as? StorageError)?.code ?? 0)"])
        }
    }
}
