import Foundation
import TesseraCore

/// Tessera's embedded store: one SQLite database in one data directory, with a single writer.
///
/// Every write goes through one dedicated writer thread that owns the only write connection. Batches
/// submitted close together share one transaction (a *group commit*), so durability costs one sync
/// per commit rather than one per record, and callers hear back only once their records are
/// durable. Admin writes run on the same thread through ``transaction(_:)``. Reads borrow separate
/// read-only connections and never wait for the writer (SQLite's WAL mode).
///
/// The database is `<directory>/tessera.sqlite`, with the audit log in `<directory>/audit.sqlite`
/// (see ``AuditDatabase``). Other processes (the CLI) may open the same files; SQLite's locks and the
/// busy timeout keep them apart.
public final class Store: Sendable {
    /// How the store commits, deduplicates and reads.
    public struct Configuration: Sendable {
        /// How hard SQLite works to make a commit survive a crash.
        public enum Synchronous: String, Sendable, CaseIterable {
            /// No syncs: a commit may be lost when the process or machine dies. Benchmarks only.
            case off
            /// WAL is synced at checkpoints only: commits survive a killed process, not a power loss.
            case normal
            /// The WAL is synced at every commit: acknowledged records survive a power loss.
            case full
        }

        /// How long the oldest waiting batch waits for others to share its commit.
        public var commitWindow: Duration = .milliseconds(1)
        /// The most records (plus dead letters) in one commit; a single larger batch still commits whole.
        public var maxRecordsPerCommit: Int = 10_000
        /// How long a `(sourceID, messageID)` pair keeps later records with the same pair out.
        ///
        /// The keys within the window are indexed in memory (about 20–45 bytes each) and read back
        /// from the database when the store opens, so the window bounds both memory and start-up time.
        public var dedupeWindow: Duration = .seconds(7 * 24 * 3600)
        /// How often the writer starts deleting dedupe keys older than the window.
        public var dedupePurgeInterval: Duration = .seconds(300)
        /// The most expired dedupe keys deleted in one commit.
        public var dedupePurgeChunk: Int = 2_000
        /// SQLite's `synchronous` setting for the write connection.
        public var synchronous: Synchronous = .full
        /// Idle read connections kept open.
        public var readConnections: Int = 16
        /// How long a connection waits for another process's lock before failing with a busy error.
        public var busyTimeout: Duration = .seconds(5)
        /// WAL size, in pages, at which a thread of the store's own copies it back into the
        /// database file (off the writer; the writer does it itself only at four times this size,
        /// when that thread falls behind). 0 turns checkpoints off until the store closes.
        public var walAutocheckpointPages: Int = 4_000
        /// Whether the write connection overwrites what it deletes (`PRAGMA secure_delete`), so that an
        /// erased record leaves no bytes behind in free space. Costs a little I/O on deletes and
        /// rewrites; privacy deletes rely on it.
        public var secureDelete = true
        /// The write connection's page cache, in KiB.
        public var writerCacheKiB: Int = 65_536
        /// How much of the database file each connection maps into memory, in bytes (SQLite clamps it
        /// to its compile-time limit). Mapped pages are read in place instead of copied out of the
        /// kernel by a `pread` per page, which dominated profile reads once the file outgrew SQLite's
        /// page cache.
        public var mappedBytes: Int = 8 << 30
        /// Where the store reports failures (codes and counts only).
        public var logger = Logger(label: "tessera.storage")
        /// How long the idle writer sleeps before checking whether a dedupe-key purge is due.
        var idleCheckInterval: Duration = .seconds(1)

        /// The defaults: a 1 ms commit window, full syncs and a seven-day dedupe window.
        public init() {}
    }

    /// The data directory.
    public let directory: String
    /// The database file inside it.
    public let databasePath: String
    /// The audit log's database file inside it.
    public let auditDatabasePath: String
    /// The settings the store was opened with.
    public let configuration: Configuration
    let clock: any WallClock
    let dedupeIndex: SharedDedupeIndex
    private let writer: Writer
    private let readPool: ReadPool
    /// The commit participants, which prepare each batch's records before it reaches the writer.
    private let participants: [any CommitParticipant]
    /// Copies the WALs back into the database files off the writer thread; nil when
    /// ``Configuration/walAutocheckpointPages`` is 0.
    let checkpointer: Checkpointer?

    /// Opens (creating when needed) the store in `directory` and starts its writer.
    ///
    /// - Parameters:
    ///   - directory: The data directory; created with its parents when missing.
    ///   - configuration: Commit, dedupe and read settings.
    ///   - clock: The wall clock for dedupe windows and timestamps the store assigns.
    ///   - participants: Writers called inside every group commit that stores records.
    ///   - onCommit: Called on the writer thread after each successful group commit; keep it short.
    /// - Throws: ``StorageError`` when the directory or database cannot be opened or migrated.
    public init(
        directory: String, configuration: Configuration = .init(), clock: any WallClock = SystemClock(),
        participants: [any CommitParticipant] = [], onCommit: (@Sendable (CommitStatistics) -> Void)? = nil
    ) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError(
                code: 0, message: "the data directory cannot be created", kind: .invalidArgument, underlying: error)
        }
        self.directory = directory
        self.databasePath = (directory as NSString).appendingPathComponent("tessera.sqlite")
        self.auditDatabasePath = (directory as NSString).appendingPathComponent(AuditDatabase.fileName)
        self.configuration = configuration
        self.clock = clock
        self.participants = participants

        let connection = try SQLiteConnection(path: databasePath, flags: [.readWrite, .create])
        try Self.configureWriteConnection(connection, configuration)
        try AuditDatabase.attach(connection, path: auditDatabasePath)
        try AuditDatabase.configureForWriting(
            connection, secureDelete: configuration.secureDelete, mappedBytes: configuration.mappedBytes)
        try Schema.migrate(connection)
        try AuditDatabase.indexFullSegments(connection)
        let committer = try GroupCommitter(
            connection: connection, configuration: configuration, clock: clock, participants: participants)
        // Last of what can throw: its thread runs until `close()`.
        if configuration.walAutocheckpointPages > 0 {
            let checkpointer = try Checkpointer(
                databasePath: databasePath, auditPath: auditDatabasePath,
                threshold: configuration.walAutocheckpointPages, logger: configuration.logger)
            connection.onWALCommit { checkpointer.committed(frames: $0) }
            self.checkpointer = checkpointer
        } else {
            self.checkpointer = nil
        }
        self.dedupeIndex = committer.dedupeIndex
        self.writer = Writer(committer: committer, configuration: configuration, onCommit: onCommit)
        self.readPool = ReadPool(
            path: databasePath, auditPath: auditDatabasePath, capacity: configuration.readConnections,
            busyTimeout: configuration.busyTimeout, mappedBytes: configuration.mappedBytes)
        writer.start()
    }

    deinit {
        close()
    }

    /// Hands `batch` to the writer; `completion` runs once it is durable or has failed.
    ///
    /// The commit participants prepare the records on the calling thread first (see
    /// ``CommitParticipant/prepare(_:)``), so that callers on many threads share that work. The
    /// completion runs on the writer thread: resume a continuation or hand off, never block.
    /// A failure fails the whole batch; nothing of it was stored.
    ///
    /// - Parameters:
    ///   - batch: Records, dead letters and replays to store all or nothing.
    ///   - completion: Receives the receipt, or the error that rolled the batch back.
    public func submit(
        _ batch: CommitBatch, completion: @escaping @Sendable (Result<CommitReceipt, StorageError>) -> Void
    ) {
        guard !batch.isEmpty else {
            completion(.success(CommitReceipt(outcomes: [], deadLetterIDs: [])))
            return
        }
        var batch = batch
        if !batch.records.isEmpty {
            batch.preparations = batch.records.map { record in participants.map { $0.prepare(record) } }
        }
        writer.submit(batch, completion: completion)
    }

    /// Stores `batch` and returns once it is durable.
    ///
    /// - Returns: One outcome per record and the ids of the dead letters.
    /// - Throws: ``StorageError`` when the batch was rolled back or the store is closed.
    public func submit(_ batch: CommitBatch) async throws -> CommitReceipt {
        try await withCheckedThrowingContinuation { continuation in
            submit(batch) { result in continuation.resume(with: result) }
        }
    }

    /// Runs `body` on the writer thread inside a transaction of its own, after the work queued before it.
    ///
    /// For admin writes (sources, settings, later identity and audience edits). The transaction
    /// commits when `body` returns and rolls back when it throws. Do not begin or end transactions
    /// inside `body`, and do not wait in it for other writes: the writer is busy running it.
    ///
    /// - Returns: What `body` returned, once committed.
    /// - Throws: What `body` threw, a ``StorageError`` from the commit, or a closed error.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = AdminJob(
                run: { connection in
                    let value = try body(connection)
                    return { continuation.resume(returning: value) }
                },
                fail: { error in continuation.resume(throwing: error) })
            writer.enqueue(job)
        }
    }

    /// Runs `body` with a read-only connection, inside one read transaction (one consistent snapshot).
    ///
    /// Reads see every commit acknowledged before they began and never wait for the writer. Reset
    /// any statement you step by hand before returning.
    ///
    /// - Returns: What `body` returned.
    /// - Throws: What `body` threw, or a ``StorageError`` when no connection can be opened.
    public func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let connection = try readPool.borrow()
        defer { readPool.giveBack(connection) }
        try connection.prepare("BEGIN").run()
        do {
            let value = try body(connection)
            try connection.prepare("COMMIT").run()
            return value
        } catch {
            if !connection.isAutocommit {
                try? connection.prepare("ROLLBACK").run()
            }
            throw error
        }
    }

    /// Stops accepting work, commits everything already queued, and closes the connections.
    ///
    /// Idempotent. Later submissions, transactions and reads fail with a closed error.
    public func close() {
        writer.close()
        checkpointer?.stop()
        readPool.close()
    }

    private static func configureWriteConnection(
        _ connection: SQLiteConnection, _ configuration: Configuration
    ) throws {
        try connection.execute("PRAGMA busy_timeout = \(configuration.busyTimeout.milliseconds)")
        // 16 KiB pages hold several ~1 KB records each and measured 15–20% faster inserts than the
        // default 4 KiB. Takes effect only when the file is created; an existing store keeps its size.
        try connection.execute("PRAGMA page_size = 16384")
        let mode = try connection.prepare("PRAGMA journal_mode = WAL", cached: false).queryFirst { $0.string(at: 0) }
        guard mode?.lowercased() == "wal" else {
            throw StorageError(code: 0, message: "the database cannot switch to WAL mode", kind: .invalidArgument)
        }
        try connection.execute(
            """
            PRAGMA synchronous = \(configuration.synchronous.rawValue.uppercased());
            PRAGMA foreign_keys = ON;
            PRAGMA wal_autocheckpoint = \(max(0, configuration.walAutocheckpointPages));
            PRAGMA journal_size_limit = \(64 * 1024 * 1024);
            PRAGMA cache_size = -\(max(0, configuration.writerCacheKiB));
            PRAGMA mmap_size = \(max(0, configuration.mappedBytes));
            PRAGMA secure_delete = \(configuration.secureDelete ? "ON" : "OFF");
            """)
    }
}
