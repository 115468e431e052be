import Storage

/// The tables that hold the identity graph and the unified profiles, beside the event log.
///
/// The identity log is the source of truth for the graph (rebuilt from it at start-up); the other
/// tables are what reads need without the graph: which profile an identity belongs to, where a
/// merged profile's id now points, each profile's fragments and computed attributes, which events
/// belong to which profile, each profile's consent answers (current and history), and how many
/// transactions have changed the engine's memory (to notice one that was rolled back).
enum ProfileSchema {
    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS identity_log (
            sequence INTEGER PRIMARY KEY,
            entry BLOB NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS identities (
            namespace TEXT NOT NULL,
            value TEXT NOT NULL,
            profile_id INTEGER NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            PRIMARY KEY (namespace, value)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX IF NOT EXISTS identities_by_profile ON identities (profile_id)",
        """
        CREATE TABLE IF NOT EXISTS profile_redirects (
            profile_id INTEGER PRIMARY KEY,
            target INTEGER NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS profiles (
            profile_id INTEGER PRIMARY KEY,
            fragments BLOB NOT NULL,
            computed BLOB NOT NULL,
            updated_at INTEGER NOT NULL,
            version INTEGER NOT NULL DEFAULT 0
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS event_profiles (
            profile_id INTEGER NOT NULL,
            sequence INTEGER NOT NULL,
            anchor TEXT NOT NULL,
            PRIMARY KEY (profile_id, sequence)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE IF NOT EXISTS profile_engine (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            generation INTEGER NOT NULL
        )
        """,
        "INSERT OR IGNORE INTO profile_engine (id, generation) VALUES (1, 0)",
        """
        CREATE TABLE IF NOT EXISTS consents (
            profile_id INTEGER NOT NULL,
            identity TEXT NOT NULL DEFAULT '',
            purpose TEXT NOT NULL,
            value TEXT NOT NULL,
            time INTEGER NOT NULL,
            source_id INTEGER,
            basis TEXT,
            record INTEGER,
            PRIMARY KEY (profile_id, identity, purpose)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE IF NOT EXISTS consent_history (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL,
            identity TEXT NOT NULL DEFAULT '',
            purpose TEXT NOT NULL,
            value TEXT NOT NULL,
            time INTEGER NOT NULL,
            source_id INTEGER,
            basis TEXT,
            record INTEGER
        )
        """,
        "CREATE INDEX IF NOT EXISTS consent_history_by_profile ON consent_history (profile_id, id)",
    ]

    /// Creates the tables that do not exist yet, and adds `profiles.version` to stores made before it.
    static func create(in connection: SQLiteConnection) throws {
        for statement in statements {
            try connection.execute(statement)
        }
        let columns = try connection.prepare("PRAGMA table_info(profiles)", cached: false).query { $0.string(at: 1) }
        if !columns.contains("version") {
            try connection.execute("ALTER TABLE profiles ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
        }
        try addConsentColumns(in: connection)
    }

    /// Adds answer expiry (`expires_at`) to both consent tables, and who gave an answer through the
    /// API (`actor`, a token id) to the history, for stores made before them.
    private static func addConsentColumns(in connection: SQLiteConnection) throws {
        let additions = [
            ("consents", "expires_at", "INTEGER"), ("consent_history", "expires_at", "INTEGER"),
            ("consent_history", "actor", "TEXT"),
        ]
        for (table, column, type) in additions {
            let columns = try connection.prepare("PRAGMA table_info(\(table))", cached: false).query {
                $0.string(at: 1)
            }
            if !columns.contains(column) { try connection.execute("ALTER TABLE \(table) ADD COLUMN \(column) \(type)") }
        }
    }

    /// How many transactions have changed the profile engine's memory, as the store last committed it.
    static func generation(in connection: SQLiteConnection) throws -> Int64 {
        let select = try connection.prepare("SELECT generation FROM profile_engine WHERE id = 1")
        return try select.queryFirst { $0.int64(at: 0) } ?? 0
    }

    /// Writes the count `generation(in:)` reads, inside the transaction that changes the memory.
    static func setGeneration(_ generation: Int64, in connection: SQLiteConnection) throws {
        let update = try connection.prepare("UPDATE profile_engine SET generation = ?1 WHERE id = 1")
        try update.bind(generation, at: 1)
        try update.run()
    }
}
