import JSONParsing
import TesseraCore

/// The identity and call-specific fields of one Segment message, validated.
struct MessageFields {
    var userID: String?
    var anonymousID: String?
    var eventName: String?
    var groupID: String?
    var previousID: String?

    init(_ message: JSONNode, call: SegmentCall) throws(Rejection) {
        userID = try identifier(message.member("userId") ?? message.member("user_id"), field: "userId")
        anonymousID = try identifier(
            message.member("anonymousId") ?? message.member("anonymous_id"), field: "anonymousId")
        guard userID != nil || anonymousID != nil else {
            throw Rejection(.missingField, "a message needs a `userId` or an `anonymousId`", field: "userId")
        }
        for field in ["properties", "traits", "context", "integrations"] {
            try MessageFields.requireObject(message[field], field: field)
        }
        switch call {
        case .track:
            eventName = try MessageFields.requiredText(message.member("event"), field: "event", call: call)
        case .page, .screen:
            eventName = try MessageFields.optionalText(message.member("name"), field: "name")
        case .group:
            groupID = try identifier(message.member("groupId"), field: "groupId")
            guard groupID != nil else {
                throw Rejection(.missingField, "a group call needs a `groupId`", field: "groupId")
            }
        case .alias:
            previousID = try identifier(
                message.member("previousId") ?? message.member("previous_id"), field: "previousId")
            guard previousID != nil else {
                throw Rejection(.missingField, "an alias call needs a `previousId`", field: "previousId")
            }
            guard userID != nil else {
                throw Rejection(.missingField, "an alias call needs a `userId`", field: "userId")
            }
        case .identify:
            break
        }
    }

    private static func requireObject(_ node: JSONNode?, field: String) throws(Rejection) {
        guard let node, !node.isNull, node.kind != .object else { return }
        throw Rejection(.wrongType, "`\(field)` must be an object", field: field)
    }

    private static func requiredText(_ node: JSONNode?, field: String, call: SegmentCall) throws(Rejection) -> String {
        guard let text = try optionalText(node, field: field) else {
            throw Rejection(.missingField, "a \(call.rawValue) call needs `\(field)`", field: field)
        }
        return text
    }

    private static func optionalText(_ node: JSONNode?, field: String) throws(Rejection) -> String? {
        guard let node, !node.isNull else { return nil }
        guard let text = node.string else {
            throw Rejection(.wrongType, "`\(field)` must be a string", field: field)
        }
        return text.isEmpty ? nil : text
    }
}

/// A message's times: the client's, the send time and the skew-corrected event time.
///
/// Clients' clocks drift. When a message carries both `timestamp` and `sentAt`, the event happened
/// `sentAt − timestamp` before the client sent it, so the server places it that long before it
/// received it: `timestamp = receivedAt − (sentAt − timestamp)`. Without `sentAt` the client's time is
/// kept; without any time the event is placed at `receivedAt`.
struct EventTimes {
    var corrected: Timestamp
    /// The client's own `timestamp`, kept as `originalTimestamp` when it differs from the corrected one.
    var original: String?
    /// The `sentAt` to store, when it came from the batch rather than the message.
    var sentAt: String?

    init(_ message: JSONNode, batchSentAt: (text: String, time: Timestamp)?, receivedAt: Timestamp) throws(Rejection) {
        let client = try EventTimes.time(message.member("timestamp"), field: "timestamp")
        let original = try EventTimes.time(message.member("originalTimestamp"), field: "originalTimestamp")
        let ownSentAt = try EventTimes.time(message.member("sentAt"), field: "sentAt")
        let sent = ownSentAt ?? batchSentAt
        if ownSentAt == nil, let batchSentAt { sentAt = batchSentAt.text }
        let eventTime = client ?? original
        switch (eventTime, sent) {
        case let (eventTime?, sent?):
            corrected = receivedAt.adding(milliseconds: -(sent.time.milliseconds - eventTime.time.milliseconds))
        case let (eventTime?, nil):
            corrected = eventTime.time
        default:
            corrected = receivedAt
        }
        if let client, original == nil, corrected != client.time { self.original = client.text }
    }

    static func time(_ node: JSONNode?, field: String) throws(Rejection) -> (text: String, time: Timestamp)? {
        guard let node, !node.isNull else { return nil }
        guard let text = node.string else {
            throw Rejection(.wrongType, "`\(field)` must be an ISO-8601 string", field: field)
        }
        guard let time = TimestampParser.parse(text) else {
            throw Rejection(.invalidTimestamp, "`\(field)` is not an ISO-8601 timestamp", field: field)
        }
        return (text, time)
    }
}

/// The top-level `context`, `integrations` and `sentAt` of a batch, which apply to every message in it.
struct BatchDefaults {
    var context: [String: JSONValue]?
    var integrations: JSONValue?
    var sentAt: (text: String, time: Timestamp)?

    init(context: [String: JSONValue]?, integrations: JSONValue?, sentAt: (text: String, time: Timestamp)?) {
        self.context = context
        self.integrations = integrations
        self.sentAt = sentAt
    }

    init(root: JSONNode) throws(Rejection) {
        if let node = root.member("context"), !node.isNull {
            guard node.kind == .object else {
                throw Rejection(.wrongType, "the batch `context` must be an object", field: "context")
            }
            context = node.value.objectValue
        }
        if let node = root.member("integrations"), !node.isNull {
            guard node.kind == .object else {
                throw Rejection(.wrongType, "the batch `integrations` must be an object", field: "integrations")
            }
            integrations = node.value
        }
        sentAt = try EventTimes.time(root.member("sentAt"), field: "sentAt")
    }

    /// The message's context with the batch's context beneath it (the message's keys win), or nil
    /// when the batch has no context to add.
    func mergedContext(with own: JSONNode?) throws(Rejection) -> JSONValue? {
        guard let context, !context.isEmpty else { return nil }
        guard let own, !own.isNull else { return .object(context) }
        let merged = context.merging(own.value.objectValue ?? [:]) { _, message in message }
        return .object(merged)
    }
}

/// Checks a record's shape against the limits before anything else is read from it.
enum RecordShape {
    static func check(_ record: JSONNode, limits: CollectionLimits) throws(Rejection) {
        guard record.height <= limits.maxDepth else {
            throw Rejection(.tooDeep, "the record nests deeper than \(limits.maxDepth) levels")
        }
        guard record.nodeCount <= limits.maxFields else {
            throw Rejection(.tooManyFields, "the record holds more than \(limits.maxFields) values")
        }
        guard record.longestString <= limits.maxStringBytes else {
            throw Rejection(.stringTooLong, "a string or key is longer than \(limits.maxStringBytes) bytes")
        }
    }
}
