import Synchronization
import TesseraCore

/// The in-memory dedupe index, shared between the writer (which changes it) and readers (which
/// use it to find events by message id).
final class SharedDedupeIndex: Sendable {
    let state = Mutex(DedupeIndex())
}

/// The writer's side of deduplication: the append-only `dedupe_keys` log and the index over it.
///
/// A record's key is `(sourceID, messageID)`. The log gets one row per stored record: the key, the
/// time it was first seen and the event's sequence. A key counts while `first_seen` lies within the
/// dedupe window; a record whose key no longer counts is stored again and logged again, and the
/// index moves to the new row. Rows are logged in time order (`first_seen` never decreases along
/// the log, even if the wall clock steps back), so expired rows always form the log's oldest end
/// and purging them reads and deletes only that end.
///
/// Used only on the writer thread. When another process (the CLI) has committed to the same file
/// since the last commit, the rows it logged are read into the index before deduplicating.
final class Deduplicator {
    /// What to do with a record.
    enum Claim {
        /// Its key was seen within the window: acknowledge it, store nothing.
        case duplicate
        /// Store it, then log its key; `replacing` is the expired row that held the key before.
        case new(hash: UInt64, replacing: Int64?)
    }

    /// A point to roll the log and index back to.
    struct Mark {
        fileprivate var index: Int
        fileprivate var lastRow: Int64
    }

    let shared: SharedDedupeIndex
    private let connection: SQLiteConnection
    private let window: Int64
    private let statements: Statements
    private var lastRow: Int64 = 0
    private var lastFirstSeen: Int64 = .min
    private var dataVersion: Int64 = 0

    /// Loads the keys still within the window at `now` from the log on `connection`.
    ///
    /// - Complexity: O(*k*) for *k* logged keys, read once at start-up.
    init(connection: SQLiteConnection, window: Duration, now: Timestamp) throws {
        self.connection = connection
        self.window = window.milliseconds
        self.shared = SharedDedupeIndex()
        self.statements = try Statements(connection)
        try catchUp(cutoff: now.milliseconds - self.window)
        shared.state.withLock { $0.commit() }
        dataVersion = try currentDataVersion()
    }

    /// Prepares for a commit that started at `now`, inside its open transaction.
    ///
    /// - Returns: The time to log keys under: `now`, or the last logged time if the clock went back.
    func beginCommit(at now: Timestamp) throws -> Timestamp {
        let version = try currentDataVersion()
        if version != dataVersion {
            // What another process committed stays, even if this transaction is rolled back.
            defer { shared.state.withLock { $0.commit() } }
            try catchUp(cutoff: now.milliseconds - window)
            dataVersion = version
        }
        lastFirstSeen = max(lastFirstSeen, now.milliseconds)
        return Timestamp(milliseconds: lastFirstSeen)
    }

    /// Decides whether `record` is new, at `firstSeen`.
    func claim(_ record: IncomingRecord, at firstSeen: Timestamp) throws -> Claim {
        let hash = DedupeIndex.hash(sourceID: record.sourceID, messageID: record.messageID)
        let candidates = shared.state.withLock { $0.candidates(hash) }
        guard !candidates.isEmpty else { return .new(hash: hash, replacing: nil) }
        for row in candidates {
            guard let seen = try self.firstSeen(row: row, sourceID: record.sourceID, messageID: record.messageID) else {
                continue
            }
            return seen > firstSeen.milliseconds - window ? .duplicate : .new(hash: hash, replacing: row)
        }
        return .new(hash: hash, replacing: nil)
    }

    /// Logs the key of a record just stored as event `sequence`.
    func log(
        _ record: IncomingRecord, hash: UInt64, replacing: Int64?, sequence: Int64, at firstSeen: Timestamp
    ) throws {
        let statement = statements.insert
        try statement.bind(record.sourceID, at: 1)
        try statement.bind(record.messageID, at: 2)
        try statement.bind(firstSeen.milliseconds, at: 3)
        try statement.bind(sequence, at: 4)
        try statement.run()
        let row = connection.lastInsertRowID
        lastRow = row
        shared.state.withLock { index in
            if let replacing {
                index.replace(hash, old: replacing, new: row)
            } else {
                index.add(hash, row: row)
            }
        }
    }

    /// Deletes up to `limit` of the oldest rows whose keys expired before `now`.
    ///
    /// - Returns: Whether nothing expired is left to purge (a further chunk would find nothing).
    /// - Complexity: O(`limit`): the expired rows are the log's oldest end.
    func purge(at now: Timestamp, limit: Int) throws -> Bool {
        let cutoff = now.milliseconds - window
        let oldest = statements.oldest
        try oldest.bind(limit, at: 1)
        var expired: [(hash: UInt64, row: Int64)] = []
        var reachedLiveKeys = false
        do {
            defer { oldest.reset() }
            while try oldest.step() {
                guard oldest.int64(at: 3) <= cutoff else {
                    reachedLiveKeys = true
                    break
                }
                let hash = DedupeIndex.hash(sourceID: oldest.int64(at: 1), messageID: oldest.string(at: 2))
                expired.append((hash, oldest.int64(at: 0)))
            }
        }
        guard let newest = expired.last else { return true }
        try statements.deleteThrough.bind(newest.row, at: 1)
        try statements.deleteThrough.run()
        shared.state.withLock { index in
            for key in expired {
                index.remove(key.hash, row: key.row)
            }
        }
        return reachedLiveKeys || expired.count < limit
    }

    /// The current position, to roll back to when a savepoint or transaction is rolled back.
    func mark() -> Mark {
        Mark(index: shared.state.withLock { $0.mark }, lastRow: lastRow)
    }

    /// Forgets index changes made since `mark`, whose log rows were rolled back.
    func rollback(to mark: Mark) {
        shared.state.withLock { $0.rollback(to: mark.index) }
        lastRow = mark.lastRow
    }

    /// Keeps the index changes: their transaction committed.
    func commit() {
        shared.state.withLock { $0.commit() }
    }

    /// Reads rows logged after `lastRow` (by this process before a restart, or by another process)
    /// into the index, skipping keys that expired by `cutoff`.
    private func catchUp(cutoff: Int64) throws {
        let statement = statements.after
        try statement.bind(lastRow, at: 1)
        defer { statement.reset() }
        while try statement.step() {
            let row = statement.int64(at: 0)
            let firstSeen = statement.int64(at: 3)
            lastRow = row
            lastFirstSeen = max(lastFirstSeen, firstSeen)
            guard firstSeen > cutoff else { continue }
            try index(row: row, sourceID: statement.int64(at: 1), messageID: statement.string(at: 2))
        }
    }

    /// Adds a logged row to the index; a row logged later for the same key takes over from the earlier.
    private func index(row: Int64, sourceID: Int64, messageID: String) throws {
        let hash = DedupeIndex.hash(sourceID: sourceID, messageID: messageID)
        let candidates = shared.state.withLock { $0.candidates(hash) }
        for candidate in candidates {
            guard try firstSeen(row: candidate, sourceID: sourceID, messageID: messageID) != nil else { continue }
            shared.state.withLock { $0.replace(hash, old: candidate, new: row) }
            return
        }
        shared.state.withLock { $0.add(hash, row: row) }
    }

    /// When the key in log row `row` was first seen, or `nil` when the row holds another key or is gone.
    private func firstSeen(row: Int64, sourceID: Int64, messageID: String) throws -> Int64? {
        let statement = statements.verify
        try statement.bind(row, at: 1)
        try statement.bind(sourceID, at: 2)
        try statement.bind(messageID, at: 3)
        return try statement.queryFirst { $0.int64(at: 0) }
    }

    private func currentDataVersion() throws -> Int64 {
        try statements.dataVersion.queryFirst { $0.int64(at: 0) } ?? 0
    }
}

extension Deduplicator {
    /// The log's statements, compiled once and kept out of the connection's shared cache.
    private struct Statements {
        let insert: SQLiteStatement
        let verify: SQLiteStatement
        let after: SQLiteStatement
        let oldest: SQLiteStatement
        let deleteThrough: SQLiteStatement
        let dataVersion: SQLiteStatement

        init(_ connection: SQLiteConnection) throws {
            func compile(_ sql: String) throws -> SQLiteStatement { try connection.prepare(sql, cached: false) }
            insert = try compile(
                "INSERT INTO dedupe_keys (source_id, message_id, first_seen, sequence) VALUES (?1, ?2, ?3, ?4)")
            verify = try compile(
                "SELECT first_seen FROM dedupe_keys WHERE id = ?1 AND source_id = ?2 AND message_id = ?3")
            after = try compile(
                "SELECT id, source_id, message_id, first_seen FROM dedupe_keys WHERE id > ?1 ORDER BY id")
            oldest = try compile("SELECT id, source_id, message_id, first_seen FROM dedupe_keys ORDER BY id LIMIT ?1")
            deleteThrough = try compile("DELETE FROM dedupe_keys WHERE id <= ?1")
            dataVersion = try compile("PRAGMA data_version")
        }
    }
}
