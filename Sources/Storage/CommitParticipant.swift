/// Work that must commit in the same transaction as the records it follows from.
///
/// Identity links, profile changes, audience membership and outbox rows are written by
/// participants, so that a crash never keeps an event without its consequences or the reverse.
/// Participants run on the writer thread, in registration order, after the group's records are
/// stored and before the commit. They are called only when the group stored at least one record.
public protocol CommitParticipant: Sendable {
    /// Writes what follows from `stored`, using `connection` (inside the open transaction).
    ///
    /// - Parameters:
    ///   - stored: The records this commit stored, in sequence order; duplicates are left out.
    ///   - connection: The writer's connection. Do not begin, commit or roll back transactions.
    /// - Throws: Any error; it rolls back the whole commit and fails every batch in it.
    func apply(stored: [StoredRecordReference], in connection: SQLiteConnection) throws

    /// Works out what `apply` will need from one record, on the thread that submits its batch.
    ///
    /// For work that reads nothing the writer changes (parsing a body, extracting what it says),
    /// so that the writer's one thread keeps only what must happen in order. The result reaches
    /// `apply` as ``StoredRecordReference/prepared``; the default prepares nothing.
    func prepare(_ record: IncomingRecord) -> (any Sendable)?
}

extension CommitParticipant {
    public func prepare(_ record: IncomingRecord) -> (any Sendable)? { nil }
}

/// A record that was just stored, with its sequence number.
public struct StoredRecordReference: Sendable {
    /// The sequence number the event log gave the record.
    public var sequence: Int64
    /// The record as submitted.
    public var record: IncomingRecord
    /// What the participant's ``CommitParticipant/prepare(_:)`` made of the record, when it ran.
    public var prepared: (any Sendable)?

    /// Creates a reference.
    public init(sequence: Int64, record: IncomingRecord, prepared: (any Sendable)? = nil) {
        self.sequence = sequence
        self.record = record
        self.prepared = prepared
    }
}
