import Foundation
import TesseraCore

/// Erasure of stored records, for privacy deletes and retention.
///
/// The functions taking a connection run inside a writer transaction (a body passed to
/// ``Store/transaction(_:)``), so an erasure commits whole with the rest of a cascade or not at
/// all. The write connection runs with `secure_delete` on (see ``Store/Configuration/secureDelete``),
/// so SQLite overwrites what it deletes; ``checkpointAndTruncate(vacuum:)`` then empties the WAL,
/// which still holds the pages as they were before.
extension Store {
    /// What erasing events removed.
    public struct EventErasure: Sendable, Equatable {
        /// Events deleted.
        public var events = 0
        /// Dedupe keys deleted with them.
        public var dedupeKeys = 0

        /// Nothing erased yet.
        public init() {}
    }

    /// Deletes the events with these sequence numbers and their dedupe keys, and forgets the keys in
    /// the in-memory dedupe index. Call only inside ``transaction(_:)``.
    ///
    /// - Complexity: O(k log n) for the events; the dedupe keys are found by one scan of the
    ///   `dedupe_keys` rows within the dedupe window, skipped when every event is older than them.
    public func eraseEvents(_ sequences: Set<Int64>, in connection: SQLiteConnection) throws -> EventErasure {
        var erasure = EventErasure()
        guard !sequences.isEmpty else { return erasure }
        let delete = try connection.prepare("DELETE FROM events WHERE sequence = ?1")
        for sequence in sequences {
            try delete.bind(sequence, at: 1)
            try delete.run()
            erasure.events += connection.changes
        }
        erasure.dedupeKeys = try eraseDedupeKeys(upTo: sequences.max() ?? 0, in: connection) {
            sequences.contains($0)
        }
        return erasure
    }

    /// Deletes every event with a sequence number up to `last`, and their dedupe keys. Call only
    /// inside ``transaction(_:)``.
    ///
    /// - Complexity: O(k log n) for k events (a range of the primary key).
    public func eraseEvents(through last: Int64, in connection: SQLiteConnection) throws -> EventErasure {
        var erasure = EventErasure()
        let delete = try connection.prepare("DELETE FROM events WHERE sequence <= ?1")
        try delete.bind(last, at: 1)
        try delete.run()
        erasure.events = connection.changes
        erasure.dedupeKeys = try eraseDedupeKeys(upTo: last, in: connection) { $0 <= last }
        return erasure
    }

    /// The oldest events received before `cutoff`, in log order, stopping at the first one received
    /// at or after it: at most `limit` sequence numbers, the last of which can be passed to
    /// ``eraseEvents(through:in:)``.
    ///
    /// Log order follows reception closely (records are numbered as they commit), so this finds
    /// expired events without an index on reception time. Call inside a transaction or a read.
    public func oldestEvents(receivedBefore cutoff: Timestamp, limit: Int, in connection: SQLiteConnection) throws
        -> [Int64]
    {
        let select = try connection.prepare(
            "SELECT sequence, received_at FROM events ORDER BY sequence LIMIT ?1", cached: false)
        try select.bind(limit, at: 1)
        var sequences: [Int64] = []
        while try select.step() {
            guard select.int64(at: 1) < cutoff.milliseconds else { break }
            sequences.append(select.int64(at: 0))
        }
        select.reset()
        return sequences
    }

    /// Deletes dedupe keys whose event matches `erased`, none of which is above `highest`.
    ///
    /// Keys are logged in event order, so when the oldest key left is newer than `highest` (the
    /// usual case for retention, whose events are far older than the dedupe window) nothing is read.
    private func eraseDedupeKeys(
        upTo highest: Int64, in connection: SQLiteConnection, erased: (Int64) -> Bool
    ) throws -> Int {
        let oldest = try connection.prepare("SELECT sequence FROM dedupe_keys ORDER BY id LIMIT 1")
        guard let first = try oldest.queryFirst({ $0.int64(at: 0) }), first <= highest else { return 0 }
        let select = try connection.prepare(
            "SELECT id, source_id, message_id, sequence FROM dedupe_keys", cached: false)
        var doomed: [(row: Int64, hash: UInt64)] = []
        while try select.step() {
            guard erased(select.int64(at: 3)) else { continue }
            let hash = DedupeIndex.hash(sourceID: select.int64(at: 1), messageID: select.string(at: 2))
            doomed.append((select.int64(at: 0), hash))
        }
        select.reset()
        let delete = try connection.prepare("DELETE FROM dedupe_keys WHERE id = ?1")
        for key in doomed {
            try delete.bind(key.row, at: 1)
            try delete.run()
        }
        // On the writer thread, between group commits: a rollback of this transaction would leave the
        // index without keys whose rows survive, which costs at most a missed duplicate.
        dedupeIndex.state.withLock { index in
            for key in doomed { index.remove(key.hash, row: key.row) }
        }
        return doomed.count
    }

    /// Deletes dead letters whose body holds any of `values` as a JSON string, compared without
    /// regard to ASCII case. Call only inside ``transaction(_:)``.
    ///
    /// - Complexity: one scan of `dead_letters` per value.
    public func eraseDeadLetters(containing values: Set<String>, in connection: SQLiteConnection) throws -> Int {
        let delete = try connection.prepare(
            "DELETE FROM dead_letters WHERE instr(lower(CAST(body AS TEXT)), ?1) > 0", cached: false)
        var erased = 0
        for value in values where !value.isEmpty {
            try delete.bind("\"" + value.lowercased() + "\"", at: 1)
            try delete.run()
            erased += connection.changes
        }
        return erased
    }

    /// Cuts audit entries loose from erased profiles: who read, when and through which route stay;
    /// whose profile it was does not. Call only inside ``transaction(_:)``.
    public func detachAuditEntries(from profiles: Set<Int64>, in connection: SQLiteConnection) throws -> Int {
        let update = try connection.prepare("UPDATE audit_log SET profile_id = NULL WHERE id = ?1")
        let unindex = try connection.prepare(
            "DELETE FROM audit_by_profile WHERE segment = ?1 AND profile_id = ?2 AND id = ?3")
        var detached = 0
        for profile in profiles {
            for id in try AuditDatabase.entryIDs(of: profile, after: 0, limit: Int.max, in: connection) {
                try update.bind(id, at: 1)
                try update.run()
                detached += connection.changes
                try unindex.bind(id >> AuditDatabase.segmentBits, at: 1)
                try unindex.bind(profile, at: 2)
                try unindex.bind(id, at: 3)
                try unindex.run()
            }
        }
        return detached
    }

    /// Copies the WALs back into the database files (the store's and the audit log's) and truncates
    /// them to nothing, so that the page images they held before an erasure are gone from disk; with
    /// `vacuum`, rewrites the whole files first (for stores written before `secure_delete` was on).
    ///
    /// Runs on a connection of its own, outside the writer: it waits (up to the busy timeout, a few
    /// times) for readers and the writer to let go of the WAL.
    ///
    /// - Throws: ``StorageError`` when the WAL could not be emptied.
    public func checkpointAndTruncate(vacuum: Bool = false) throws {
        let connection = try SQLiteConnection(path: databasePath, flags: [.readWrite])
        try AuditDatabase.attach(connection, path: auditDatabasePath)
        // Unqualified, after the attach: both databases.
        try connection.execute(
            "PRAGMA busy_timeout = \(configuration.busyTimeout.milliseconds); PRAGMA secure_delete = ON")
        if vacuum {
            try connection.execute("VACUUM main; VACUUM \(AuditDatabase.schema)")
        }
        for attempt in 0..<5 {
            let statement = try connection.prepare("PRAGMA wal_checkpoint(TRUNCATE)", cached: false)
            let busy = try statement.queryFirst { $0.int64(at: 0) } ?? 1
            if busy == 0 { return }
            Thread.sleep(forTimeInterval: 0.05 * Double(attempt + 1))
        }
        throw StorageError(code: 0, message: "the WAL could not be checkpointed", kind: .busy)
    }
}
