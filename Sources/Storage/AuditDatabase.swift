import TesseraCore

/// The audit log's own database, `<directory>/audit.sqlite`, attached to every connection of the
/// store as schema `audit`.
///
/// Every profile read appends an audit entry, so the log is written as often as profiles are read.
/// Entries go to `audit_log` in id order, which only ever appends to the table's last pages. They
/// are found by profile through `audit_by_profile`, keyed `(segment, profile_id, id)` where a
/// segment is ``segmentSize`` consecutive ids: a segment is indexed in one sorted pass once its
/// last id is written, so the index too only grows at its end. Indexing each entry as it came,
/// keyed by a random profile id, touched one B-tree page per read and measured a p99 three to
/// four times the unaudited one (see `Benchmarks/README.md`, profile lookup).
///
/// A profile's entries are those the index lists, one seek per segment kept, plus a scan of the
/// segment still being written (fewer than ``segmentSize`` rows). Retention deletes whole segments,
/// oldest first, which also bounds the seeks.
///
/// Commits sync at checkpoints only (`synchronous = NORMAL`): entries wait in memory for a moment
/// before they are written anyway, and a sync per flush would buy nothing. Statements name tables
/// unqualified; SQLite finds them in the attached schema. A transaction that writes both databases
/// commits in each atomically, not across the two.
enum AuditDatabase {
    /// The schema name the audit database is attached as.
    static let schema = "audit"
    /// The file's name inside the data directory.
    static let fileName = "audit.sqlite"
    /// Ids per index segment: a power of two, so that an id's segment is `id >> segmentBits`.
    static let segmentBits: Int64 = 14
    static var segmentSize: Int64 { 1 << segmentBits }

    /// Attaches the audit database at `path` to `connection`, with the main database's open flags
    /// (created when missing on a writable connection).
    static func attach(_ connection: SQLiteConnection, path: String) throws {
        let attach = try connection.prepare("ATTACH DATABASE ?1 AS \(schema)", cached: false)
        try attach.bind(path, at: 1)
        try attach.run()
    }

    /// Sets the write connection's pragmas for the audit database and creates its tables when missing.
    static func configureForWriting(_ connection: SQLiteConnection, secureDelete: Bool, mappedBytes: Int) throws {
        let mode = try connection.prepare("PRAGMA \(schema).journal_mode = WAL", cached: false)
            .queryFirst { $0.string(at: 0) }
        guard mode?.lowercased() == "wal" else {
            throw StorageError(code: 0, message: "the audit database cannot switch to WAL mode", kind: .invalidArgument)
        }
        try connection.execute(
            """
            PRAGMA \(schema).synchronous = NORMAL;
            PRAGMA \(schema).journal_size_limit = \(16 * 1024 * 1024);
            PRAGMA \(schema).cache_size = -8192;
            PRAGMA \(schema).mmap_size = \(max(0, mappedBytes));
            PRAGMA \(schema).secure_delete = \(secureDelete ? "ON" : "OFF");
            CREATE TABLE IF NOT EXISTS \(schema).audit_log (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time INTEGER NOT NULL,
                token_id TEXT NOT NULL,
                route TEXT NOT NULL,
                action TEXT NOT NULL,
                profile_id INTEGER
            );
            CREATE TABLE IF NOT EXISTS \(schema).audit_by_profile (
                segment INTEGER NOT NULL,
                profile_id INTEGER NOT NULL,
                id INTEGER NOT NULL,
                PRIMARY KEY (segment, profile_id, id)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS \(schema).audit_segments (
                next INTEGER NOT NULL
            );
            INSERT INTO \(schema).audit_segments (next)
                SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM \(schema).audit_segments);
            """)
    }

    /// Indexes, in one sorted pass each, the segments whose last id is written and that are not
    /// indexed yet. Run by the writer, inside the transaction that appended the entries.
    static func indexFullSegments(_ connection: SQLiteConnection) throws {
        let next = try nextSegment(connection)
        let last = try connection.prepare("SELECT max(id) FROM audit_log").queryFirst { $0.optionalInt64(at: 0) }
        guard let last = last ?? nil else { return }
        // Ids only grow: a segment whose last id is at most `last` gets no more entries.
        let full = (last + 1) >> segmentBits
        guard full > next else { return }
        let index = try connection.prepare(
            """
            INSERT INTO audit_by_profile (segment, profile_id, id)
            SELECT id >> \(segmentBits), profile_id, id FROM audit_log
            WHERE id >= ?1 AND id < ?2 AND profile_id IS NOT NULL ORDER BY 1, 2, 3
            """)
        try index.bind(next << segmentBits, at: 1)
        try index.bind(full << segmentBits, at: 2)
        try index.run()
        let advance = try connection.prepare("UPDATE audit_segments SET next = ?1")
        try advance.bind(full, at: 1)
        try advance.run()
    }

    /// The ids of `profile`'s entries above `after`, in order, at most `limit`.
    static func entryIDs(
        of profile: Int64, after: Int64, limit: Int, in connection: SQLiteConnection
    ) throws -> [Int64] {
        let next = try nextSegment(connection)
        var ids: [Int64] = []
        let indexed = try connection.prepare(
            "SELECT id FROM audit_by_profile WHERE segment = ?1 AND profile_id = ?2 AND id > ?3 ORDER BY id LIMIT ?4")
        let first = try connection.prepare("SELECT min(id) FROM audit_log").queryFirst { $0.optionalInt64(at: 0) }
        var segment = max(max(0, after), (first ?? nil) ?? 0) >> segmentBits
        while segment < next && ids.count < limit {
            try indexed.bind(segment, at: 1)
            try indexed.bind(profile, at: 2)
            try indexed.bind(after, at: 3)
            try indexed.bind(limit - ids.count, at: 4)
            ids += try indexed.query { $0.int64(at: 0) }
            segment += 1
        }
        guard ids.count < limit else { return ids }
        let tail = try connection.prepare(
            "SELECT id FROM audit_log WHERE id >= ?1 AND id > ?2 AND profile_id = ?3 ORDER BY id LIMIT ?4")
        try tail.bind(next << segmentBits, at: 1)
        try tail.bind(after, at: 2)
        try tail.bind(profile, at: 3)
        try tail.bind(limit - ids.count, at: 4)
        return ids + (try tail.query { $0.int64(at: 0) })
    }

    /// Deletes the oldest indexed segment when its newest entry is older than `cutoff`, with its
    /// index entries; the segment being written is never deleted.
    ///
    /// - Returns: how many entries went, 0 when none was due.
    static func deleteOldestSegment(before cutoff: Timestamp, in connection: SQLiteConnection) throws -> Int {
        let first = try connection.prepare("SELECT min(id) FROM audit_log").queryFirst { $0.optionalInt64(at: 0) }
        guard let first = first ?? nil else { return 0 }
        let segment = first >> segmentBits
        guard segment < (try nextSegment(connection)) else { return 0 }
        let range = (segment << segmentBits, (segment + 1) << segmentBits)
        let newest = try connection.prepare("SELECT max(time) FROM audit_log WHERE id >= ?1 AND id < ?2")
        try newest.bind(range.0, at: 1)
        try newest.bind(range.1, at: 2)
        guard let time = try newest.queryFirst({ $0.optionalInt64(at: 0) }) ?? nil, time < cutoff.milliseconds
        else { return 0 }
        let unindex = try connection.prepare("DELETE FROM audit_by_profile WHERE segment = ?1")
        try unindex.bind(segment, at: 1)
        try unindex.run()
        let delete = try connection.prepare("DELETE FROM audit_log WHERE id >= ?1 AND id < ?2")
        try delete.bind(range.0, at: 1)
        try delete.bind(range.1, at: 2)
        try delete.run()
        return connection.changes
    }

    /// The first segment not indexed yet.
    private static func nextSegment(_ connection: SQLiteConnection) throws -> Int64 {
        try connection.prepare("SELECT next FROM audit_segments").queryFirst { $0.int64(at: 0) } ?? 0
    }
}
