import Foundation
import JSONParsing
@testable import Server
import TesseraCore
import TesseraTesting
import Testing

/// API tokens, scopes, masking and the audit log through the real HTTP API.
@Suite struct AccessControlTests {
    @Test("without a valid bearer token a scoped route answers 401; without its scope, 403 naming it")
    func refusals() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        #expect(try await server.send("GET", "/v1/profiles/1", auth: .none).status == 401)
        #expect(try await server.get("/v1/profiles/1", token: "tsk_not-a-token").status == 401)
        #expect(try await server.get("/v1/profiles/1", token: "adm_wrong").status == 401)

        let reader = try await server.createToken("reader", scopes: ["profiles:read"])
        let forbidden = try await server.get("/v1/sources", token: reader.secret)
        #expect(forbidden.status == 403)
        #expect(forbidden.json["error"]?["code"] == "forbidden" && forbidden.json["error"]?["scope"] == "admin")
        let audience = try await server.send(
            "POST", "/v1/audiences", body: #"{"name":"x","rule":"has email"}"#, auth: .none,
            headers: [("Authorization", "Bearer \(reader.secret)")])
        #expect(audience.status == 403 && audience.json["error"]?["scope"] == "audiences:write")
        #expect(try await server.get("/v1/audiences", token: reader.secret).status == 200)
        #expect(try await server.get("/v1/tokens", token: reader.secret).status == 403)
        #expect(try await server.get("/v1/audit", token: reader.secret).status == 403)
    }

    @Test(
        "each scope opens its routes and no others",
        arguments: [
            (["audiences:write"], "POST", "/v1/audiences/evaluate", true),
            (["audiences:write"], "GET", "/v1/audiences", false),
            (["profiles:read"], "POST", "/v1/audiences/estimate", true),
            (["profiles:read"], "POST", "/v1/identities/unlink", false),
            (["profiles:read-pii"], "GET", "/v1/profiles/userId/nobody", true),
            (["collect", "privacy:write", "destinations:write"], "GET", "/v1/profiles/userId/nobody", false),
            (["admin"], "GET", "/v1/dead-letters", true),
            (["profiles:read", "audiences:write"], "GET", "/v1/events", false),
        ])
    func scopeTable(scopes: [String], method: String, path: String, opens: Bool) async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let token = try await server.createToken("t", scopes: scopes)
        let body = method == "POST" ? #"{"rule":"has email"}"# : nil
        let answer = try await server.send(
            method, path, body: body, auth: .none, headers: [("Authorization", "Bearer \(token.secret)")])
        #expect((answer.status != 403 && answer.status != 401) == opens, "\(method) \(path): \(answer.status)")
    }

    @Test("tokens are created with a secret shown once, listed without it, and stop working when revoked")
    func tokenLifecycle() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let token = try await server.createToken("dashboards", scopes: ["profiles:read", "admin"])
        #expect(token.secret.hasPrefix("tsk_") && token.id.hasPrefix("tok_"))
        let list = try await server.send("GET", "/v1/tokens", auth: .admin)
        let listed = try #require(list.json["tokens"]?.arrayValue?.first)
        #expect(listed["id"]?.stringValue == token.id && listed["token"] == nil && listed["revokedAt"] == .null)
        #expect(listed["scopes"] == ["profiles:read", "admin"])
        #expect(!list.text.contains(token.secret))

        #expect(try await server.get("/v1/tokens", token: token.secret).status == 200)
        let revoked = try await server.send("DELETE", "/v1/tokens/\(token.id)", auth: .admin)
        #expect(revoked.status == 200 && revoked.json["revokedAt"]?.stringValue != nil)
        #expect(try await server.get("/v1/tokens", token: token.secret).status == 401, "revoked at once")
        #expect(try await server.send("DELETE", "/v1/tokens/tok_nope", auth: .admin).status == 404)

        server.stop()
        for file in try FileManager.default.contentsOfDirectory(atPath: server.directory.path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: server.directory.path + "/" + file))
            #expect(bytes.range(of: Data(token.secret.utf8)) == nil, "the secret is in \(file)")
        }
    }

    @Test("a token's last use is recorded")
    func lastUsed() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let token = try await server.createToken("t", scopes: ["profiles:read"])
        #expect(try await server.get("/v1/audiences", token: token.secret).status == 200)
        var lastUsed: JSONValue?
        for _ in 0..<50 where lastUsed == nil || lastUsed == .null {
            try await Task.sleep(for: .milliseconds(20))
            let list = try await server.send("GET", "/v1/tokens", auth: .admin)
            lastUsed = list.json["tokens"]?[0]?["lastUsedAt"]
        }
        #expect(lastUsed?.stringValue != nil)
    }

    @Test(
        "create refuses a missing name and unknown or empty scopes",
        arguments: [
            #"{"scopes":["admin"]}"#, #"{"name":"x","scopes":[]}"#, #"{"name":"x","scopes":["root"]}"#,
            #"{"name":"x","scopes":"admin"}"#, #"{"name":"x","scopes":["admin", 3]}"#, "[]",
        ])
    func invalidCreate(body: String) async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let answer = try await server.send("POST", "/v1/tokens", body: body, auth: .admin)
        #expect(answer.status == 400 && answer.json["error"]?["code"] == "invalid_value", "\(answer.text)")
    }

    @Test("without profiles:read-pii, profile reads mask identities and personal attributes")
    func masking() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.identifyJane()
        let reader = try await server.createToken("reader", scopes: ["profiles:read"])
        let pii = try await server.createToken("support", scopes: ["profiles:read-pii"])

        for path in ["/v1/profiles/userId/jane-1", "/v1/profiles/1"] {
            let masked = try await server.get(path, token: reader.secret)
            #expect(masked.status == 200, "\(path)")
            let attributes = masked.json["attributes"]
            #expect(attributes?["email"] == "***" && attributes?["firstName"] == "***", "\(path)")
            #expect(attributes?["address"] == "***" && attributes?["loyaltyTier"] == "gold", "\(path)")
            let values = masked.json["identities"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? []
            #expect(values.sorted() == ["***", "j***@example.com"], "\(path)")
            #expect(!masked.text.contains("jane-1") && !masked.text.contains("Jane"), "\(path)")

            let clear = try await server.get(path, token: pii.secret)
            #expect(clear.json["attributes"]?["firstName"] == "Jane", "\(path)")
            #expect(clear.json["attributes"]?["address"]?["city"] == "Lyon", "\(path)")
        }

        let timeline = try await server.get("/v1/profiles/userId/jane-1/events", token: reader.secret)
        let event = try #require(timeline.json["events"]?[0])
        #expect(event["record"] == nil && event["userId"] == "***" && event["masked"] == true)
        let clearTimeline = try await server.get("/v1/profiles/userId/jane-1/events", token: pii.secret)
        #expect(clearTimeline.json["events"]?[0]?["record"] != nil)

        let graph = try await server.get("/v1/profiles/userId/jane-1/graph", token: reader.secret)
        #expect(graph.status == 200 && !graph.text.contains("jane-1") && graph.text.contains("userId:***"))

        let lookup = try await server.send(
            "POST", "/v1/profiles/lookup", body: #"{"identities":["userId:jane-1"]}"#, auth: .none,
            headers: [("Authorization", "Bearer \(reader.secret)")])
        #expect(lookup.json["results"]?[0]?["profile"]?["attributes"]?["lastName"] == "***")

        let explain = try await server.get(
            "/v1/identities/explain?from=userId:jane-1&to=email:jane@example.com", token: reader.secret)
        #expect(explain.json["joined"] == true && explain.json["to"] == "email:j***@example.com", "\(explain.text)")
    }

    @Test("why masks the values of personal attribute conditions unless the caller has profiles:read-pii")
    func whyMasking() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.identifyJane()
        let created = try await server.send(
            "POST", "/v1/audiences",
            body: #"{"name":"gold","rule":"attribute firstName = \"Jane\" and attribute loyaltyTier = \"gold\""}"#,
            auth: .admin)
        let id = try #require(created.json["id"]?.intValue, "\(created.text)")
        let reader = try await server.createToken("reader", scopes: ["profiles:read"])
        let masked = try await server.get("/v1/audiences/\(id)/why/userId/jane-1", token: reader.secret)
        let conditions = try #require(masked.json["rule"]?["conditions"]?.arrayValue, "\(masked.text)")
        #expect(masked.json["member"] == true)
        #expect(conditions.map { $0["value"] } == ["***", "gold"])
        let clear = try await server.send("GET", "/v1/audiences/\(id)/why/userId/jane-1", auth: .admin)
        #expect(clear.json["rule"]?["conditions"]?[0]?["value"] == "Jane")
    }

    @Test("every personal-data read is audited with token id, route pattern, action and profile id only")
    func audit() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.identifyJane()
        let reader = try await server.createToken("reader", scopes: ["profiles:read"])
        let created = try await server.send(
            "POST", "/v1/audiences", body: #"{"name":"all","rule":"has userId"}"#, auth: .admin)
        let audience = try #require(created.json["id"]?.intValue)
        let profile = try #require(
            try await server.send("GET", "/v1/profiles/userId/jane-1", auth: .admin).json["profileId"]?.intValue)

        let reads = [
            "/v1/profiles/userId/jane-1", "/v1/profiles/\(profile)", "/v1/profiles/userId/jane-1/events",
            "/v1/profiles/userId/jane-1/graph", "/v1/profiles/userId/jane-1/audiences",
            "/v1/audiences/\(audience)/members", "/v1/audiences/\(audience)/why/userId/jane-1",
        ]
        for path in reads {
            #expect(try await server.get(path, token: reader.secret).status == 200, "\(path)")
        }
        #expect(try await server.send("GET", "/v1/dead-letters", auth: .admin).status == 200)
        #expect(try await server.get("/v1/audiences", token: reader.secret).status == 200, "not a personal read")

        // The admin's read that found the profile id, the reader's reads, the admin's dead-letter page.
        let entries = try await server.auditEntries(count: reads.count + 2)
        #expect(entries.count == reads.count + 2)
        #expect(entries.first?["tokenId"] == "admin" && entries.first?["profileId"]?.intValue == profile)
        let byReader = entries.filter { $0["tokenId"]?.stringValue == reader.id }
        #expect(
            Set(byReader.compactMap { $0["route"]?.stringValue }) == [
                "/v1/profiles/{namespace}/{value}", "/v1/profiles/{id}", "/v1/profiles/{namespace}/{value}/events",
                "/v1/profiles/{namespace}/{value}/graph", "/v1/profiles/{namespace}/{value}/audiences",
                "/v1/audiences/{id}/members", "/v1/audiences/{id}/why/{namespace}/{value}",
            ])
        #expect(byReader.allSatisfy { $0["profileId"]?.intValue == profile && $0["action"] == "read" })
        let letters = try #require(entries.last)
        #expect(letters["tokenId"] == "admin" && letters["action"] == "read-pii" && letters["profileId"] == .null)
        let text = JSONValue.array(entries).serialized
        #expect(!text.contains("jane") && !text.contains("Jane") && !text.contains(reader.secret))

        let page = try await server.send("GET", "/v1/audit?limit=2", auth: .admin)
        #expect(page.json["entries"]?.arrayValue?.count == 2 && page.json["next"] == 2)
        let filtered = try await server.send("GET", "/v1/audit?profileId=\(profile + 1000)", auth: .admin)
        #expect(filtered.json["entries"]?.arrayValue?.isEmpty == true)
    }

    @Test("the admin token keeps every scope and the OpenAPI document names each route's scope")
    func openAPIScopes() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let paths = try await server.send("GET", "/openapi.json", auth: .none).json["paths"]
        #expect(paths?["/v1/profiles/{id}"]?["get"]?["x-required-scope"] == "profiles:read")
        #expect(paths?["/v1/audiences"]?["post"]?["x-required-scope"] == "audiences:write")
        #expect(paths?["/v1/identities/unlink"]?["post"]?["x-required-scope"] == "admin")
        #expect(paths?["/v1/tokens"]?["post"]?["x-required-scope"] == "admin")
        #expect(paths?["/v1/audit"]?["get"]?["responses"]?["403"] != nil)
        #expect(paths?["/v1/track"]?["post"]?["x-required-scope"] == nil)
        #expect(try await server.send("GET", "/v1/audit", auth: .admin).status == 200)
    }
}

/// The masking rules on their own.
@Suite struct MaskTests {
    @Test(
        "identity values",
        arguments: [
            ("jane@example.com", "j***@example.com"), ("+33612345678", "***"), ("@handle", "***"), ("", "***"),
        ])
    func identityValues(value: String, masked: String) {
        #expect(Mask().identityValue(value) == masked)
    }

    @Test("personal attributes are masked at any depth and everything under address; others stay")
    func attributes() throws {
        let attributes = try JSONValue(
            parsing: Array(
                #"""
                {"Email":"a@b.c","address":{"city":"Lyon"},"loyaltyTier":"gold","orders":3,
                 "company":{"name":"Acme","size":10},"phone":null,"children":[{"birthday":"2001-01-01"}]}
                """#.utf8))
        let masked = Mask().attributes(attributes)
        #expect(masked["Email"] == "***" && masked["address"] == "***" && masked["phone"] == .null)
        #expect(masked["loyaltyTier"] == "gold" && masked["orders"] == 3)
        #expect(masked["company"]?["name"] == "***" && masked["company"]?["size"] == 10)
        #expect(masked["children"]?[0]?["birthday"] == "***")
    }

    @Test("a labels policy replaces the built-in list")
    func customLabels() {
        struct OnlyTier: PersonalDataLabels {
            func isPersonal(_ path: [String]) -> Bool { path == ["loyaltyTier"] }
        }
        let masked = Mask(labels: OnlyTier()).attributes(["email": "a@b.c", "loyaltyTier": "gold"])
        #expect(masked == ["email": "a@b.c", "loyaltyTier": "***"])
    }
}

extension RunningServer {
    /// A token created through the API: its id and its secret.
    func createToken(_ name: String, scopes: [String]) async throws -> (id: String, secret: String) {
        let body: JSONValue = ["name": .string(name), "scopes": .array(scopes.map(JSONValue.string))]
        let answer = try await send("POST", "/v1/tokens", body: body.serialized, auth: .admin)
        #expect(answer.status == 201, "\(answer.text)")
        return (try #require(answer.json["id"]?.stringValue), try #require(answer.json["token"]?.stringValue))
    }

    /// A GET with `token` as the bearer token.
    func get(_ path: String, token: String) async throws -> Answer {
        try await send("GET", path, auth: .none, headers: [("Authorization", "Bearer \(token)")])
    }

    /// Jane: a user id, an email, names, an address and a loyalty tier, sent as one identify call.
    func identifyJane() async throws {
        let body = #"""
            {"type":"identify","userId":"jane-1","traits":{"email":"jane@example.com","firstName":"Jane",
             "lastName":"Doe","address":{"city":"Lyon"},"loyaltyTier":"gold"}}
            """#
        let answer = try await send("POST", "/v1/identify", body: body)
        #expect(answer.status == 200, "\(answer.text)")
    }

    /// The audit log once it holds at least `count` entries (it is flushed about every second).
    func auditEntries(count: Int) async throws -> [JSONValue] {
        var entries: [JSONValue] = []
        for _ in 0..<40 {
            entries = try await send("GET", "/v1/audit?limit=1000", auth: .admin).json["entries"]?.arrayValue ?? []
            if entries.count >= count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return entries
    }
}
