/// What one caller hands to the writer: its accepted records and dead letters, stored all or nothing.
///
/// A batch is never split across transactions. Batches from many callers share one commit.
public struct CommitBatch: Sendable {
    /// Records to deduplicate and store, in order.
    public var records: [IncomingRecord]
    /// Rejected records to keep.
    public var deadLetters: [IncomingDeadLetter]
    /// Dead letters this batch replays; they are marked replayed in the same transaction.
    ///
    /// A dead letter that does not exist or was already replayed fails the whole batch, so that a
    /// replay happens at most once.
    public var replayedDeadLetters: [Int64]
    /// What the commit participants prepared, per record and then per participant, in the order of
    /// `records` and of the participants (see ``CommitParticipant/prepare(_:)``); empty until
    /// ``Store/submit(_:completion:)`` fills it.
    var preparations: [[(any Sendable)?]] = []

    /// Creates a batch.
    public init(
        records: [IncomingRecord] = [], deadLetters: [IncomingDeadLetter] = [], replayedDeadLetters: [Int64] = []
    ) {
        self.records = records
        self.deadLetters = deadLetters
        self.replayedDeadLetters = replayedDeadLetters
    }

    /// Whether there is nothing to write.
    var isEmpty: Bool { records.isEmpty && deadLetters.isEmpty && replayedDeadLetters.isEmpty }

    /// How much room the batch takes against ``Store/Configuration/maxRecordsPerCommit`` (at least 1).
    var weight: Int { max(1, records.count + deadLetters.count + replayedDeadLetters.count) }
}

/// What happened to one record of a batch.
public enum RecordOutcome: Sendable, Equatable {
    /// Stored as the event with this sequence number.
    case stored(sequence: Int64)
    /// Acknowledged but not stored: the same `(sourceID, messageID)` was accepted within the dedupe window.
    case duplicate
}

/// The result of a committed batch; everything in it is durable.
public struct CommitReceipt: Sendable {
    /// One outcome per record, in the order of ``CommitBatch/records``.
    public var outcomes: [RecordOutcome]
    /// The ids given to the dead letters, in the order of ``CommitBatch/deadLetters``.
    public var deadLetterIDs: [Int64]

    /// Creates a receipt.
    public init(outcomes: [RecordOutcome], deadLetterIDs: [Int64]) {
        self.outcomes = outcomes
        self.deadLetterIDs = deadLetterIDs
    }
}

/// Figures about one successful group commit, reported to the store's `onCommit` observer.
public struct CommitStatistics: Sendable {
    /// Callers' batches committed together.
    public var batches: Int
    /// Records stored (duplicates not included).
    public var records: Int
    /// Records acknowledged as duplicates.
    public var duplicates: Int
    /// Dead letters stored.
    public var deadLetters: Int
    /// Batches that failed alone and were rolled back without the rest (e.g. an unknown source).
    public var rejectedBatches: Int
    /// Time from the start of the transaction to the end of its commit (including the sync).
    public var duration: Duration

    /// Creates statistics.
    public init(
        batches: Int, records: Int, duplicates: Int, deadLetters: Int, rejectedBatches: Int = 0, duration: Duration
    ) {
        self.batches = batches
        self.records = records
        self.duplicates = duplicates
        self.deadLetters = deadLetters
        self.rejectedBatches = rejectedBatches
        self.duration = duration
    }
}
