import TesseraCore

/// Reading the event log and the dead letters.
extension Store {
    private static let eventColumnNames = [
        "sequence", "source_id", "message_id", "kind", "event_name", "user_id", "anonymous_id", "timestamp",
        "received_at", "body",
    ]
    private static let eventColumns = eventColumnNames.joined(separator: ", ")
    /// The event columns prefixed with `e.`, in the order `event(from:)` reads them, for joins.
    public static let qualifiedEventColumns = eventColumnNames.map { "e.\($0)" }.joined(separator: ", ")
    private static let deadLetterColumns = """
        id, source_id, route, code, message, field, item_index, received_at, body, truncated, replayed_at
        """

    /// A page of events in ascending sequence order (newest last), for paging through the log.
    ///
    /// Pass the last sequence of one page as `after` to get the next; `nil` starts from the oldest.
    ///
    /// - Parameters:
    ///   - sourceID: Only this source's events, or every source's for `nil`.
    ///   - sequence: The sequence to continue after, or `nil` to start from the beginning.
    ///   - limit: The most events returned.
    /// - Complexity: O(`limit` log *n*) through the primary key or the per-source index.
    public func events(sourceID: Int64?, after sequence: Int64?, limit: Int) throws -> [StoredEvent] {
        guard limit > 0 else { return [] }
        let sql =
            sourceID == nil
            ? "SELECT \(Self.eventColumns) FROM events WHERE sequence > ?1 ORDER BY sequence LIMIT ?2"
            : """
            SELECT \(Self.eventColumns) FROM events WHERE source_id = ?3 AND sequence > ?1
            ORDER BY sequence LIMIT ?2
            """
        return try read { connection in
            let statement = try connection.prepare(sql)
            try statement.bind(sequence ?? 0, at: 1)
            try statement.bind(limit, at: 2)
            if let sourceID {
                try statement.bind(sourceID, at: 3)
            }
            return try statement.query { Self.event(from: $0) }
        }
    }

    /// The newest `limit` events in ascending sequence order, for a live view that then follows
    /// with ``events(sourceID:after:limit:)``.
    ///
    /// - Parameters:
    ///   - sourceID: Only this source's events, or every source's for `nil`.
    ///   - limit: The most events returned.
    public func recentEvents(sourceID: Int64?, limit: Int) throws -> [StoredEvent] {
        guard limit > 0 else { return [] }
        let sql =
            sourceID == nil
            ? "SELECT \(Self.eventColumns) FROM events ORDER BY sequence DESC LIMIT ?1"
            : "SELECT \(Self.eventColumns) FROM events WHERE source_id = ?2 ORDER BY sequence DESC LIMIT ?1"
        let newestFirst = try read { connection in
            let statement = try connection.prepare(sql)
            try statement.bind(limit, at: 1)
            if let sourceID {
                try statement.bind(sourceID, at: 2)
            }
            return try statement.query { Self.event(from: $0) }
        }
        return newestFirst.reversed()
    }

    /// The newest event a source sent with `messageID`, while its dedupe key is kept.
    ///
    /// The lookup goes through the in-memory dedupe index, since the event log has no index on
    /// message ids (see ``DedupeIndex``): an event whose key has left the dedupe window and been
    /// purged is not found by message id, though it is still in the log.
    ///
    /// - Complexity: O(1) lookups plus one indexed read.
    public func event(messageID: String, sourceID: Int64) throws -> StoredEvent? {
        let hash = DedupeIndex.hash(sourceID: sourceID, messageID: messageID)
        let candidates = dedupeIndex.state.withLock { $0.candidates(hash) }
        guard !candidates.isEmpty else { return nil }
        return try read { connection in
            let statement = try connection.prepare(
                """
                SELECT \(Self.qualifiedEventColumns)
                FROM dedupe_keys k JOIN events e ON e.sequence = k.sequence
                WHERE k.id = ?1 AND k.source_id = ?2 AND k.message_id = ?3
                """)
            for row in candidates {
                try statement.bind(row, at: 1)
                try statement.bind(sourceID, at: 2)
                try statement.bind(messageID, at: 3)
                if let event = try statement.queryFirst({ Self.event(from: $0) }) {
                    return event
                }
            }
            return nil
        }
    }

    /// How many events the log holds.
    ///
    /// - Complexity: O(*n*): SQLite counts by scanning the smallest index. Keep it off hot paths.
    public func eventCount() throws -> Int {
        try read { connection in
            try connection.prepare("SELECT count(*) FROM events").queryFirst { Int($0.int64(at: 0)) } ?? 0
        }
    }

    /// A page of dead letters in ascending id order (newest last).
    ///
    /// - Parameters:
    ///   - id: The id to continue after, or `nil` to start from the oldest.
    ///   - limit: The most dead letters returned.
    public func deadLetters(after id: Int64?, limit: Int) throws -> [StoredDeadLetter] {
        guard limit > 0 else { return [] }
        return try read { connection in
            let statement = try connection.prepare(
                "SELECT \(Self.deadLetterColumns) FROM dead_letters WHERE id > ?1 ORDER BY id LIMIT ?2")
            try statement.bind(id ?? 0, at: 1)
            try statement.bind(limit, at: 2)
            return try statement.query(Self.deadLetter(from:))
        }
    }

    /// The dead letter with `id`, if any.
    public func deadLetter(id: Int64) throws -> StoredDeadLetter? {
        try read { connection in
            let statement = try connection.prepare("SELECT \(Self.deadLetterColumns) FROM dead_letters WHERE id = ?1")
            try statement.bind(id, at: 1)
            return try statement.queryFirst(Self.deadLetter(from:))
        }
    }

    /// Reads an event from a row whose columns, from `offset` on, are `qualifiedEventColumns`, for
    /// joins over the log.
    public static func event(from row: SQLiteStatement, offset: Int = 0) -> StoredEvent {
        StoredEvent(
            sequence: row.int64(at: offset), sourceID: row.int64(at: offset + 1),
            messageID: row.string(at: offset + 2), kind: row.string(at: offset + 3),
            eventName: row.optionalString(at: offset + 4), userID: row.optionalString(at: offset + 5),
            anonymousID: row.optionalString(at: offset + 6),
            timestamp: Timestamp(milliseconds: row.int64(at: offset + 7)),
            receivedAt: Timestamp(milliseconds: row.int64(at: offset + 8)), body: row.blob(at: offset + 9))
    }

    private static func deadLetter(from row: SQLiteStatement) -> StoredDeadLetter {
        StoredDeadLetter(
            id: row.int64(at: 0), sourceID: row.optionalInt64(at: 1), route: row.string(at: 2),
            code: row.string(at: 3), message: row.string(at: 4), field: row.optionalString(at: 5),
            index: row.optionalInt64(at: 6).map { Int($0) }, receivedAt: Timestamp(milliseconds: row.int64(at: 7)),
            body: row.blob(at: 8), truncated: row.int64(at: 9) != 0,
            replayedAt: row.optionalInt64(at: 10).map { Timestamp(milliseconds: $0) })
    }
}
