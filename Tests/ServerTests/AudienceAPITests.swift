import Foundation
import JSONParsing
import TesseraCore
import TesseraTesting
import Testing

/// Audiences through the real HTTP API: define, list, read members, size, history, why, estimate,
/// change and delete, with the refusals a user meets on the way.
@Suite struct AudienceAPITests {
    @Test("an audience saved over HTTP is computed, follows new records and explains itself")
    func lifecycle() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let now = Timestamp.now()
        try await server.track("u-1", "Order Completed", at: now, properties: ["total": 150])
        try await server.track("u-2", "Order Completed", at: now, properties: ["total": 20])

        let created = try await server.send(
            "POST", "/v1/audiences",
            body:
                #"{"name": "Big orders", "description": "for the VIP desk", "#
                + #""rule": "did \"Order Completed\" where properties.total > 100 within 7 days"}"#,
            auth: .admin)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json["id"]?.intValue)
        #expect(created.json["size"] == 1 && created.json["ruleJSON"]?["event"] == "Order Completed")

        try await server.track("u-2", "Order Completed", at: now, properties: ["total": 300])
        let size = try await server.send("GET", "/v1/audiences/\(id)/size", auth: .admin)
        #expect(size.json["size"] == 2, "the new order made u-2 a member in its own commit")
        let members = try await server.send("GET", "/v1/audiences/\(id)/members?limit=1", auth: .admin)
        #expect(members.json["members"]?.arrayValue?.count == 1 && members.json["next"]?.intValue != nil)
        let history = try await server.send("GET", "/v1/audiences/\(id)/history", auth: .admin)
        #expect(
            history.json["history"]?.arrayValue?.map { $0["cause"]?.stringValue?.prefix(6) } == ["record", "backfi"])

        let why = try await server.send("GET", "/v1/audiences/\(id)/why/userId/u-1", auth: .admin)
        #expect(why.status == 200 && why.json["member"] == true && why.json["rule"]?["holds"] == true)
        #expect(why.json["rule"]?["events"]?.arrayValue?.count == 1 && why.json["rule"]?["changesAt"] != nil)
        let memberships = try await server.send("GET", "/v1/profiles/userId/u-2/audiences", auth: .admin)
        #expect(memberships.json["audiences"]?[0]?["audience"] == "Big orders")

        let estimate = try await server.send(
            "POST", "/v1/audiences/estimate", body: #"{"rule": "did \"Order Completed\""}"#, auth: .admin)
        #expect(estimate.json["size"] == 2 && estimate.json["profiles"] == 2, "\(estimate.text)")

        let changed = try await server.send(
            "PUT", "/v1/audiences/\(id)",
            body:
                #"{"rule": {"event": "Order Completed", "#
                + #""where": [{"field": "properties.total", "operator": ">", "value": 200}]}}"#,
            auth: .admin)
        #expect(changed.status == 200 && changed.json["size"] == 1, "\(changed.text)")
        let list = try await server.send("GET", "/v1/audiences", auth: .admin)
        #expect(list.json["audiences"]?.arrayValue?.count == 1)
        #expect(try await server.send("DELETE", "/v1/audiences/\(id)", auth: .admin).status == 200)
        #expect(try await server.send("GET", "/v1/audiences/\(id)", auth: .admin).status == 404)
    }

    @Test("invalid rules get a 400 with line and column; taken names and deletes in use a 409")
    func refusals() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let invalid = try await server.send(
            "POST", "/v1/audiences", body: #"{"name": "A", "rule": "has email\nand attribute tier >= gold"}"#,
            auth: .admin)
        #expect(invalid.status == 400)
        #expect(invalid.json["error"]?["code"] == "invalid_rule" && invalid.json["error"]?["field"] == "rule")
        #expect(invalid.json["error"]?["line"] == 2 && invalid.json["error"]?["column"] == 23, "\(invalid.text)")
        let pointer = try await server.send(
            "POST", "/v1/audiences", body: #"{"name": "A", "rule": {"has": 3}}"#, auth: .admin)
        #expect(pointer.status == 400 && pointer.json["error"]?["pointer"] == "/has", "\(pointer.text)")
        let missing = try await server.send(
            "POST", "/v1/audiences", body: #"{"name": "A", "rule": "in audience \"Nobody\""}"#, auth: .admin)
        #expect(missing.status == 400 && missing.json["error"]?["field"] == "rule")

        let first = try await server.send(
            "POST", "/v1/audiences", body: #"{"name": "A", "rule": "has email"}"#, auth: .admin)
        let id = try #require(first.json["id"]?.intValue)
        let taken = try await server.send(
            "POST", "/v1/audiences", body: #"{"name": "A", "rule": "has phone"}"#, auth: .admin)
        #expect(taken.status == 409 && taken.json["error"]?["field"] == "name")
        _ = try await server.send(
            "POST", "/v1/audiences", body: #"{"name": "B", "rule": "in audience \"A\""}"#, auth: .admin)
        #expect(try await server.send("DELETE", "/v1/audiences/\(id)", auth: .admin).status == 409)
        #expect(try await server.send("GET", "/v1/audiences", auth: .none).status == 401)
        #expect(try await server.send("GET", "/v1/audiences/999/members", auth: .admin).status == 404)
    }
}

extension RunningServer {
    /// Sends one Segment track call.
    func track(_ userID: String, _ event: String, at time: Timestamp, properties: JSONValue) async throws {
        let body: JSONValue = [
            "userId": .string(userID), "event": .string(event), "properties": properties,
            "timestamp": .string(time.iso8601),
        ]
        let answer = try await send("POST", "/v1/track", body: body.serialized)
        #expect(answer.status == 200, "\(answer.text)")
    }
}
