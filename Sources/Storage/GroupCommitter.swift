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
/// else can reset them). Storing a new record costs a hash lookup in memory and two appends: the
/// event and its dedupe key.
final class GroupCommitter {
    /// Everything one group commit produced.
    struct Outcome {
        /// One result per batch, in group order.
        var results: [Result<CommitReceipt, StorageError>]
        /// Figures about the commit, or `nil` when it failed as a whole.
        var statistics: CommitStatistics?
    }

    /// The dedupe index, which readers use to find events by message id.
    var dedupeIndex: SharedDedupeIndex { deduplicator.shared }

    private let connection: SQLiteConnection
    private let participants: [any CommitParticipant]
    private let clock: any WallClock
    private let logger: Logger
    private let deduplicator: Deduplicator
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
        self.purgeInterval = max(1, configuration.dedupePurgeInterval.milliseconds)
        self.purgeChunk = max(1, configuration.dedupePurgeChunk)
        self.purgeDueAt = clock.now()
        self.statements = try Statements(connection)
        self.deduplicator = try Deduplicator(
            connection: connection, window: configuration.dedupeWindow, now: purgeDueAt)
    }

    // MARK: Group commits

    /// Stores `group` in one transaction and reports one result per batch.
    ///
    /// A batch that breaks a constraint (an unknown source, a dead letter replayed twice) fails
    /// alone: the transaction is rolled back and the group is written again without it. Such
    /// failures are rare, so this costs less than a savepoint around every batch. Any other
    /// failure — of a participant, of the disk, of `COMMIT` — fails every batch of the group.
    func commit(_ group: [PendingBatch]) -> Outcome {
        var results: [Result<CommitReceipt, StorageError>?] = Array(repeating: nil, count: group.count)
        var remaining = Array(group.indices)
        var rejected = 0
        while !remaining.isEmpty {
            switch attempt(remaining.map { group[$0].batch }) {
            case .committed(let receipts, var statistics):
                for (index, receipt) in zip(remaining, receipts) {
                    results[index] = .success(receipt)
                }
                statistics.batches = group.count
                statistics.rejectedBatches = rejected
                return Outcome(results: results.map { $0! }, statistics: statistics)
            case .batchFailed(let position, let error):
                results[remaining[position]] = .failure(error)
                remaining.remove(at: position)
                rejected += 1
            case .failed(let error):
                failureLog.record(error, batches: group.count, logger: logger)
                return Outcome(results: results.map { $0 ?? .failure(error) }, statistics: nil)
            }
        }
        return Outcome(results: results.map { $0! }, statistics: nil)
    }

    /// How one attempt at a group commit ended.
    private enum Attempt {
        case committed([CommitReceipt], CommitStatistics)
        /// The batch at this position broke a constraint; everything was rolled back.
        case batchFailed(Int, StorageError)
        /// Everything was rolled back for a reason that is not one batch's fault.
        case failed(StorageError)
    }

    private func attempt(_ batches: [CommitBatch]) -> Attempt {
        let started = ContinuousClock.now
        let purgeDueBefore = purgeDueAt
        var mark: Deduplicator.Mark?
        var writing: Int?
        do {
            try statements.begin.run()
            let now = try deduplicator.beginCommit(at: clock.now())
            mark = deduplicator.mark()
            var stored = StoredRecords()
            var receipts: [CommitReceipt] = []
            receipts.reserveCapacity(batches.count)
            for (position, batch) in batches.enumerated() {
                writing = position
                receipts.append(try write(batch, at: now, stored: &stored))
            }
            writing = nil
            try applyParticipants(to: stored)
            try purgeExpiredKeys(at: now)
            try statements.commit.run()
            deduplicator.commit()
            var statistics = Self.tally(receipts)
            statistics.duration = started.duration(to: .now)
            return .committed(receipts, statistics)
        } catch {
            rollbackIfOpen()
            if let mark {
                deduplicator.rollback(to: mark)
            }
            purgeDueAt = purgeDueBefore  // a purge that was rolled back is still due
            let failure = error as? StorageError ?? StorageError(code: 0, message: "commit failed", underlying: error)
            guard let writing, Self.failsOnlyItsBatch(failure) else { return .failed(failure) }
            return .batchFailed(writing, failure)
        }
    }

    private func write(
        _ batch: CommitBatch, at now: Timestamp, stored: inout StoredRecords
    ) throws -> CommitReceipt {
        var outcomes: [RecordOutcome] = []
        outcomes.reserveCapacity(batch.records.count)
        for (position, record) in batch.records.enumerated() {
            guard case .new(let hash, let replacing) = try deduplicator.claim(record, at: now) else {
                outcomes.append(.duplicate)
                continue
            }
            let sequence = try insertEvent(record)
            try deduplicator.log(record, hash: hash, replacing: replacing, sequence: sequence, at: now)
            outcomes.append(.stored(sequence: sequence))
            if !participants.isEmpty {
                stored.references.append(StoredRecordReference(sequence: sequence, record: record))
                stored.preparations.append(batch.preparations.isEmpty ? [] : batch.preparations[position])
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

    private func applyParticipants(to stored: StoredRecords) throws {
        guard !stored.references.isEmpty else { return }
        var references = stored.references
        for (index, participant) in participants.enumerated() {
            for position in references.indices {
                let preparations = stored.preparations[position]
                references[position].prepared = index < preparations.count ? preparations[index] : nil
            }
            do {
                try participant.apply(stored: references, in: connection)
            } catch {
                let code = (error as? StorageError)?.code ?? 0
                throw StorageError(
                    code: code, message: "a commit participant failed", kind: .participant, underlying: error)
            }
        }
    }

    private static func tally(_ receipts: [CommitReceipt]) -> CommitStatistics {
        var statistics = CommitStatistics(batches: 0, records: 0, duplicates: 0, deadLetters: 0, duration: .zero)
        for receipt in receipts {
            for outcome in receipt.outcomes {
                if outcome == .duplicate {
                    statistics.duplicates += 1
                } else {
                    statistics.records += 1
                }
            }
            statistics.deadLetters += receipt.deadLetterIDs.count
        }
        return statistics
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
    /// Purges start every `dedupePurgeInterval` and continue one chunk per commit until nothing
    /// expired is left, so no commit pays for more than `dedupePurgeChunk` deletions.
    private func purgeExpiredKeys(at now: Timestamp) throws {
        guard now >= purgeDueAt else { return }
        if try deduplicator.purge(at: now, limit: purgeChunk) {
            purgeDueAt = now.adding(milliseconds: purgeInterval)
        }
    }

    /// Runs a due purge chunk in a transaction of its own, for when no records arrive.
    func purgeWhileIdle() {
        let now = clock.now()
        guard now >= purgeDueAt else { return }
        var mark: Deduplicator.Mark?
        do {
            try statements.begin.run()
            let logTime = try deduplicator.beginCommit(at: now)
            mark = deduplicator.mark()
            try purgeExpiredKeys(at: logTime)
            try statements.commit.run()
            deduplicator.commit()
        } catch {
            rollbackIfOpen()
            if let mark {
                deduplicator.rollback(to: mark)
            }
            purgeDueAt = now.adding(milliseconds: purgeInterval)
            logger.warning(
                "dedupe key purge failed", metadata: ["error.code": "\((error as? StorageError)?.code ?? 0)"])
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
        let insertEvent: SQLiteStatement
        let insertDeadLetter: SQLiteStatement
        let markReplayed: SQLiteStatement
        let findDeadLetter: SQLiteStatement

        init(_ connection: SQLiteConnection) throws {
            func compile(_ sql: String) throws -> SQLiteStatement { try connection.prepare(sql, cached: false) }
            begin = try compile("BEGIN IMMEDIATE")
            commit = try compile("COMMIT")
            rollback = try compile("ROLLBACK")
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

/// The records stored by the commit being written, with what each participant prepared of each.
private struct StoredRecords {
    var references: [StoredRecordReference] = []
    /// Per record, one preparation per participant (empty when the batch was not prepared).
    var preparations: [[(any Sendable)?]] = []
}
