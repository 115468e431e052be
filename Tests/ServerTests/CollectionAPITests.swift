import Foundation
import TesseraCore
import TesseraTesting
import Testing

@Suite struct CollectionAPITests {
    @Test("the write key is taken from HTTP Basic auth or from the body; anything else is a 401")
    func writeKeys() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let message = #"{"userId":"u1","event":"Signed In"}"#
        #expect(try await server.send("POST", "/v1/track", body: message).status == 200)
        let inBody = #"{"userId":"u1","event":"Signed In","writeKey":"\#(server.writeKey)"}"#
        #expect(try await server.send("POST", "/v1/track", body: inBody, auth: .none).status == 200)
        let missing = try await server.send("POST", "/v1/track", body: message, auth: .none)
        #expect(missing.status == 401)
        #expect(missing.json["error"]?["code"] == "unauthorized")
        #expect(try await server.send("POST", "/v1/track", body: message, auth: .basic("wk_wrong")).status == 401)
        #expect(try await server.send("POST", "/v1/track", body: message, auth: .admin).status == 401)
        #expect(try await server.allEvents().count == 2)
    }

    @Test("a record acknowledged once is not stored twice, even across a restart")
    func dedupeAcrossRestart() async throws {
        let first = try await RunningServer()
        let message = #"{"userId":"u1","event":"Order Completed","messageId":"order-1"}"#
        #expect(try await first.send("POST", "/v1/track", body: message).status == 200)
        #expect(try await first.send("POST", "/v1/track", body: message).status == 200)
        first.stop()
        let second = try await RunningServer(directory: first.directory)
        defer { second.finish() }
        #expect(try await second.send("POST", "/v1/track", body: message).status == 200)
        let batch = #"{"batch":[{"type":"track","userId":"u1","event":"Order Completed","messageId":"order-1"}]}"#
        #expect(try await second.send("POST", "/v1/batch", body: batch).status == 200)
        #expect(try await second.allEvents().count == 1)
        let metrics = try await second.send("GET", "/metrics", auth: .none).text
        #expect(metrics.contains("tessera_records_deduplicated_total 2"))
    }

    @Test("a partial batch stores the valid records, names the refused ones, and keeps them for replay")
    func partialBatchAndReplay() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let batch =
            #"{"batch":[{"type":"track","userId":"u","event":"a"},{"type":"track","userId":"u"},"#
            + #"{"type":"identify","anonymousId":"x","traits":{"plan":"pro"}}]}"#
        let answer = try await server.send("POST", "/v1/batch", body: batch)
        #expect(answer.status == 200)
        #expect(answer.json["accepted"] == 2)
        let rejected = try #require(answer.json["rejected"]?.arrayValue)
        #expect(rejected.count == 1)
        #expect(rejected[0]["index"] == 1 && rejected[0]["field"] == "event" && rejected[0]["code"] == "missing_field")
        #expect(try await server.allEvents().count == 2)

        let letters =
            try await server.send("GET", "/v1/dead-letters", auth: .admin).json["deadLetters"]?.arrayValue ?? []
        let letter = try #require(letters.first)
        #expect(letters.count == 1 && letter["index"] == 1 && letter["route"] == "/v1/batch")
        let id = try #require(letter["id"]?.intValue)
        let stillBad = try await server.send("POST", "/v1/dead-letters/\(id)/replay", auth: .admin)
        #expect(stillBad.status == 422, "the record is still invalid, so replay refuses it")
        #expect(try await server.allEvents().count == 2)
    }

    @Test("a record refused for its write key can be replayed to a named source")
    func replayUnauthenticated() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let message = #"{"userId":"u9","event":"Product Viewed"}"#
        #expect(try await server.send("POST", "/v1/track", body: message, auth: .basic("wk_old")).status == 401)
        let letters =
            try await server.send("GET", "/v1/dead-letters", auth: .admin).json["deadLetters"]?.arrayValue ?? []
        let letter = try #require(letters.first)
        #expect(letter["code"] == "unauthorized" && letter["sourceId"] == .null)
        let id = try #require(letter["id"]?.intValue)
        #expect(try await server.send("POST", "/v1/dead-letters/\(id)/replay", auth: .admin).status == 400)
        let replayed = try await server.send("POST", "/v1/dead-letters/\(id)/replay?source=default", auth: .admin)
        #expect(replayed.status == 200)
        #expect(try await server.allEvents().first?["userId"] == "u9")
        #expect(
            try await server.send("POST", "/v1/dead-letters/\(id)/replay?source=default", auth: .admin).status == 409)
        let after = try await server.send("GET", "/v1/dead-letters", auth: .admin).json["deadLetters"]?[0]
        #expect(after?["replayedAt"]?.stringValue != nil)
    }

    @Test("invalid JSON, invalid UTF-8 and wrong types get a 400 naming the problem")
    func badBodies() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let notJSON = try await server.send("POST", "/v1/track", body: #"{"userId": "u", "event": }"#)
        #expect(notJSON.status == 400 && notJSON.json["error"]?["code"] == "invalid_json")
        let badUTF8 = try await server.send(
            "POST", "/v1/track", bytes: Array(#"{"userId":"u","event":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8))
        #expect(badUTF8.status == 400 && badUTF8.json["error"]?["code"] == "invalid_utf8")
        let wrongType = try await server.send("POST", "/v1/identify", body: #"{"userId":"u","traits":"vip"}"#)
        #expect(wrongType.status == 400)
        #expect(wrongType.json["error"]?["code"] == "wrong_type" && wrongType.json["error"]?["field"] == "traits")
        let letters =
            try await server.send("GET", "/v1/dead-letters", auth: .admin).json["deadLetters"]?.arrayValue ?? []
        #expect(letters.count == 3)
        #expect(letters.contains { $0["bodyBase64"] != nil }, "bytes that are not UTF-8 are kept in base64")
    }

    @Test("an oversize body is a 413; an oversize record a 400")
    func sizeLimits() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let big = String(repeating: "x", count: 600 * 1024)
        let tooLarge = try await server.send(
            "POST", "/v1/track", body: #"{"userId":"u","event":"e","properties":{"p":"\#(big)"}}"#)
        #expect(tooLarge.status == 413)
        let record = String(repeating: "y", count: 10_000)
        let properties = (0..<4).map { "\"p\($0)\":\"\(record)\"" }.joined(separator: ",")
        let oversize = try await server.send(
            "POST", "/v1/track", body: #"{"userId":"u","event":"e","properties":{\#(properties)}}"#)
        #expect(oversize.status == 400 && oversize.json["error"]?["code"] == "record_too_large")
    }

    @Test("events page in order, newest last, and filter by source")
    func eventPaging() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let batch =
            "{\"batch\":["
            + (0..<25).map { #"{"type":"track","userId":"u","event":"e\#($0)"}"# }
            .joined(separator: ",") + "]}"
        #expect(try await server.send("POST", "/v1/batch", body: batch).status == 200)
        let first = try await server.send("GET", "/v1/events?limit=10", auth: .admin).json
        #expect(first["events"]?.arrayValue?.count == 10)
        #expect(first["events"]?[0]?["event"] == "e0")
        let next = try #require(first["next"]?.intValue)
        let second = try await server.send("GET", "/v1/events?limit=10&after=\(next)", auth: .admin).json
        #expect(second["events"]?[0]?["event"] == "e10")
        #expect(
            try await server.send("GET", "/v1/events?source=default&limit=100", auth: .admin).json["events"]?
                .arrayValue?.count == 25)
        #expect(try await server.send("GET", "/v1/events?source=nope", auth: .admin).status == 404)
        #expect(try await server.send("GET", "/v1/events?limit=0", auth: .admin).status == 400)
        #expect(try await server.send("GET", "/v1/events").status == 401)
    }

    @Test("sources are added and rotated over the API; the old key stops working")
    func sources() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let added = try await server.send("POST", "/v1/sources", body: #"{"name":"ios-app"}"#, auth: .admin)
        #expect(added.status == 201)
        let key = try #require(added.json["writeKey"]?.stringValue)
        let message = #"{"anonymousId":"d1","name":"Home"}"#
        #expect(try await server.send("POST", "/v1/screen", body: message, auth: .basic(key)).status == 200)
        #expect(try await server.send("POST", "/v1/sources", body: #"{"name":"ios-app"}"#, auth: .admin).status == 409)
        #expect(
            try await server.send("POST", "/v1/sources", body: #"{"name":"bad name!"}"#, auth: .admin).status == 400)
        let rotated = try await server.send("POST", "/v1/sources/ios-app/rotate-key", auth: .admin)
        #expect(rotated.status == 200)
        #expect(try await server.send("POST", "/v1/screen", body: message, auth: .basic(key)).status == 401)
        let newKey = try #require(rotated.json["writeKey"]?.stringValue)
        #expect(try await server.send("POST", "/v1/screen", body: message, auth: .basic(newKey)).status == 200)
        let names = try await server.send("GET", "/v1/sources", auth: .admin).json["sources"]?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        }
        #expect(names == ["default", "ios-app"])
    }

    @Test("health, readiness and metrics answer without credentials")
    func operations() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        #expect(try await server.send("GET", "/health", auth: .none).json["status"] == "ok")
        #expect(try await server.send("GET", "/ready", auth: .none).json["status"] == "ready")
        #expect(try await server.send("POST", "/v1/track", body: #"{"userId":"u","event":"e"}"#).status == 200)
        let metrics = try await server.send("GET", "/metrics", auth: .none).text
        #expect(metrics.contains(#"tessera_http_requests_total{route="/v1/track",status="200"} 1"#))
        #expect(metrics.contains(#"tessera_records_accepted_total{kind="track"} 1"#))
        #expect(metrics.contains("tessera_commit_duration_seconds_count"))
        #expect(metrics.contains("tessera_commit_batch_records_bucket"))
        #expect(try await server.send("GET", "/nowhere", auth: .none).status == 404)
        #expect(try await server.send("DELETE", "/v1/track", auth: .none).status == 405)
    }
}
