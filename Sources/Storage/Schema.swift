/// The database layout, built by numbered migrations recorded in `PRAGMA user_version`. The audit
/// log lives in a database of its own, whose tables ``AuditDatabase`` creates.
///
/// The event log and the dedupe-key log are append-only and carry no index on message ids: random
/// keys would make every commit rewrite about one B-tree page per record (see ``DedupeIndex``).
///
/// Each migration runs once, in its own `BEGIN IMMEDIATE` transaction that also bumps
/// `user_version`, so two processes opening the same file at once (the server and the CLI) cannot
/// both apply it. Migrations are append-only: never edit one that has shipped.
enum Schema {
    /// Migration `n` (counted from 1) takes the database from version `n - 1` to `n`.
    static let migrations: [String] = [
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            write_key TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE events (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            source_id INTEGER NOT NULL REFERENCES sources (id),
            message_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            event_name TEXT,
            user_id TEXT,
            anonymous_id TEXT,
            timestamp INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            body BLOB NOT NULL
        );
        CREATE INDEX events_by_source ON events (source_id, sequence);
        CREATE TABLE dedupe_keys (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            first_seen INTEGER NOT NULL,
            sequence INTEGER NOT NULL
        );
        CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source_id INTEGER REFERENCES sources (id),
            route TEXT NOT NULL,
            code TEXT NOT NULL,
            message TEXT NOT NULL,
            field TEXT,
            item_index INTEGER,
            received_at INTEGER NOT NULL,
            body BLOB NOT NULL,
            truncated INTEGER NOT NULL,
            replayed_at INTEGER
        );
        """,
        """
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            secret_sha256 BLOB NOT NULL UNIQUE,
            scopes TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked_at INTEGER
        ) WITHOUT ROWID;
        """,
    ]

    /// The version a fully migrated database has.
    static var currentVersion: Int64 { Int64(migrations.count) }

    /// Brings the database behind `connection` up to ``currentVersion``.
    ///
    /// - Throws: ``StorageError`` when a migration fails (it is rolled back), or when the file was
    ///   written by a newer Tessera whose schema this one does not know.
    static func migrate(_ connection: SQLiteConnection) throws {
        while true {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let version = try userVersion(connection)
                guard version < currentVersion else {
                    try connection.execute("COMMIT")
                    guard version == currentVersion else {
                        throw StorageError(
                            code: 0, message: "the database was written by a newer version of Tessera",
                            kind: .invalidArgument)
                    }
                    return
                }
                try connection.execute(migrations[Int(version)])
                try connection.execute("PRAGMA user_version = \(version + 1)")
                try connection.execute("COMMIT")
            } catch {
                if !connection.isAutocommit {
                    try? connection.execute("ROLLBACK")
                }
                throw error
            }
        }
    }

    private static func userVersion(_ connection: SQLiteConnection) throws -> Int64 {
        let statement = try connection.prepare("PRAGMA user_version", cached: false)
        return try statement.queryFirst { $0.int64(at: 0) } ?? 0
    }
}
