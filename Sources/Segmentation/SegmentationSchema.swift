import Storage

/// The tables of audiences: definitions, current membership, its history, each profile's streaming
/// state (naming atoms and sequences by the ids `audience_keys` gives their canonical text), the
/// moments profiles are due to be evaluated again, and the engine's transaction count.
enum SegmentationSchema {
    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS audiences (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            rule TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            evaluated_at INTEGER
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS audience_members (
            audience_id INTEGER NOT NULL,
            profile_id INTEGER NOT NULL,
            status TEXT NOT NULL,
            entered_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (audience_id, profile_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX IF NOT EXISTS audience_members_by_profile ON audience_members (profile_id)",
        """
        CREATE TABLE IF NOT EXISTS audience_history (
            id INTEGER PRIMARY KEY,
            audience_id INTEGER NOT NULL,
            profile_id INTEGER NOT NULL,
            change TEXT NOT NULL,
            time INTEGER NOT NULL,
            cause TEXT NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS audience_history_by_audience ON audience_history (audience_id, id)",
        "CREATE INDEX IF NOT EXISTS audience_history_by_profile ON audience_history (profile_id, id)",
        """
        CREATE TABLE IF NOT EXISTS audience_state (
            profile_id INTEGER PRIMARY KEY,
            state BLOB NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS audience_keys (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS audience_schedule (
            profile_id INTEGER PRIMARY KEY,
            due INTEGER NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS audience_schedule_by_due ON audience_schedule (due)",
        """
        CREATE TABLE IF NOT EXISTS audience_engine (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            generation INTEGER NOT NULL
        )
        """,
        "INSERT OR IGNORE INTO audience_engine (id, generation) VALUES (1, 0)",
    ]

    static func create(in connection: SQLiteConnection) throws {
        for statement in statements {
            try connection.execute(statement)
        }
    }

    /// The stored ids of `keys`, giving new ones to keys seen for the first time.
    static func ids(of keys: [String], in connection: SQLiteConnection) throws -> [Int64] {
        let upsert = try connection.prepare(
            """
            INSERT INTO audience_keys (key) VALUES (?1)
            ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id
            """)
        return try keys.map { key in
            try upsert.bind(key, at: 1)
            return try upsert.queryFirst { $0.int64(at: 0) } ?? 0
        }
    }

    /// How many transactions have changed the engine's memory, as the store last committed it.
    static func generation(in connection: SQLiteConnection) throws -> Int64 {
        let select = try connection.prepare("SELECT generation FROM audience_engine WHERE id = 1")
        return try select.queryFirst { $0.int64(at: 0) } ?? 0
    }

    static func setGeneration(_ generation: Int64, in connection: SQLiteConnection) throws {
        let update = try connection.prepare("UPDATE audience_engine SET generation = ?1 WHERE id = 1")
        try update.bind(generation, at: 1)
        try update.run()
    }
}
