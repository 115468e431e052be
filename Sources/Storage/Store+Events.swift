import TesseraCore

/// Reading the event log and the dead letters.
extension Store {
    private static let eventColumns = """
        sequence, source_id, message_id, kind, event_name, user_id, anonymous_id, timestamp, received_at, body
        """
    private static let deadLetterColumns = """
        id, source_id, route, code, message, field, item_index, received_at, body, truncated, replayed_at
        """

    /// A page of events in ascending sequence order (newest last).
    ///
    /// With `after`, the page holds the first `limit` events after that sequence: pass the last
    /// sequence of one page to get the next, or 0 to start from the oldest. Without it, the page
    /// holds the newest `limit` events, for a live view that then follows with `after`.
    ///
    /// - Parameters:
    ///   - sourceID: Only this source's events, or every source's for `nil`.
    ///   - sequence: The sequence to continue after, or `nil` for the newest events.
    ///   - limit: The most events returned.
    /// - Complexity: O(`limit` log *n*) through the primary key or the per-source index.
    public func events(sourceID: Int64?, after sequence: Int64?, limit: Int) throws -> [StoredEvent] {
        guard limit > 0 else { return [] }
        let sourceFilter = sourceID == nil ? "" : "source_id = ?3 AND"
        let sql: String
        if sequence == nil {
            sql = "SELECT \(Self.eventColumns) FROM events WHERE \(sourceFilter) 1 ORDER BY sequence DESC LIMIT ?2"
        } else {
            sql = "SELECT \(Self.eventColumns) FROM events WHERE \(sourceFilter) sequence > ?1 ORDER BY sequence LIMIT ?2"
        }
        let events = try read { connection in
            let statement = try connection.prepare(sql)
            try statement.bind(sequence ?? 0, at: 1)
            try statement.bind(limit, at: 2)
            if let sourceID {
                try statement.bind(sourceID, at: 3)
            }
            return try statement.query(Self.event(from:))
        }
        return sequence == nil ? events.reversed() : events
    }

    /// The newest event a source sent with `messageID`, if it is still in the log.
    public func event(messageID: String, sourceID: Int64) throws -> StoredEvent? {
        try read { connection in
            let statement = try connection.prepare(
                """
                SELECT \(Self.eventColumns) FROM events WHERE source_id = ?1 AND message_id = ?2
                ORDER BY sequence DESC LIMIT 1
                """)
            try statement.bind(sourceID, at: 1)
            try statement.bind(messageID, at: 2)
            return try statement.queryFirst(Self.event(from:))
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

    /// A page of dead letters in ascending id order, with the same paging rules as ``events(sourceID:after:limit:)``.
    ///
    /// - Parameters:
    ///   - id: The id to continue after, or `nil` for the newest dead letters.
    ///   - limit: The most dead letters returned.
    public func deadLetters(after id: Int64?, limit: Int) throws -> [StoredDeadLetter] {
        guard limit > 0 else { return [] }
        let sql =
            id == nil
            ? "SELECT \(Self.deadLetterColumns) FROM dead_letters WHERE ?1 = ?1 ORDER BY id DESC LIMIT ?2"
            : "SELECT \(Self.deadLetterColumns) FROM dead_letters WHERE id > ?1 ORDER BY id LIMIT ?2"
        let deadLetters = try read { connection in
            let statement = try connection.prepare(sql)
            try statement.bind(id ?? 0, at: 1)
            try statement.bind(limit, at: 2)
            return try statement.query(Self.deadLetter(from:))
        }
        return id == nil ? deadLetters.reversed() : deadLetters
    }

    /// The dead letter with `id`, if any.
    public func deadLetter(id: Int64) throws -> StoredDeadLetter? {
        try read { connection in
            let statement = try connection.prepare("SELECT \(Self.deadLetterColumns) FROM dead_letters WHERE id = ?1")
            try statement.bind(id, at: 1)
            return try statement.queryFirst(Self.deadLetter(from:))
        }
    }

    private static func event(from row: SQLiteStatement) -> StoredEvent {
        StoredEvent(
            sequence: row.int64(at: 0), sourceID: row.int64(at: 1), messageID: row.string(at: 2),
            kind: row.string(at: 3), eventName: row.optionalString(at: 4), userID: row.optionalString(at: 5),
            anonymousID: row.optionalString(at: 6), timestamp: Timestamp(milliseconds: row.int64(at: 7)),
            receivedAt: Timestamp(milliseconds: row.int64(at: 8)), body: row.blob(at: 9))
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
