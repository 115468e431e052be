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
}

/// A record that was just stored, with its sequence number.
public struct StoredRecordReference: Sendable {
    /// The sequence number the event log gave the record.
    public var sequence: Int64
    /// The record as submitted.
    public var record: IncomingRecord

    /// Creates a reference.
    public init(sequence: Int64, record: IncomingRecord) {
        self.sequence = sequence
        self.record = record
    }
}
