import TesseraCore

/// One accepted record, normalised and ready for the writer.
public struct CollectedRecord: Sendable {
    /// What the record is: a Segment call type (`identify`, `track`, …) or an XDM class
    /// (`xdm.profile`, `xdm.event`, `xdm.account`, …).
    public var kind: String
    public var messageID: String
    /// Whether the server made up `messageID` because the client sent none.
    public var generatedMessageID: Bool
    /// The `track` event, the `page`/`screen` name or the XDM `eventType`.
    public var eventName: String?
    public var userID: String?
    public var anonymousID: String?
    /// The event time, corrected for client clock skew.
    public var timestamp: Timestamp
    /// The normalised record as compact JSON.
    public var body: [UInt8]

    public init(
        kind: String, messageID: String, generatedMessageID: Bool, eventName: String?, userID: String?,
        anonymousID: String?, timestamp: Timestamp, body: [UInt8]
    ) {
        self.kind = kind
        self.messageID = messageID
        self.generatedMessageID = generatedMessageID
        self.eventName = eventName
        self.userID = userID
        self.anonymousID = anonymousID
        self.timestamp = timestamp
        self.body = body
    }
}

/// What decoding one request produced: the records to store, and the ones refused with their raw bytes.
public struct DecodedRequest: Sendable {
    public var records: [CollectedRecord] = []
    public var rejections: [RejectedRecord] = []

    public init() {}

    /// How many records the request carried in all.
    public var total: Int { records.count + rejections.count }
}

/// A refused record and the bytes to keep in the dead-letter store.
public struct RejectedRecord: Sendable {
    public var rejection: Rejection
    /// The record as the client sent it (compact JSON), for inspection and replay.
    public var raw: [UInt8]

    public init(rejection: Rejection, raw: [UInt8]) {
        self.rejection = rejection
        self.raw = raw
    }
}
