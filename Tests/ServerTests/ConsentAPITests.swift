import Foundation
import JSONParsing
import TesseraCore
import TesseraTesting
import Testing

/// Consent through `PUT` and `GET /v1/profiles/{namespace}/{value}/consent`: answers kept as
/// history with the latest time winning, effective values after defaults, expiry, `collect = n`
/// enforced from the next record, and every member checked.
@Suite struct ConsentAPITests {
    @Test("answers set by the API are history, the latest time wins, and the profile shows them at once")
    func setAndRead() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let now = Timestamp.now()
        try await server.identify("u-1", at: now, traits: ["email": "one@example.com"], emailConsent: true)

        let put = try await server.send(
            "PUT", "/v1/profiles/userId/u-1/consent",
            body: #"{"purposes": {"marketing.email": "n", "share": "LI"}, "source": "default"}"#, auth: .admin)
        #expect(put.status == 200, "\(put.text)")
        #expect(put.json["consent"]?["marketing.email"]?["value"] == "n")
        #expect(put.json["consent"]?["share"]?["basis"] == "legitimateInterest")
        #expect(put.json["consent"]?["share"]?["source"] == "default")
        #expect(put.json["effective"]?["marketing.email"] == "n" && put.json["effective"]?["marketing.sms"] == "n")
        #expect(put.json["effective"]?["personalize"] == "y", "the default")
        let history = put.json["history"]?.arrayValue ?? []
        #expect(history.count == 3, "the record's answer and the two from the API: \(put.text)")
        #expect(history.first?["actor"] == "admin")

        let older = Timestamp(milliseconds: now.milliseconds - 86_400_000)
        let late = try await server.send(
            "PUT", "/v1/profiles/userId/u-1/consent",
            body: #"{"purposes": {"marketing.email": "y"}, "time": "\#(older.iso8601)"}"#, auth: .admin)
        #expect(
            late.json["consent"]?["marketing.email"]?["value"] == "n", "an older answer does not replace a newer one")
        #expect(late.json["history"]?.arrayValue?.count == 4)

        let profile = try await server.send("GET", "/v1/profiles/userId/u-1", auth: .admin)
        #expect(profile.json["consent"]?["marketing.email"]?["value"] == "n")
        let page = try await server.send("GET", "/v1/profiles/userId/u-1/consent?limit=2", auth: .admin)
        #expect(page.json["history"]?.arrayValue?.count == 2 && page.json["next"]?.intValue != nil)
        #expect(try await server.send("GET", "/v1/profiles/userId/nobody/consent", auth: .admin).status == 404)
    }

    @Test("collect = n set by the API stops storing the person's behaviour from the next record")
    func collectRefused() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let now = Timestamp.now()
        try await server.track("u-1", "Product Viewed", at: now, properties: [:])
        let put = try await server.send(
            "PUT", "/v1/profiles/userId/u-1/consent", body: #"{"purposes": {"collect": "n"}}"#, auth: .admin)
        #expect(put.status == 200 && put.json["effective"]?["collect"] == "n", "\(put.text)")
        try await server.track("u-1", "Product Viewed", at: now, properties: [:])
        let timeline = try await server.send("GET", "/v1/profiles/userId/u-1/events", auth: .admin)
        #expect(timeline.json["events"]?.arrayValue?.count == 1, "\(timeline.text)")

        _ = try await server.send(
            "PUT", "/v1/profiles/userId/u-1/consent", body: #"{"purposes": {"collect": "y"}}"#, auth: .admin)
        try await server.track("u-1", "Product Viewed", at: now, properties: [:])
        let resumed = try await server.send("GET", "/v1/profiles/userId/u-1/events", auth: .admin)
        #expect(resumed.json["events"]?.arrayValue?.count == 2)
    }

    @Test("an answer past its expiry counts as unanswered")
    func expiry() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let now = Timestamp.now()
        try await server.identify("u-1", at: now, traits: ["tier": "gold"], emailConsent: nil)
        let given = Timestamp(milliseconds: now.milliseconds - 7_200_000)
        let expired = Timestamp(milliseconds: now.milliseconds - 3_600_000)
        let body: JSONValue = [
            "purposes": ["marketing": "y", "share": "y"], "time": .string(given.iso8601),
            "expiresAt": .string(expired.iso8601),
        ]
        let put = try await server.send("PUT", "/v1/profiles/userId/u-1/consent", body: body.serialized, auth: .admin)
        #expect(put.json["consent"]?["marketing"]?["expired"] == true, "\(put.text)")
        #expect(put.json["effective"]?["marketing"] == "n" && put.json["effective"]?["share"] == "u")
        let profile = try await server.send("GET", "/v1/profiles/userId/u-1", auth: .admin)
        #expect(profile.json["consent"]?["marketing"]?["value"] == "u")

        let later = Timestamp(milliseconds: now.milliseconds + 3_600_000)
        let valid = try await server.send(
            "PUT", "/v1/profiles/userId/u-1/consent",
            body: #"{"purposes": {"marketing": "y"}, "expiresAt": "\#(later.iso8601)"}"#, auth: .admin)
        #expect(
            valid.json["effective"]?["marketing"] == "y" && valid.json["consent"]?["marketing"]?["expired"] == false)

        // An expired refusal of collection no longer stops records.
        let refusal: JSONValue = [
            "purposes": ["collect": "n"], "time": .string(given.iso8601), "expiresAt": .string(expired.iso8601),
        ]
        _ = try await server.send("PUT", "/v1/profiles/userId/u-1/consent", body: refusal.serialized, auth: .admin)
        try await server.track("u-1", "Product Viewed", at: now, properties: [:])
        let timeline = try await server.send("GET", "/v1/profiles/userId/u-1/events", auth: .admin)
        #expect(
            timeline.json["events"]?.arrayValue?.contains { $0["event"] == "Product Viewed" } == true,
            "\(timeline.text)")
    }

    @Test("an answer expires when the server's clock passes its expiry, on the profile too")
    func expiryFollowsTheClock() async throws {
        let clock = ManualClock()
        let server = try await RunningServer(clock: clock)
        defer { server.finish() }
        try await server.identify("u-1", at: clock.now(), traits: ["tier": "gold"], emailConsent: nil)
        let until = Timestamp(milliseconds: clock.now().milliseconds + 3_600_000)
        let body: JSONValue = ["purposes": ["marketing": "y"], "expiresAt": .string(until.iso8601)]
        let put = try await server.send("PUT", "/v1/profiles/userId/u-1/consent", body: body.serialized, auth: .admin)
        #expect(put.json["effective"]?["marketing"] == "y", "\(put.text)")
        let before = try await server.send("GET", "/v1/profiles/userId/u-1", auth: .admin)
        #expect(before.json["consent"]?["marketing"]?["value"] == "y", "\(before.text)")

        clock.advance(milliseconds: 7_200_000)
        let later = try await server.send("GET", "/v1/profiles/userId/u-1/consent", auth: .admin)
        #expect(later.json["effective"]?["marketing"] == "n" && later.json["consent"]?["marketing"]?["expired"] == true)
        let profile = try await server.send("GET", "/v1/profiles/userId/u-1", auth: .admin)
        #expect(profile.json["consent"]?["marketing"]?["value"] == "u", "\(profile.text)")
    }

    @Test("a member of an audience that needs consent leaves it when the answer expires, not later")
    func audienceExitAtExpiry() async throws {
        let clock = ManualClock()
        let server = try await RunningServer(clock: clock)
        defer { server.finish() }
        let rule: JSONValue = ["name": "Emailable", "rule": #"consent marketing.email = "y""#]
        let created = try await server.send("POST", "/v1/audiences", body: rule.serialized, auth: .admin)
        let audience = try #require(created.json["id"]?.intValue)
        try await server.identify("u-1", at: clock.now(), traits: ["tier": "gold"], emailConsent: nil)
        let until = Timestamp(milliseconds: clock.now().milliseconds + 3_600_000)
        let body: JSONValue = ["purposes": ["marketing.email": "y"], "expiresAt": .string(until.iso8601)]
        _ = try await server.send("PUT", "/v1/profiles/userId/u-1/consent", body: body.serialized, auth: .admin)
        func size() async throws -> Int64? {
            try await server.send("GET", "/v1/audiences/\(audience)/size", auth: .admin).json["size"]?.intValue
        }
        #expect(try await size() == 1)

        clock.advance(milliseconds: 7_200_000)
        var left = try await size() == 0
        for _ in 0..<40 where !left {
            try await Task.sleep(for: .milliseconds(50))
            left = try await size() == 0
        }
        #expect(left, "the scheduler made the member leave without any new record")
        let history = try await server.send("GET", "/v1/audiences/\(audience)/history", auth: .admin)
        let exit = history.json["history"]?.arrayValue?.first { $0["change"] == "exited" }
        #expect(exit?["time"]?.stringValue == until.iso8601, "at the expiry: \(history.text)")
    }

    @Test(
        "every member is checked, and the refusal names it",
        arguments: [
            (#"{"purposes": {"marketing.fax2": "y"}}"#, "purposes.marketing.fax2"),
            (#"{"purposes": {"collect": "maybe"}}"#, "purposes.collect"),
            (#"{"purposes": {"collect": true}}"#, "purposes.collect"),
            (#"{"purposes": {}}"#, "purposes"),
            (#"{"purposes": {"collect": "y"}, "basis": "whim"}"#, "basis"),
            (#"{"purposes": {"collect": "y"}, "time": "yesterday"}"#, "time"),
            (
                #"{"purposes": {"collect": "y"}, "time": "2026-01-02T00:00:00Z", "expiresAt": "2026-01-01T00:00:00Z"}"#,
                "expiresAt"
            ),
            (#"{"purposes": {"collect": "y"}, "source": "nowhere"}"#, "source"),
            (#"{"purposes": {"collect": "y"}, "identity": "email:someone@else.com"}"#, "identity"),
            (#"{"purposes": {"collect": "y"}, "colour": "blue"}"#, "colour"),
        ])
    func validation(body: String, field: String) async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.identify("u-1", at: Timestamp.now(), traits: ["email": "one@example.com"], emailConsent: nil)
        let answer = try await server.send("PUT", "/v1/profiles/userId/u-1/consent", body: body, auth: .admin)
        #expect(answer.status == 400 && answer.json["error"]?["field"]?.stringValue == field, "\(answer.text)")
    }

    @Test("answers for one identity are kept apart and masked for readers without profiles:read-pii; reads are audited")
    func identityAnswers() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.identify("u-1", at: Timestamp.now(), traits: ["email": "one@example.com"], emailConsent: nil)
        let put = try await server.send(
            "PUT", "/v1/profiles/userId/u-1/consent",
            body: #"{"purposes": {"marketing.email": "y"}, "identity": "email:One@Example.com"}"#, auth: .admin)
        #expect(put.json["identities"]?["email:one@example.com"]?["marketing.email"]?["value"] == "y", "\(put.text)")
        #expect(put.json["consent"]?["marketing.email"] == nil)

        let writer = try await server.createToken("privacy", scopes: ["privacy:write"])
        let reader = try await server.createToken("reader", scopes: ["profiles:read"])
        let masked = try await server.get("/v1/profiles/userId/u-1/consent", token: reader.secret)
        #expect(masked.status == 200 && masked.json["identities"]?["email:o***@example.com"] != nil, "\(masked.text)")
        #expect(!masked.text.contains("one@example.com"))
        #expect(try await server.get("/v1/profiles/userId/u-1/consent", token: writer.secret).status == 403)
        let refused = try await server.send(
            "PUT", "/v1/profiles/userId/u-1/consent", body: #"{"purposes": {"collect": "n"}}"#, auth: .none,
            headers: [("Authorization", "Bearer \(reader.secret)")])
        #expect(refused.status == 403 && refused.json["error"]?["scope"] == "privacy:write")
        let allowed = try await server.send(
            "PUT", "/v1/profiles/userId/u-1/consent", body: #"{"purposes": {"collect": "y"}}"#, auth: .none,
            headers: [("Authorization", "Bearer \(writer.secret)")])
        #expect(allowed.status == 200)

        var entries: [JSONValue] = []
        func both() -> Bool {
            entries.contains { $0["tokenId"]?.stringValue == reader.id }
                && entries.contains { $0["tokenId"]?.stringValue == writer.id }
        }
        for _ in 0..<50 where !both() {
            try await Task.sleep(for: .milliseconds(100))
            entries = try await server.send("GET", "/v1/audit", auth: .admin).json["entries"]?.arrayValue ?? []
        }
        let read = entries.first { $0["tokenId"]?.stringValue == reader.id }
        #expect(read?["route"] == "/v1/profiles/{namespace}/{value}/consent" && read?["action"] == "read")
        #expect(entries.contains { $0["tokenId"]?.stringValue == writer.id && $0["action"] == "write" })
    }
}
