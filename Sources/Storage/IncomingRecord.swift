import TesseraCore

/// One accepted record, ready to store.
///
/// The edge has already authenticated, validated and normalised it; the store only deduplicates it
/// by `(sourceID, messageID)` and appends it to the event log.
public struct IncomingRecord: Sendable, Equatable {
    /// The source whose write key sent the record; it must exist.
    public var sourceID: Int64
    /// The sender's `messageId`, used to drop retried deliveries.
    public var messageID: String
    /// The record type: `identify`, `track`, `page`, `screen`, `group`, `alias`, `xdm.profile`, `xdm.event`, …
    public var kind: String
    /// The track event, the page or screen name, or the XDM `eventType`.
    public var eventName: String?
    /// The sender's `userId`, when present.
    public var userID: String?
    /// The sender's `anonymousId`, when present.
    public var anonymousID: String?
    /// When the event happened, after clock-skew correction.
    public var timestamp: Timestamp
    /// When the edge received the record.
    public var receivedAt: Timestamp
    /// The normalised record as compact JSON.
    public var body: [UInt8]

    /// Creates a record from its fields.
    public init(
        sourceID: Int64, messageID: String, kind: String, eventName: String? = nil, userID: String? = nil,
        anonymousID: String? = nil, timestamp: Timestamp, receivedAt: Timestamp, body: [UInt8]
    ) {
        self.sourceID = sourceID
        self.messageID = messageID
        self.kind = kind
        self.eventName = eventName
        self.userID = userID
        self.anonymousID = anonymousID
        self.timestamp = timestamp
        self.receivedAt = receivedAt
        self.body = body
    }
}

/// A rejected record, kept so that the user can see why and replay it after fixing the cause.
public struct IncomingDeadLetter: Sendable {
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
    /// The record's position within its batch, when it came in a batch.
    public var index: Int?
    /// When the edge received it.
    public var receivedAt: Timestamp
    /// The raw bytes, cut to the configured limit.
    public var body: [UInt8]
    /// Whether `body` was cut short.
    public var truncated: Bool

    /// Creates a dead letter from its fields.
    public init(
        sourceID: Int64?, route: String, code: String, message: String, field: String? = nil, index: Int? = nil,
        receivedAt: Timestamp, body: [UInt8], truncated: Bool = false
    ) {
        self.sourceID = sourceID
        self.route = route
        self.code = code
        self.message = message
        self.field = field
        self.index = index
        self.receivedAt = receivedAt
        self.body = body
        self.truncated = truncated
    }
}
