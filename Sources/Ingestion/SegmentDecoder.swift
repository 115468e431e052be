import JSONParsing
import TesseraCore

/// Turns Segment HTTP Tracking API bodies into normalised records.
///
/// Validates each message as Segment's API does (an identity on every call, `event` on `track`,
/// `groupId` on `group`, `previousId` and `userId` on `alias`), accepts the legacy spellings (`action`
/// for `type`, `user_id` for `userId`), corrects the event time for client clock skew and fills in
/// `messageId` and `receivedAt`. A batch is decoded record by record: valid records are kept, invalid
/// ones are returned as rejections with their raw bytes so that nothing is silently dropped.
public struct SegmentDecoder: Sendable {
    public var limits: CollectionLimits

    public init(limits: CollectionLimits = CollectionLimits()) {
        self.limits = limits
    }

    /// The write key a client put in the body (`writeKey`) instead of HTTP Basic auth.
    public static func writeKey(in document: JSONDocument) -> String? {
        guard let key = document.root.member("writeKey")?.string, !key.isEmpty else { return nil }
        return key
    }

    /// Decodes one request body received on `endpoint`.
    ///
    /// - Returns: the accepted records and the rejected ones, in request order within each list.
    /// - Throws: `Rejection` when the request as a whole is unusable (not an object, no `batch` array,
    ///   too many records).
    public func decode(
        _ document: JSONDocument, endpoint: SegmentEndpoint, receivedAt: Timestamp
    ) throws(Rejection) -> DecodedRequest {
        let root = document.root
        guard root.kind == .object else {
            throw Rejection(.invalidBody, "the body must be a JSON object")
        }
        guard endpoint.carriesBatch else {
            return decodeSingle(root, as: endpoint.impliedType, receivedAt: receivedAt)
        }
        return try decodeBatch(root, receivedAt: receivedAt)
    }

    private func decodeSingle(_ message: JSONNode, as call: SegmentCall?, receivedAt: Timestamp) -> DecodedRequest {
        var request = DecodedRequest()
        let shared = BatchDefaults(context: nil, integrations: nil, sentAt: nil)
        collect(
            message, index: nil, batch: nil, impliedCall: call, shared: shared, receivedAt: receivedAt, into: &request)
        return request
    }

    private func decodeBatch(_ root: JSONNode, receivedAt: Timestamp) throws(Rejection) -> DecodedRequest {
        guard let batch = root.member("batch") else {
            throw Rejection(.missingField, "a batch request needs a `batch` array", field: "batch")
        }
        guard batch.kind == .array else {
            throw Rejection(.wrongType, "`batch` must be an array of messages", field: "batch")
        }
        guard batch.count <= limits.maxBatchRecords else {
            throw Rejection(.tooManyRecords, "the batch holds more messages than allowed", field: "batch")
        }
        let shared = try BatchDefaults(root: root)
        var request = DecodedRequest()
        request.records.reserveCapacity(batch.count)
        for (index, message) in batch.elements.enumerated() {
            collect(
                message, index: index, batch: root, impliedCall: nil, shared: shared, receivedAt: receivedAt,
                into: &request)
        }
        return request
    }

    private func collect(
        _ message: JSONNode, index: Int?, batch: JSONNode?, impliedCall: SegmentCall?, shared: BatchDefaults,
        receivedAt: Timestamp, into request: inout DecodedRequest
    ) {
        do {
            let record = try normalise(message, impliedCall: impliedCall, shared: shared, receivedAt: receivedAt)
            request.records.append(record)
        } catch {
            let raw =
                batch.map { SegmentDecoder.replayableBatch(of: message, from: $0) } ?? SegmentDecoder.bytes(message)
            let rejection = index.map { error.at(index: $0) } ?? error
            request.rejections.append(RejectedRecord(rejection: rejection, raw: raw))
        }
    }

    /// A one-message batch body holding `message` and the batch's shared fields, so that the refused
    /// message can be replayed on `/v1/batch` exactly as it would have been decoded.
    static func replayableBatch(of message: JSONNode, from batch: JSONNode) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        writer.writeKey("batch")
        writer.beginArray()
        message.write(to: &writer)
        writer.endArray()
        for key: StaticString in ["context", "integrations", "sentAt"] {
            guard let shared = batch.member(key) else { continue }
            writer.writeComma()
            writer.writeKey(key.description)
            shared.write(to: &writer)
        }
        writer.endObject()
        return writer.bytes
    }

    static func bytes(_ node: JSONNode) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        node.write(to: &writer)
        return writer.bytes
    }

    /// Validates one message and writes its normalised form.
    func normalise(
        _ message: JSONNode, impliedCall: SegmentCall?, shared: BatchDefaults, receivedAt: Timestamp
    ) throws(Rejection) -> CollectedRecord {
        guard message.kind == .object else {
            throw Rejection(.wrongType, "each message must be a JSON object")
        }
        try RecordShape.check(message, limits: limits)
        let call = try callType(of: message, implied: impliedCall)
        let fields = try MessageFields(message, call: call)
        let times = try EventTimes(message, batchSentAt: shared.sentAt, receivedAt: receivedAt)
        let messageID = try identifier(message.member("messageId"), field: "messageId")
        let finalMessageID = messageID ?? RandomID.uuid()

        var overrides: [JSONOverride] = [
            JSONOverride("type", .string(call.rawValue)),
            JSONOverride("messageId", .string(finalMessageID)),
            JSONOverride("timestamp", .timestamp(times.corrected)),
            JSONOverride("receivedAt", .timestamp(receivedAt)),
            JSONOverride("action", nil), JSONOverride("user_id", nil), JSONOverride("anonymous_id", nil),
            JSONOverride("previous_id", nil), JSONOverride("writeKey", nil),
        ]
        overrides.reserveCapacity(16)
        if let userID = fields.userID { overrides.append(JSONOverride("userId", .string(userID))) }
        if let anonymousID = fields.anonymousID { overrides.append(JSONOverride("anonymousId", .string(anonymousID))) }
        if let previousID = fields.previousID { overrides.append(JSONOverride("previousId", .string(previousID))) }
        if let groupID = fields.groupID { overrides.append(JSONOverride("groupId", .string(groupID))) }
        if let original = times.original { overrides.append(JSONOverride("originalTimestamp", .string(original))) }
        if let sentAt = times.sentAt { overrides.append(JSONOverride("sentAt", .string(sentAt))) }
        if let context = try shared.mergedContext(with: message.member("context")) {
            overrides.append(JSONOverride("context", .value(context)))
        }
        if let integrations = shared.integrations, message.member("integrations") == nil {
            overrides.append(JSONOverride("integrations", .value(integrations)))
        }

        var writer = JSONWriter(capacity: 1024)
        message.write(to: &writer, overriding: overrides)
        guard writer.bytes.count <= limits.maxRecordBytes else {
            throw Rejection(.recordTooLarge, "the message is larger than \(limits.maxRecordBytes) bytes")
        }
        return CollectedRecord(
            kind: call.rawValue, messageID: finalMessageID, generatedMessageID: messageID == nil,
            eventName: fields.eventName, userID: fields.userID, anonymousID: fields.anonymousID,
            timestamp: times.corrected, body: writer.bytes)
    }

    /// The call type from the route, or from `type` (or the legacy `action`) inside a batch.
    private func callType(of message: JSONNode, implied: SegmentCall?) throws(Rejection) -> SegmentCall {
        if let implied { return implied }
        guard let node = message.member("type") ?? message.member("action") else {
            throw Rejection(.missingField, "each batch message needs a `type`", field: "type")
        }
        guard let name = node.string else {
            throw Rejection(.wrongType, "`type` must be a string", field: "type")
        }
        guard let call = SegmentCall(rawValue: name.lowercased()) else {
            throw Rejection(
                .invalidValue, "`type` must be identify, track, page, screen, group or alias", field: "type")
        }
        return call
    }
}

/// Reads an identifier that may be sent as a string or a number; empty strings count as absent.
func identifier(_ node: JSONNode?, field: String) throws(Rejection) -> String? {
    guard let node, !node.isNull else { return nil }
    switch node.kind {
    case .string:
        let text = node.string ?? ""
        return text.isEmpty ? nil : text
    case .int, .uint:
        return node.int64.map { String($0) } ?? node.double.map { String($0) }
    case .double:
        return node.double.map { String($0) }
    default:
        throw Rejection(.wrongType, "`\(field)` must be a string or a number", field: field)
    }
}
