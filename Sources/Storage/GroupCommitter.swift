internal import CSQLite
import TesseraCore

/// A caller's batch waiting for its commit, with the callback that reports the outcome.
struct PendingBatch: Sendable {
    var batch: CommitBatch
    var completion: @Sendable (Result<CommitReceipt, StorageError>) -> Void
}

/// An admin transaction waiting for the writer.
struct AdminJob: Sendable {
    /// Runs the caller's body inside the open transaction and returns how to report its value once
    /// the transaction has committed.
    var run: @Sendable (SQLiteConnection) throws -> @Sendable () -> Void
    /// Reports a failure of the body, of `BEGIN` or of `COMMIT`.
    var fail: @Sendable (any Error) -> Void
}

/// Writes group commits, admin transactions and dedupe-key purges through the writer's connection.
///
/// Used only on the writer thread. It keeps its hot statements itself (prepared uncached, so nobody
/// else can reset them), so storing a record costs two statement executions and no lookups: an
/// upsert that claims the dedupe key and the event insert.
final class GroupCommitter {
    /// Everything one group commit produced.
    struct Outcome {
        /// One result per batch, in group order.
        var results: [Result<CommitReceipt, StorageError>]
        /// Figures about the commit, or `nil` when it failed as a whole.
        var statistics: CommitStatistics?
    }

    private let connection: SQLiteConnection
    private let participants: [any CommitParticipant]
    private let clock: any WallClock
    private let logger: Logger
    private let dedupeWindow: Int64
    private let purgeInterval: Int64
    private let purgeChunk: Int
    private var purgeDueAt: Timestamp
    private var failureLog = FailureLog()
    private let statements: Statements

    /// Prepares the writer's statements on `connection`, which must already be migrated.
    init(
        connection: SQLiteConnection, configuration: Store.Configuration, clock: any WallClock,
        participants: [any CommitParticipant]
    ) throws {
        self.connection = connection
        self.participants = participants
        self.clock = clock
        self.logger = configuration.logger
        self.dedupeWindow = configuration.dedupeWindow.milliseconds
        self.purgeInterval = max(1, configuration.dedupePurgeInterval.milliseconds)
        self.purgeChunk = max(1, configuration.dedupePurgeChunk)
        self.purgeDueAt = clock.now()
        self.statements = try Statements(connection)
    }

    // MARK: Group commits

    /// Stores `group` in one transaction and reports one result per batch.
    ///
    /// When the group holds several batches, each runs inside its own savepoint: a batch that breaks
    /// a constraint (an unknown source, a dead letter replayed twice) is rolled back and fails alone.
    /// Any other failure — of a participant, of the disk, of `COMMIT` — rolls everything back and
    /// fails every batch.
    func commit(_ group: [PendingBatch]) -> Outcome {
        let started = ContinuousClock.now
        let now = clock.now()
        var totals = CommitStatistics(batches: group.count, records: 0, duplicates: 0, deadLetters: 0, duration: .zero)
        do {
            try statements.begin.run()
            var stored: [StoredRecordReference] = []
            var results: [Result<CommitReceipt, StorageError>] = []
            results.reserveCapacity(group.count)
            for pending in group {
                results.append(try write(pending.batch, isolated: group.count > 1, at: now, stored: &stored))
                tally(results[results.count - 1], into: &totals)
            }
            try applyParticipants(to: stored)
            try purgeExpiredKeys(at: now)
            try statements.commit.run()
            totals.duration = started.duration(to: .now)
            return Outcome(results: results, statistics: totals)
        } catch {
            rollbackIfOpen()
            let failure = error as? StorageError ?? StorageError(code: 0, message: "commit failed", underlying: error)
            if group.count > 1 || !Self.failsOnlyItsBatch(failure) {
                failureLog.record(failure, batches: group.count, logger: logger)
            }
            return Outcome(results: group.map { _ in .failure(failure) }, statistics: nil)
        }
    }

    /// Writes one batch, inside a savepoint when `isolated`.
    ///
    /// - Returns: The batch's receipt, or its own failure when only this batch was rolled back.
    /// - Throws: Failures that must roll back the whole group.
    private func write(
        _ batch: CommitBatch, isolated: Bool, at now: Timestamp, stored: inout [StoredRecordReference]
    ) throws -> Result<CommitReceipt, StorageError> {
        guard isolated else { return .success(try write(batch, at: now, stored: &stored)) }
        let storedBefore = stored.count
        try statements.savepoint.run()
        do {
            let receipt = try write(batch, at: now, stored: &stored)
            try statements.release.run()
            return .success(receipt)
        } catch let error as StorageError where Self.failsOnlyItsBatch(error) && !connection.isAutocommit {
            try statements.rollbackToSavepoint.run()
            try statements.release.run()
            stored.removeSubrange(storedBefore...)
            return .failure(error)
        }
    }

    private func write(
        _ batch: CommitBatch, at now: Timestamp, stored: inout [StoredRecordReference]
    ) throws -> CommitReceipt {
        var outcomes: [RecordOutcome] = []
        outcomes.reserveCapacity(batch.records.count)
        for record in batch.records {
            guard try claimKey(of: record, at: now) else {
                outcomes.append(.duplicate)
                continue
            }
            let sequence = try insertEvent(record)
            outcomes.append(.stored(sequence: sequence))
            if !participants.isEmpty {
                stored.append(StoredRecordReference(sequence: sequence, record: record))
            }
        }

        var deadLetterIDs: [Int64] = []
        deadLetterIDs.reserveCapacity(batch.deadLetters.count)
        for deadLetter in batch.deadLetters {
            deadLetterIDs.append(try insertDeadLetter(deadLetter))
        }

        for id in batch.replayedDeadLetters {
            try markReplayed(id, at: now)
        }
        return CommitReceipt(outcomes: outcomes, deadLetterIDs: deadLetterIDs)
    }

    /// Records the record's dedupe key as first seen `now`, unless it was seen within the window.
    ///
    /// - Returns: `true` when the record is new (or its previous sighting expired), `false` for a duplicate.
    private func claimKey(of record: IncomingRecord, at now: Timestamp) throws -> Bool {
        let statement = statements.claimKey
        try statement.bind(record.sourceID, at: 1)
        try statement.bind(record.messageID, at: 2)
        try statement.bind(now.milliseconds, at: 3)
        try statement.bind(now.milliseconds - dedupeWindow, at: 4)
        try statement.run()
        return connection.changes > 0
    }

    private func insertEvent(_ record: IncomingRecord) throws -> Int64 {
        let statement = statements.insertEvent
        try statement.bind(record.sourceID, at: 1)
        try statement.bind(record.messageID, at: 2)
        try statement.bind(record.kind, at: 3)
        try statement.bind(record.eventName, at: 4)
        try statement.bind(record.userID, at: 5)
        try statement.bind(record.anonymousID, at: 6)
        try statement.bind(record.timestamp.milliseconds, at: 7)
        try statement.bind(record.receivedAt.milliseconds, at: 8)
        try statement.bind(record.body, at: 9)
        try statement.run()
        return connection.lastInsertRowID
    }

    private func insertDeadLetter(_ deadLetter: IncomingDeadLetter) throws -> Int64 {
        let statement = statements.insertDeadLetter
        try statement.bind(deadLetter.sourceID, at: 1)
        try statement.bind(deadLetter.route, at: 2)
        try statement.bind(deadLetter.code, at: 3)
        try statement.bind(deadLetter.message, at: 4)
        try statement.bind(deadLetter.field, at: 5)
        try statement.bind(deadLetter.index, at: 6)
        try statement.bind(deadLetter.receivedAt.milliseconds, at: 7)
        try statement.bind(deadLetter.body, at: 8)
        try statement.bind(deadLetter.truncated, at: 9)
        try statement.run()
        return connection.lastInsertRowID
    }

    /// Marks a dead letter replayed, failing the batch when it does not exist or was replayed before.
    private func markReplayed(_ id: Int64, at now: Timestamp) throws {
        try statements.markReplayed.bind(now.milliseconds, at: 1)
        try statements.markReplayed.bind(id, at: 2)
        try statements.markReplayed.run()
        guard connection.changes == 0 else { return }
        try statements.findDeadLetter.bind(id, at: 1)
        guard try statements.findDeadLetter.queryFirst({ _ in true }) != nil else {
            throw StorageError.notFound("the dead letter does not exist")
        }
        throw StorageError.conflict("the dead letter was already replayed")
    }

    private func applyParticipants(to stored: [StoredRecordReference]) throws {
        guard !stored.isEmpty else { return }
        for participant in participants {
            do {
                try participant.apply(stored: stored, in: connection)
            } catch {
                let code = (error as? StorageError)?.code ?? 0
                throw StorageError(
                    code: code, message: "a commit participant failed", kind: .participant, underlying: error)
            }
        }
    }

    private func tally(_ result: Result<CommitReceipt, StorageError>, into totals: inout CommitStatistics) {
        guard case .success(let receipt) = result else {
            totals.rejectedBatches += 1
            return
        }
        for outcome in receipt.outcomes {
            if outcome == .duplicate {
                totals.duplicates += 1
            } else {
                totals.records += 1
            }
        }
        totals.deadLetters += receipt.deadLetterIDs.count
    }

    /// Whether `error` concerns only the batch being written, so that the rest of the group can commit.
    private static func failsOnlyItsBatch(_ error: StorageError) -> Bool {
        switch error.kind {
        case .constraint, .notFound, .conflict, .invalidArgument: true
        default: [SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_RANGE].contains(error.primaryCode)
        }
    }

    // MARK: Admin transactions

    /// Runs `job` in its own transaction and reports its value after the commit.
    func run(_ job: AdminJob) {
        let report: @Sendable () -> Void
        do {
            try statements.begin.run()
            report = try job.run(connection)
            try statements.commit.run()
        } catch {
            rollbackIfOpen()
            job.fail(error)
            return
        }
        report()
    }

    // MARK: Dedupe-key retention

    /// Deletes one chunk of expired dedupe keys when a purge is due.
    ///
    /// Purges start every `dedupePurgeInterval` and continue one chunk per commit until a chunk
    /// comes back short, so no commit pays for more than `dedupePurgeChunk` deletions.
    ///
    /// - Complexity: O(*c* log *n*) for a chunk of *c* keys among *n*, through the `first_seen` index.
    private func purgeExpiredKeys(at now: Timestamp) throws {
        guard now >= purgeDueAt else { return }
        let statement = statements.purgeKeys
        try statement.bind(now.milliseconds - dedupeWindow, at: 1)
        try statement.bind(purgeChunk, at: 2)
        try statement.run()
        if connection.changes < purgeChunk {
            purgeDueAt = now.adding(milliseconds: purgeInterval)
        }
    }

    /// Runs a due purge chunk in a transaction of its own, for when no records arrive.
    func purgeWhileIdle() {
        let now = clock.now()
        guard now >= purgeDueAt else { return }
        do {
            try statements.begin.run()
            try purgeExpiredKeys(at: now)
            try statements.commit.run()
        } catch {
            rollbackIfOpen()
            purgeDueAt = now.adding(milliseconds: purgeInterval)
            logger.warning("dedupe key purge failed", metadata: ["error.code": "\((error as? StorageError)?.code ?? 0)"])
        }
    }

    private func rollbackIfOpen() {
        guard !connection.isAutocommit else { return }
        do {
            try statements.rollback.run()
        } catch {
            logger.error("rollback failed", metadata: ["error.code": "\((error as? StorageError)?.code ?? 0)"])
        }
    }
}

extension GroupCommitter {
    /// The writer's statements, compiled once.
    private struct Statements {
        let begin: SQLiteStatement
        let commit: SQLiteStatement
        let rollback: SQLiteStatement
        let savepoint: SQLiteStatement
        let release: SQLiteStatement
        let rollbackToSavepoint: SQLiteStatement
        let claimKey: SQLiteStatement
        let insertEvent: SQLiteStatement
        let insertDeadLetter: SQLiteStatement
        let markReplayed: SQLiteStatement
        let findDeadLetter: SQLiteStatement
        let purgeKeys: SQLiteStatement

        init(_ connection: SQLiteConnection) throws {
            func compile(_ sql: String) throws -> SQLiteStatement { try connection.prepare(sql, cached: false) }
            begin = try compile("BEGIN IMMEDIATE")
            commit = try compile("COMMIT")
            rollback = try compile("ROLLBACK")
            savepoint = try compile("SAVEPOINT batch")
            release = try compile("RELEASE batch")
            rollbackToSavepoint = try compile("ROLLBACK TO batch")
            // A new key is inserted; a known key counts as new again only when it has expired.
            claimKey = try compile(
                """
                INSERT INTO dedupe_keys (source_id, message_id, first_seen) VALUES (?1, ?2, ?3)
                ON CONFLICT (source_id, message_id) DO UPDATE SET first_seen = excluded.first_seen
                WHERE dedupe_keys.first_seen <= ?4
                """)
            insertEvent = try compile(
                """
                INSERT INTO events (source_id, message_id, kind, event_name, user_id, anonymous_id,
                    timestamp, received_at, body)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                """)
            insertDeadLetter = try compile(
                """
                INSERT INTO dead_letters (source_id, route, code, message, field, item_index, received_at,
                    body, truncated)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                """)
            markReplayed = try compile(
                "UPDATE dead_letters SET replayed_at = ?1 WHERE id = ?2 AND replayed_at IS NULL")
            findDeadLetter = try compile("SELECT 1 FROM dead_letters WHERE id = ?1")
            purgeKeys = try compile(
                """
                DELETE FROM dedupe_keys WHERE (source_id, message_id) IN (
                    SELECT source_id, message_id FROM dedupe_keys WHERE first_seen <= ?1
                    ORDER BY first_seen LIMIT ?2)
                """)
        }
    }

    /// Logs commit failures at most once every ten seconds, with how many were not logged.
    ///
    /// A full disk fails every commit; one line per commit would bury the log.
    private struct FailureLog {
        private var lastLogged: ContinuousClock.Instant?
        private var unlogged = 0

        mutating func record(_ error: StorageError, batches: Int, logger: Logger) {
            let now = ContinuousClock.now
            if let lastLogged, lastLogged.duration(to: now) < .seconds(10) {
                unlogged += 1
                return
            }
            logger.error(
                "group commit failed",
                metadata: [
                    "error.code": "\(error.code)", "error.kind": "\(error.kind)", "commit.batches": "\(batches)",
                    "commit.failures_not_logged": "\(unlogged)",
                ])
            lastLogged = now
            unlogged = 0
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
