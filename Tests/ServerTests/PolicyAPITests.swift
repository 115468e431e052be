import Foundation
import JSONParsing
import TesseraCore
import TesseraTesting
import Testing

@testable import TesseraCommands

/// Data-usage labels and policies through the real API and CLI: managing them, evaluating an
/// audience against a destination, refusing an activation, and skipping deliveries at send time.
@Suite struct PolicyAPITests {
    /// A webhook destination doing `actions`, mapping `mapping` (output field → path).
    static func destination(
        _ name: String, port: Int, actions: [String], mapping: [(String, String)], consent: [String] = []
    ) -> JSONValue {
        [
            "name": .string(name), "kind": "webhook", "url": .string("http://127.0.0.1:\(port)/hook"),
            "marketingActions": .array(actions.map(JSONValue.string)),
            "requiredConsent": .array(consent.map(JSONValue.string)),
            "mapping": .array(mapping.map { ["field": .string($0.0), "path": .string($0.1)] }),
            "batchSize": 1, "lingerMs": 0,
        ]
    }

    private func create(_ server: RunningServer, _ path: String, _ body: JSONValue) async throws -> Int64 {
        let answer = try await server.send("POST", path, body: body.serialized, auth: .admin)
        #expect(answer.status == 201, "\(answer.text)")
        return try #require(answer.json["id"]?.intValue)
    }

    @Test("policies are listed, created, replaced and deleted; labels are read and set; faults name the field")
    func management() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let list = try await server.send("GET", "/v1/policies", auth: .admin)
        let names = (list.json["policies"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        #expect(names.contains("c2-no-third-party") && list.json["marketingActions"]?.arrayValue?.isEmpty == false)

        let policy = #"{"name": "no-minors-email", "action": "email-targeting", "deny": "minors"}"#
        let undefined = try await server.send("POST", "/v1/policies", body: policy, auth: .admin)
        #expect(undefined.status == 400 && undefined.json["error"]?["field"] == "deny", "\(undefined.text)")
        let labels = try await server.send(
            "PUT", "/v1/labels",
            body: #"{"labels": {"minors": "About people under 16."}, "#
                + #""fields": {"attributes.age": ["minors"], "attributes.email": []}}"#,
            auth: .admin)
        #expect(labels.status == 200 && labels.json["fields"]?["attributes.age"] == ["minors"], "\(labels.text)")
        #expect(labels.json["fields"]?["attributes.email"] == nil, "the default I1 removed")
        #expect(try await server.send("POST", "/v1/policies", body: policy, auth: .admin).status == 201)
        #expect(try await server.send("POST", "/v1/policies", body: policy, auth: .admin).status == 409)
        let shown = try await server.send("GET", "/v1/policies/no-minors-email", auth: .admin)
        #expect(shown.json["origin"] == "api" && shown.json["deny"] == "minors")
        let replaced = try await server.send(
            "PUT", "/v1/policies/no-minors-email", body: #"{"action": "sms-targeting", "deny": "minors or S2"}"#,
            auth: .admin)
        #expect(replaced.status == 200 && replaced.json["action"] == "sms-targeting", "\(replaced.text)")
        #expect(try await server.send("DELETE", "/v1/policies/no-minors-email", auth: .admin).status == 200)
        #expect(try await server.send("GET", "/v1/policies/no-minors-email", auth: .admin).status == 404)
        #expect(try await server.send("DELETE", "/v1/policies/c2-no-third-party", auth: .admin).status == 200)
        #expect(try await server.send("GET", "/v1/policies/c2-no-third-party", auth: .admin).status == 404)

        let faults: [(String, String, String, String)] = [
            ("POST", "/v1/policies", #"{"name": "x", "action": "telepathy", "deny": "C1"}"#, "action"),
            ("POST", "/v1/policies", #"{"name": "X Y", "action": "export", "deny": "C1"}"#, "name"),
            ("PUT", "/v1/labels", #"{"fields": {"attributes.age": ["nope"]}}"#, "fields.attributes.age"),
            ("PUT", "/v1/labels", #"{"fields": {"age": ["C1"]}}"#, "fields.age"),
            ("PUT", "/v1/labels", #"{"sources": {"nowhere": ["C2"]}}"#, "sources.nowhere"),
            (
                "POST", "/v1/policies/evaluate", #"{"rule": "has email", "marketingActions": ["x"]}"#,
                "marketingActions[0]"
            ),
            ("POST", "/v1/policies/evaluate", #"{"rule": "has", "marketingActions": ["export"]}"#, "rule"),
        ]
        for (method, path, body, field) in faults {
            let answer = try await server.send(method, path, body: body, auth: .admin)
            #expect(answer.status == 400 && answer.json["error"]?["field"]?.stringValue == field, "\(answer.text)")
        }

        // Changes are stored: a restart keeps them.
        server.stop()
        let reopened = try await RunningServer(directory: server.directory)
        defer { reopened.stop() }
        let after = try await reopened.send("GET", "/v1/labels", auth: .admin)
        #expect(after.json["fields"]?["attributes.age"] == ["minors"])
        #expect(try await reopened.send("GET", "/v1/policies/c2-no-third-party", auth: .admin).status == 404)
    }

    @Test("evaluation inherits labels from the rule, nested audiences, the mapping and sources")
    func evaluation() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let audience = try await create(
            server, "/v1/audiences", ["name": "Nearby", "rule": "attribute location.latitude > 51"])
        let outer = try await create(
            server, "/v1/audiences", ["name": "Gold nearby", "rule": #"in audience "Nearby""#])
        let partner = try await create(
            server, "/v1/destinations",
            Self.destination(
                "partner", port: 9, actions: ["third-party-export"], mapping: [("tier", "attributes.tier")]))
        let email = try await create(
            server, "/v1/destinations",
            Self.destination("mailer", port: 9, actions: ["email-targeting"], mapping: [("email", "identities.email")]))

        let denied = try await server.send(
            "POST", "/v1/policies/evaluate", body: #"{"audienceId": \#(outer), "destinationId": \#(partner)}"#,
            auth: .admin)
        #expect(denied.json["allowed"] == false, "\(denied.text)")
        let violation = try #require(denied.json["violations"]?[0])
        #expect(violation["policy"] == "sensitive-no-third-party.third-party-export")
        #expect(violation["field"] == "attributes.location.latitude" && violation["labels"] == ["S1"])
        #expect(violation["via"] == #"audience "Nearby""# && violation["action"] == "third-party-export")
        let allowed = try await server.send(
            "POST", "/v1/policies/evaluate", body: #"{"audienceId": \#(audience), "destinationId": \#(email)}"#,
            auth: .admin)
        #expect(allowed.json["allowed"] == true && allowed.json["labels"]?["identities.email"] == ["I1"])

        _ = try await server.send("PUT", "/v1/labels", body: #"{"sources": {"default": ["C2"]}}"#, auth: .admin)
        let mapped = try await server.send(
            "POST", "/v1/policies/evaluate",
            body: #"{"rule": "attribute tier = \"gold\"", "marketingActions": ["third-party-export"], "#
                + #""mapping": ["audience"]}"#,
            auth: .admin)
        #expect(mapped.json["violations"]?[0]?["sources"] == ["default"], "\(mapped.text)")
        #expect(mapped.json["violations"]?[0]?["policy"] == "c2-no-third-party")
        #expect(mapped.json["violations"]?.arrayValue?.count == 1, "the audience name carries no source labels")
    }

    @Test("an activation a policy denies is refused with the violations; a destination's unknown action is refused")
    func activationRefused() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let audience = try await create(
            server, "/v1/audiences",
            ["name": "Located", "rule": "did \"Page Viewed\" where context.location.latitude > 1"])
        let partner = try await create(
            server, "/v1/destinations",
            Self.destination("partner", port: 9, actions: ["third-party-export"], mapping: [("id", "profileId")]))
        let refused = try await server.send(
            "POST", "/v1/audiences/\(audience)/activations", body: #"{"destinationId": \#(partner)}"#, auth: .admin)
        #expect(refused.status == 422 && refused.json["error"]?["code"] == "policy_violation", "\(refused.text)")
        #expect(refused.json["error"]?["violations"]?[0]?["field"] == "events.context.location.latitude")
        let activations = try await server.send("GET", "/v1/audiences/\(audience)/activations", auth: .admin)
        #expect(activations.json["activations"]?.arrayValue?.isEmpty == true)

        let unknown = try await server.send(
            "POST", "/v1/destinations",
            body: Self.destination("odd", port: 9, actions: ["telepathy"], mapping: [("id", "profileId")]).serialized,
            auth: .admin)
        #expect(unknown.status == 400 && unknown.json["error"]?["field"] == "marketingActions[0]", "\(unknown.text)")
    }

    @Test("a delivery a policy added after activation denies is skipped at send time, and counted by policy")
    func skippedAtSendTime() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let server = try await RunningServer()
        defer { server.finish() }
        let now = Timestamp.now()
        try await server.identify(
            "u-1", at: now, traits: ["tier": "gold", "email": "one@example.com"], emailConsent: true)
        let audience = try await create(server, "/v1/audiences", ["name": "Gold", "rule": #"attribute tier = "gold""#])
        let destination = try await create(
            server, "/v1/destinations",
            Self.destination(
                "mailer", port: receiver.port, actions: ["email-targeting"], mapping: [("email", "identities.email")]))
        let activation = try await server.send(
            "POST", "/v1/audiences/\(audience)/activations", body: #"{"destinationId": \#(destination)}"#, auth: .admin)
        #expect(activation.status == 201, "\(activation.text)")
        #expect(try await receiver.waitFor(count: 1).count == 1)
        // Deliveries name their audience by id: a rename does not stop the policy check.
        let renamed = try await server.send(
            "PUT", "/v1/audiences/\(audience)", body: #"{"name": "Gold members"}"#, auth: .admin)
        #expect(renamed.status == 200, "\(renamed.text)")

        _ = try await server.send("PUT", "/v1/labels", body: #"{"fields": {"attributes.tier": ["C4"]}}"#, auth: .admin)
        let policy = #"{"name": "no-tier-email", "action": "email-targeting", "deny": "C4"}"#
        #expect(try await server.send("POST", "/v1/policies", body: policy, auth: .admin).status == 201)
        try await server.identify(
            "u-2", at: now, traits: ["tier": "gold", "email": "two@example.com"], emailConsent: true)
        // Marketing email was never agreed to by u-3: the action implies `marketing.email`.
        try await server.identify(
            "u-3", at: now, traits: ["tier": "gold", "email": "three@example.com"], emailConsent: nil)

        var skipped = try await server.deliveries(of: destination, state: "skipped", atLeast: 2)
        #expect(Set(skipped.compactMap { $0["detail"]?.stringValue }) == ["policy:no-tier-email"], "\(skipped)")
        #expect(skipped.allSatisfy { $0["audienceId"]?.intValue == audience })
        let all = try await server.send("GET", "/v1/destinations/\(destination)/deliveries", auth: .admin)
        let sent = (all.json["deliveries"]?.arrayValue ?? []).filter { $0["state"] != "skipped" }
        #expect(sent.count == 1, "nothing after the policy: \(all.text)")
        let metrics = try await server.send("GET", "/metrics", auth: .none).text
        #expect(metrics.contains(#"reason="policy:no-tier-email""#), "counted per reason")

        #expect(try await server.send("DELETE", "/v1/policies/no-tier-email", auth: .admin).status == 200)
        try await server.identify(
            "u-4", at: now, traits: ["tier": "gold", "email": "four@example.com"], emailConsent: nil)
        skipped = try await server.deliveries(of: destination, state: "skipped", atLeast: 3)
        #expect(skipped.contains { $0["detail"] == "consent:marketing.email" }, "implied consent: \(skipped)")
    }

    @Test("the configuration file's governance section reaches the server; a fault names the member")
    func configurationFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/tessera.json"
        let file = #"""
            {"governance": {"labels": {"minors": "Under 16."}, "fields": {"attributes.age": ["minors"]},
             "marketingActions": {"sms-survey": {"consentPurposes": ["marketing.sms"]}},
             "policies": [{"name": "no-minors-sms", "action": "sms-survey", "deny": "minors"}]}}
            """#
        try file.write(toFile: path, atomically: true, encoding: .utf8)
        let arguments = try Arguments(["--config", path], options: ServeCommand.options)
        let configuration = try ServeCommand.configuration(from: arguments, environment: [:])
        let server = try await RunningServer { $0.governance = configuration.governance }
        defer { server.finish() }
        let policy = try await server.send("GET", "/v1/policies/no-minors-sms", auth: .admin)
        #expect(policy.json["origin"] == "configuration" && policy.json["deny"] == "minors", "\(policy.text)")
        let decision = try await server.send(
            "POST", "/v1/policies/evaluate",
            body: #"{"rule": "attribute age < 16", "marketingActions": ["sms-survey"]}"#,
            auth: .admin)
        #expect(decision.json["violations"]?[0]?["policy"] == "no-minors-sms", "\(decision.text)")

        try #"{"governance": {"policies": [{"name": "x", "action": "sms", "deny": "C1"}]}}"#.write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try ServeCommand.configuration(from: arguments, environment: [:])
        } throws: { error in
            "\(error)".contains("governance.policies.x.action")
        }
    }

    @Test("attributes labelled I1 are masked for readers without profiles:read-pii")
    func labelledMasking() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.identifyJane()
        let reader = try await server.createToken("reader", scopes: ["profiles:read"])
        let before = try await server.get("/v1/profiles/userId/jane-1", token: reader.secret)
        #expect(before.json["attributes"]?["loyaltyTier"] == "gold", "\(before.text)")
        let labels = try await server.send(
            "PUT", "/v1/labels", body: #"{"fields": {"attributes.loyaltyTier": ["I1"]}}"#, auth: .admin)
        #expect(labels.status == 200)
        let after = try await server.get("/v1/profiles/userId/jane-1", token: reader.secret)
        #expect(after.json["attributes"]?["loyaltyTier"] == "***", "\(after.text)")
        let admin = try await server.send("GET", "/v1/profiles/userId/jane-1", auth: .admin)
        #expect(admin.json["attributes"]?["loyaltyTier"] == "gold")
    }

    @Test(
        "every governance route is refused without its scope",
        arguments: [
            ("PUT", "/v1/profiles/userId/u/consent", "privacy:write"),
            ("GET", "/v1/profiles/userId/u/consent", "profiles:read"),
            ("GET", "/v1/policies", "profiles:read"),
            ("POST", "/v1/policies", "privacy:write"),
            ("POST", "/v1/policies/evaluate", "profiles:read"),
            ("GET", "/v1/policies/c2-no-third-party", "profiles:read"),
            ("PUT", "/v1/policies/x", "privacy:write"),
            ("DELETE", "/v1/policies/x", "privacy:write"),
            ("GET", "/v1/labels", "profiles:read"),
            ("PUT", "/v1/labels", "privacy:write"),
        ])
    func scopes(method: String, path: String, scope: String) async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let others = [
            "collect", "profiles:read", "profiles:read-pii", "audiences:write", "destinations:write",
            "privacy:write",
        ].filter { $0 != scope && !(scope == "profiles:read" && $0 == "profiles:read-pii") }
        let without = try await server.createToken("without", scopes: others)
        let with = try await server.createToken("with", scopes: [scope])
        let body = method == "GET" || method == "DELETE" ? nil : "{}"
        let refused = try await server.send(
            method, path, body: body, auth: .none, headers: [("Authorization", "Bearer \(without.secret)")])
        #expect(refused.status == 403 && refused.json["error"]?["scope"]?.stringValue == scope, "\(refused.text)")
        #expect(try await server.send(method, path, body: body, auth: .none).status == 401)
        let opened = try await server.send(
            method, path, body: body, auth: .none, headers: [("Authorization", "Bearer \(with.secret)")])
        #expect(opened.status != 403 && opened.status != 401, "\(opened.text)")
    }

    @Test("tessera policies check prints the decision and exits 0 when allowed, 2 when denied")
    func command() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try RunningServer.adminToken.write(
            toFile: server.directory.path + "/admin-token", atomically: true, encoding: .utf8)
        let audience = try await create(server, "/v1/audiences", ["name": "Near", "rule": "attribute geo.lat > 1"])
        _ = try await server.send("PUT", "/v1/labels", body: #"{"fields": {"attributes.geo": ["S1"]}}"#, auth: .admin)
        let partner = try await create(
            server, "/v1/destinations",
            Self.destination("partner", port: 9, actions: ["third-party-export"], mapping: [("id", "profileId")]))
        let connection = ["--server", "http://127.0.0.1:\(server.port)", "--data", server.directory.path]
        func run(_ words: String...) async -> Int32 {
            await runTool(["policies"] + words + connection)
        }
        #expect(await run("check", "--audience", "\(audience)", "--destination", "\(partner)") == 2)
        #expect(await run("check", "--rule", "attribute geo.lat > 1", "--action", "email-targeting") == 0)
        #expect(await run("check", "--rule", "attribute tier = \"gold\"", "--action", "third-party-export,export") == 0)
        #expect(await run("check", "--rule", "has", "--action", "export") == 1, "an invalid rule fails")
        #expect(await run("check", "--audience", "\(audience)") == 64, "no destination is a usage error")
        #expect(await run("list") == 0)

        let answer: JSONValue = [
            "allowed": false, "marketingActions": ["third-party-export"],
            "violations": [
                [
                    "policy": "p", "action": "third-party-export", "field": "attributes.geo.lat", "via": "rule",
                    "labels": ["S1"], "sources": ["partner-feed"],
                ]
            ],
        ]
        let lines = PoliciesCommand.render(answer).split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("Denied: 1 violation") == true)
        #expect(
            lines.last
                == "  ✗ p denies third-party-export: attributes.geo.lat (read by rule) carries S1 "
                + "from source partner-feed"
        )
    }
}
