import Ingestion
import JSONParsing
import TesseraCore
import Testing

private let received = Timestamp(milliseconds: 1_764_720_000_000)

private func decode(
    _ json: String, endpoint: SegmentEndpoint = .batch, limits: CollectionLimits = CollectionLimits()
) throws -> DecodedRequest {
    let document = try JSONParser().parse(Array(json.utf8))
    return try SegmentDecoder(limits: limits).decode(document, endpoint: endpoint, receivedAt: received)
}

private func body(_ record: CollectedRecord) throws -> JSONValue {
    try JSONValue(parsing: record.body)
}

@Suite struct SegmentDecoderTests {
    @Test("a track call is normalised: type, messageId, receivedAt and the corrected timestamp are set")
    func normalisesTrack() throws {
        let request = try decode(
            #"{"userId":"u1","event":"Order Completed","properties":{"total":10},"messageId":"m-1","#
                + #""writeKey":"secret"}"#,
            endpoint: .track)
        let record = try #require(request.records.first)
        #expect(request.rejections.isEmpty)
        #expect(record.kind == "track")
        #expect(record.eventName == "Order Completed")
        #expect(record.messageID == "m-1" && !record.generatedMessageID)
        #expect(record.timestamp == received)
        let stored = try body(record)
        #expect(stored["type"] == "track")
        #expect(stored["receivedAt"] == .string(received.iso8601))
        #expect(stored["properties"]?["total"] == 10)
        #expect(stored["writeKey"] == nil, "the write key is a secret and is never stored")
    }

    @Test("clock skew is corrected as receivedAt − (sentAt − timestamp)")
    func correctsClockSkew() throws {
        // The client's clock is one hour fast; the event happened 5 s before it was sent.
        let request = try decode(
            #"{"anonymousId":"a","event":"x","timestamp":"2025-12-03T01:00:00.000Z","#
                + #""sentAt":"2025-12-03T01:00:05.000Z"}"#,
            endpoint: .track)
        let record = try #require(request.records.first)
        #expect(record.timestamp == received.adding(milliseconds: -5_000))
        #expect(try body(record)["originalTimestamp"] == "2025-12-03T01:00:00.000Z")
    }

    @Test("a batch's sentAt applies to messages that carry none")
    func batchSentAt() throws {
        let request = try decode(
            #"{"sentAt":"2025-01-01T00:00:10Z","batch":[{"type":"track","userId":"u","event":"e","#
                + #""timestamp":"2025-01-01T00:00:00Z"}]}"#
        )
        #expect(request.records.first?.timestamp == received.adding(milliseconds: -10_000))
    }

    @Test("a message without a time is placed at receivedAt, and a missing messageId is generated")
    func defaults() throws {
        let record = try #require(try decode(#"{"userId":"u"}"#, endpoint: .identify).records.first)
        #expect(record.timestamp == received)
        #expect(record.generatedMessageID)
        #expect(record.messageID.count == 36)
        #expect(try body(record)["messageId"] == .string(record.messageID))
    }

    @Test("legacy payloads with action and user_id are accepted and normalised")
    func legacySpellings() throws {
        let request = try decode(#"{"batch":[{"action":"Track","user_id":"019mr8mf4r","event":"Viewed"}]}"#)
        let record = try #require(request.records.first)
        #expect(record.kind == "track" && record.userID == "019mr8mf4r")
        let stored = try body(record)
        #expect(stored["userId"] == "019mr8mf4r" && stored["user_id"] == nil && stored["action"] == nil)
        #expect(stored["type"] == "track")
    }

    @Test("numeric ids are accepted as strings")
    func numericIDs() throws {
        let record = try #require(try decode(#"{"userId":12345,"groupId":7}"#, endpoint: .group).records.first)
        #expect(record.userID == "12345")
        #expect(try body(record)["groupId"] == "7")
    }

    @Test(
        "invalid messages are refused with the field at fault",
        arguments: [
            (SegmentEndpoint.track, #"{"event":"x"}"#, Rejection.Code.missingField, "userId"),
            (.track, #"{"userId":"","anonymousId":""}"#, .missingField, "userId"),
            (.track, #"{"userId":"u"}"#, .missingField, "event"),
            (.track, #"{"userId":"u","event":5}"#, .wrongType, "event"),
            (.group, #"{"userId":"u"}"#, .missingField, "groupId"),
            (.alias, #"{"userId":"u"}"#, .missingField, "previousId"),
            (.alias, #"{"anonymousId":"a","previousId":"p"}"#, .missingField, "userId"),
            (.identify, #"{"userId":{"id":1}}"#, .wrongType, "userId"),
            (.identify, #"{"userId":"u","traits":[1,2]}"#, .wrongType, "traits"),
            (.track, #"{"userId":"u","event":"e","properties":"x"}"#, .wrongType, "properties"),
            (.track, #"{"userId":"u","event":"e","timestamp":"last tuesday"}"#, .invalidTimestamp, "timestamp"),
            (.track, #"{"userId":"u","event":"e","timestamp":1506441145}"#, .wrongType, "timestamp"),
            (.track, #"{"userId":"u","event":"e","messageId":[1]}"#, .wrongType, "messageId"),
        ])
    func refusesInvalid(endpoint: SegmentEndpoint, json: String, code: Rejection.Code, field: String) throws {
        let request = try decode(json, endpoint: endpoint)
        #expect(request.records.isEmpty)
        let rejection = try #require(request.rejections.first).rejection
        #expect(rejection.code == code)
        #expect(rejection.field == field)
        #expect(rejection.index == nil)
    }

    @Test("a batch keeps its valid messages and reports the others by index, with replayable bytes")
    func partialBatch() throws {
        let request = try decode(
            #"{"context":{"ip":"203.0.113.9"},"batch":[{"type":"track","userId":"u","event":"a"},"#
                + #"{"type":"track","userId":"u"},{"type":"nonsense","userId":"u"},7,"#
                + #"{"type":"page","anonymousId":"x","context":{"locale":"en"}}]}"#)
        #expect(request.records.map(\.kind) == ["track", "page"])
        #expect(request.rejections.map { $0.rejection.index } == [1, 2, 3])
        #expect(request.rejections.map { $0.rejection.code } == [.missingField, .invalidValue, .wrongType])
        let replayable = try JSONValue(parsing: request.rejections[0].raw)
        #expect(replayable["batch"]?[0]?["type"] == "track")
        #expect(replayable["context"]?["ip"] == "203.0.113.9")
        let page = try body(request.records[1])
        #expect(page["context"]?["ip"] == "203.0.113.9", "the batch context applies to each message")
        #expect(page["context"]?["locale"] == "en")
    }

    @Test("requests that are not usable as a whole are refused")
    func wholeRequestRefusals() throws {
        #expect(throws: Rejection.self) { try decode(#"[1,2]"#) }
        #expect(throws: Rejection.self) { try decode(#"{"messages":[]}"#) }
        #expect(throws: Rejection.self) { try decode(#"{"batch":{}}"#) }
        var limits = CollectionLimits()
        limits.maxBatchRecords = 2
        #expect(throws: Rejection.self) { try decode(#"{"batch":[{},{},{}]}"#, limits: limits) }
    }

    @Test("shape and size limits refuse oversize records")
    func limits() throws {
        var limits = CollectionLimits()
        limits.maxDepth = 4
        limits.maxFields = 20
        limits.maxStringBytes = 50
        limits.maxRecordBytes = 400
        let deep = #"{"userId":"u","traits":{"a":{"b":{"c":{"d":1}}}}}"#
        let wide =
            #"{"userId":"u","traits":{"#
            + (0..<30).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}}"
        let long = #"{"userId":"u","traits":{"bio":""# + String(repeating: "x", count: 60) + #""}}"#
        let large =
            #"{"userId":"u","traits":{"#
            + (0..<9).map { "\"k\($0)\":\"" + String(repeating: "y", count: 45) + "\"" }.joined(separator: ",") + "}}"
        let cases: [(String, Rejection.Code)] = [
            (deep, .tooDeep), (wide, .tooManyFields), (long, .stringTooLong), (large, .recordTooLarge),
        ]
        for (json, code) in cases {
            let request = try decode(json, endpoint: .identify, limits: limits)
            #expect(request.rejections.first?.rejection.code == code)
        }
    }
}
