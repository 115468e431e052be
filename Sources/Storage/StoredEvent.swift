import TesseraCore

/// An event as the event log holds it: the record as it was submitted, at its place in the log.
///
/// The record's fields read through (`event.kind`, `event.body`, …).
@dynamicMemberLookup
public struct StoredEvent: Sendable, Equatable {
    /// The position in the event log; increases with every stored record.
    public var sequence: Int64
    /// The record as stored.
    public var record: IncomingRecord

    public init(sequence: Int64, record: IncomingRecord) {
        self.sequence = sequence
        self.record = record
    }

    /// Creates an event from its fields.
    public init(
        sequence: Int64, sourceID: Int64, messageID: String, kind: String, eventName: String?, userID: String?,
        anonymousID: String?, timestamp: Timestamp, receivedAt: Timestamp, body: [UInt8]
    ) {
        self.init(
            sequence: sequence,
            record: IncomingRecord(
                sourceID: sourceID, messageID: messageID, kind: kind, eventName: eventName, userID: userID,
                anonymousID: anonymousID, timestamp: timestamp, receivedAt: receivedAt, body: body))
    }

    public subscript<Value>(dynamicMember field: KeyPath<IncomingRecord, Value>) -> Value {
        record[keyPath: field]
    }
}

/// A rejected record as the store holds it.
public struct StoredDeadLetter: Sendable, Equatable {
    /// The dead letter's id, increasing in arrival order.
    public var id: Int64
    /// The source, or `nil` when the write key was unknown.
    public var sourceID: Int64?
    /// The route that received it, e.g. `/v1/batch`.
    public var route: String
    /// A machine-readable reason, e.g. `missing_field`.
    public var code: String
    /// A human-readable reason.
    public var message: String
    /// The offending field's path, when one field was at fault.
    public var field: String?
    /// The record's position within its batch.
    public var index: Int?
    /// When the edge received it.
    public var receivedAt: Timestamp
    /// The raw bytes, possibly cut short.
    public var body: [UInt8]
    /// Whether `body` was cut short.
    public var truncated: Bool
    /// When it was replayed, or `nil` while it waits.
    public var replayedAt: Timestamp?

    /// Creates a dead letter from its fields.
    public init(
        id: Int64, sourceID: Int64?, route: String, code: String, message: String, field: String?, index: Int?,
        receivedAt: Timestamp, body: [UInt8], truncated: Bool, replayedAt: Timestamp?
    ) {
        self.id = id
        self.sourceID = sourceID
        self.route = route
        self.code = code
        self.message = message
        self.field = field
        self.index = index
        self.receivedAt = receivedAt
        self.body = body
        self.truncated = truncated
        self.replayedAt = replayedAt
    }
}

/// A source as the store holds it: a named sender with a write key.
public struct SourceRecord: Sendable, Equatable {
    /// The source's id, referenced by records and dead letters.
    public var id: Int64
    /// A unique name, e.g. `web` or `ios-app`.
    public var name: String
    /// The key senders present over HTTP Basic auth.
    public var writeKey: String
    /// When the source was added.
    public var createdAt: Timestamp

    /// Creates a source from its fields.
    public init(id: Int64, name: String, writeKey: String, createdAt: Timestamp) {
        self.id = id
        self.name = name
        self.writeKey = writeKey
        self.createdAt = createdAt
    }
}
