import TesseraCore

/// One read of personal data: who, when, through which route and action, and whose profile.
///
/// Holds ids only, never payloads, attribute values, identity values or secrets.
public struct AuditEntry: Sendable, Equatable {
    /// The entry's id, given when stored; nil before.
    public var id: Int64?
    /// When the read happened.
    public var time: Timestamp
    /// The public id of the token that read (`admin` for the admin token).
    public var tokenID: String
    /// The route pattern, e.g. `/v1/profiles/{namespace}/{value}`, never the concrete path.
    public var route: String
    /// What was done: `read` (masked) or `read-pii` (unmasked), or a route-specific verb.
    public var action: String
    /// The profile read; nil when the read concerns no single profile (a dead-letter page).
    public var profileID: Int64?

    /// Creates an entry.
    public init(
        id: Int64? = nil, time: Timestamp, tokenID: String, route: String, action: String, profileID: Int64?
    ) {
        self.id = id
        self.time = time
        self.tokenID = tokenID
        self.route = route
        self.action = action
        self.profileID = profileID
    }
}

/// The audit log: appended in batches through the writer, paged by id (see ``AuditDatabase``).
extension Store {
    /// Appends entries in one transaction, in order, and indexes the segments they complete.
    ///
    /// - Throws: ``StorageError`` when the transaction fails; nothing of it is stored.
    public func appendAudit(_ entries: [AuditEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await transaction { connection in
            let insert = try connection.prepare(
                "INSERT INTO audit_log (time, token_id, route, action, profile_id) VALUES (?1, ?2, ?3, ?4, ?5)")
            for entry in entries {
                try insert.bind(entry.time.milliseconds, at: 1)
                try insert.bind(entry.tokenID, at: 2)
                try insert.bind(entry.route, at: 3)
                try insert.bind(entry.action, at: 4)
                try insert.bind(entry.profileID, at: 5)
                try insert.run()
            }
            try AuditDatabase.indexFullSegments(connection)
        }
    }

    /// Entries with ids above `after`, oldest first, at most `limit`.
    ///
    /// - Parameters:
    ///   - after: The last id of the previous page, or nil for the start.
    ///   - limit: The most entries returned.
    ///   - profileID: Only entries about this profile, when given.
    /// - Complexity: One range scan of the log; for one profile, a seek per indexed segment and a
    ///   scan of the segment being written.
    public func auditEntries(after: Int64?, limit: Int, profileID: Int64? = nil) throws -> [AuditEntry] {
        try read { connection in
            if let profileID {
                let ids = try AuditDatabase.entryIDs(of: profileID, after: after ?? 0, limit: limit, in: connection)
                return try Self.auditEntries(ids: ids, in: connection)
            }
            let select = try connection.prepare(
                "SELECT id, time, token_id, route, action, profile_id FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2"
            )
            try select.bind(after ?? 0, at: 1)
            try select.bind(limit, at: 2)
            return try select.query(Self.auditEntry)
        }
    }

    /// Deletes the entries older than `cutoff`, a segment per transaction, oldest first; the newest
    /// segment and any segment holding a later entry stay.
    ///
    /// - Returns: how many entries went.
    public func deleteAuditEntries(before cutoff: Timestamp) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await transaction { connection in
                try AuditDatabase.deleteOldestSegment(before: cutoff, in: connection)
            }
            guard deleted > 0 else { return total }
            total += deleted
        }
    }

    /// Every entry about `profile`, oldest first, read on `connection` (inside ``read(_:)`` or
    /// ``transaction(_:)``).
    public func auditEntries(of profile: Int64, in connection: SQLiteConnection) throws -> [AuditEntry] {
        let ids = try AuditDatabase.entryIDs(of: profile, after: 0, limit: Int.max, in: connection)
        return try Self.auditEntries(ids: ids, in: connection)
    }

    private static func auditEntries(ids: [Int64], in connection: SQLiteConnection) throws -> [AuditEntry] {
        let select = try connection.prepare(
            "SELECT id, time, token_id, route, action, profile_id FROM audit_log WHERE id = ?1")
        return try ids.compactMap { id in
            try select.bind(id, at: 1)
            return try select.queryFirst(auditEntry)
        }
    }

    private static func auditEntry(_ row: SQLiteStatement) -> AuditEntry {
        AuditEntry(
            id: row.int64(at: 0), time: Timestamp(milliseconds: row.int64(at: 1)), tokenID: row.string(at: 2),
            route: row.string(at: 3), action: row.string(at: 4), profileID: row.optionalInt64(at: 5))
    }
}
