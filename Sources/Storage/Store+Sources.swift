import TesseraCore

/// Sources and settings: the store's small administrative tables.
extension Store {
    /// Every source, by id.
    public func sources() throws -> [SourceRecord] {
        try read { connection in
            try connection.prepare("SELECT id, name, write_key, created_at FROM sources ORDER BY id")
                .query(Self.source(from:))
        }
    }

    /// The source that owns `writeKey`, if any.
    public func source(writeKey: String) throws -> SourceRecord? {
        try read { connection in
            let statement = try connection.prepare(
                "SELECT id, name, write_key, created_at FROM sources WHERE write_key = ?1")
            try statement.bind(writeKey, at: 1)
            return try statement.queryFirst(Self.source(from:))
        }
    }

    /// The source with id `id`, if any.
    public func source(id: Int64) throws -> SourceRecord? {
        try read { connection in
            let statement = try connection.prepare("SELECT id, name, write_key, created_at FROM sources WHERE id = ?1")
            try statement.bind(id, at: 1)
            return try statement.queryFirst(Self.source(from:))
        }
    }

    /// The source called `name`, if any.
    public func source(name: String) throws -> SourceRecord? {
        try read { connection in
            try Self.source(named: name, in: connection)
        }
    }

    /// Adds a source.
    ///
    /// - Parameters:
    ///   - name: A name no other source has.
    ///   - writeKey: A key no other source has.
    /// - Returns: The new source.
    /// - Throws: ``StorageError`` of kind `.conflict` when the name or key is taken.
    public func addSource(name: String, writeKey: String) async throws -> SourceRecord {
        let createdAt = clock.now()
        return try await transaction { connection in
            let statement = try connection.prepare(
                "INSERT INTO sources (name, write_key, created_at) VALUES (?1, ?2, ?3)")
            try statement.bind(name, at: 1)
            try statement.bind(writeKey, at: 2)
            try statement.bind(createdAt.milliseconds, at: 3)
            try Self.runRejectingTakenValues(statement)
            return SourceRecord(id: connection.lastInsertRowID, name: name, writeKey: writeKey, createdAt: createdAt)
        }
    }

    /// Replaces a source's write key; the old key stops working at once.
    ///
    /// - Returns: The source with its new key.
    /// - Throws: ``StorageError`` of kind `.notFound` for an unknown source, `.conflict` for a taken key.
    public func rotateWriteKey(sourceName: String, newKey: String) async throws -> SourceRecord {
        try await transaction { connection in
            let statement = try connection.prepare("UPDATE sources SET write_key = ?1 WHERE name = ?2")
            try statement.bind(newKey, at: 1)
            try statement.bind(sourceName, at: 2)
            try Self.runRejectingTakenValues(statement)
            guard connection.changes > 0, let source = try Self.source(named: sourceName, in: connection) else {
                throw StorageError.notFound("no source has this name")
            }
            return source
        }
    }

    /// The value stored under `key`, if any.
    public func setting(_ key: String) throws -> String? {
        try read { connection in
            let statement = try connection.prepare("SELECT value FROM settings WHERE key = ?1")
            try statement.bind(key, at: 1)
            return try statement.queryFirst { $0.string(at: 0) }
        }
    }

    /// Stores `value` under `key`, replacing any previous value.
    public func setSetting(_ key: String, _ value: String) async throws {
        try await transaction { connection in
            let statement = try connection.prepare(
                """
                INSERT INTO settings (key, value) VALUES (?1, ?2)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """)
            try statement.bind(key, at: 1)
            try statement.bind(value, at: 2)
            try statement.run()
        }
    }

    private static func source(named name: String, in connection: SQLiteConnection) throws -> SourceRecord? {
        let statement = try connection.prepare("SELECT id, name, write_key, created_at FROM sources WHERE name = ?1")
        try statement.bind(name, at: 1)
        return try statement.queryFirst(source(from:))
    }

    private static func source(from row: SQLiteStatement) -> SourceRecord {
        SourceRecord(
            id: row.int64(at: 0), name: row.string(at: 1), writeKey: row.string(at: 2),
            createdAt: Timestamp(milliseconds: row.int64(at: 3)))
    }

    /// Runs an insert or update of `sources`, turning a unique-constraint failure into a conflict.
    private static func runRejectingTakenValues(_ statement: SQLiteStatement) throws {
        do {
            try statement.run()
        } catch let error as StorageError where error.isConstraintViolation {
            let what = error.message.contains("sources.name") ? "source name" : "write key"
            throw StorageError.conflict("the \(what) is already taken", code: error.code)
        }
    }
}
