import Foundation
import JSONParsing
import TesseraCore
import TesseraTesting
import Testing

/// Sends every payload of the Segment Spec documentation through the API.
@Suite struct SegmentCorpusTests {
    struct Example {
        var file: String
        var endpoint: String?
    }

    static let folder = "segment/segment-docs"

    /// The valid examples from `manifest.jsonl`, with the endpoint the HTTP API examples were sent to.
    static func examples() throws -> [Example] {
        let manifest = try String(contentsOfFile: TestData.root + "/\(folder)/manifest.jsonl", encoding: .utf8)
        return try manifest.split(separator: "\n").compactMap { line in
            let row = try JSONValue(parsing: Array(line.utf8))
            guard row["extraction"]?.stringValue != "verbatim-malformed", let file = row["file"]?.stringValue else {
                return nil
            }
            let endpoint = row["endpoint"]?.stringValue.map { String($0.dropFirst("POST ".count)) }
            return Example(file: file, endpoint: endpoint)
        }
    }

    /// A message as a client library would send it. The docs' minimal examples omit what every
    /// Segment library fills in: an `anonymousId` where no identity is given, and an alias call's
    /// `previousId` (the library's current id) where the call names only the new one.
    static func asSent(_ message: JSONValue, number: Int) -> JSONValue {
        guard var object = message.objectValue else { return message }
        if object["userId"] == nil && object["anonymousId"] == nil && object["user_id"] == nil {
            object["anonymousId"] = .string("library-filled-\(number)")
        }
        if object["type"] == "alias" && object["previousId"] == nil {
            object["previousId"] = .string("library-current-\(number)")
        }
        return .object(object)
    }

    /// How many records the messages should store: the docs reuse some `messageId`s across pages,
    /// and a repeated `(source, messageId)` is acknowledged but stored once.
    static func distinctRecords(_ messages: [JSONValue]) -> Int {
        let ids = messages.compactMap { $0["messageId"]?.stringValue }
        return Set(ids).count + messages.count - ids.count
    }

    @Test("every valid example is accepted, stored once and readable back")
    func acceptsEveryValidExample() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        var sent: [JSONValue] = []
        for (number, example) in try SegmentCorpusTests.examples().enumerated() {
            var payload = try JSONValue(parsing: TestData.bytes("\(SegmentCorpusTests.folder)/\(example.file)"))
            let path: String
            if let batch = payload["batch"]?.arrayValue, var object = payload.objectValue {
                let messages = batch.map { SegmentCorpusTests.asSent($0, number: number) }
                object["batch"] = .array(messages)
                payload = .object(object)
                path = example.endpoint ?? "/v1/batch"
                sent += messages
            } else {
                payload = SegmentCorpusTests.asSent(payload, number: number)
                let type = payload["type"]?.stringValue ?? payload["action"]?.stringValue ?? "track"
                path = example.endpoint ?? "/v1/\(type.lowercased())"
                sent.append(payload)
            }
            let answer = try await server.send("POST", path, body: payload.serialized)
            #expect(answer.status == 200, "\(example.file): \(answer.text)")
            #expect(answer.json["success"] == true && answer.json["rejected"] == nil, "\(example.file)")
        }
        let events = try await server.allEvents()
        #expect(sent.count == 131)
        #expect(events.count == SegmentCorpusTests.distinctRecords(sent))
        #expect(Set(events.compactMap { $0["messageId"]?.stringValue }).count == events.count)
        let oneDigitMonth = events.first { $0["timestamp"] == "2015-02-02T00:30:08.276Z" }
        #expect(oneDigitMonth != nil, "the batch example's `2015-2-02T00:30:08.276Z` was read as 2 February")
    }

    @Test("every malformed example is refused with a 400 that says why, and kept as a dead letter")
    func refusesMalformedExamples() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let files = TestData.files(under: "\(SegmentCorpusTests.folder)/malformed", endingWith: ".json.invalid")
        #expect(files.count == 4)
        for file in files {
            let answer = try await server.send("POST", "/v1/identify", bytes: try TestData.bytes(file))
            #expect(answer.status == 400, "\(file)")
            #expect(answer.json["error"]?["code"] == "invalid_json")
            #expect(answer.json["error"]?["message"]?.stringValue?.isEmpty == false)
        }
        let letters =
            try await server.send("GET", "/v1/dead-letters", auth: .admin).json["deadLetters"]?.arrayValue ?? []
        #expect(letters.count == files.count)
        #expect(try await server.allEvents().isEmpty)
    }
}
