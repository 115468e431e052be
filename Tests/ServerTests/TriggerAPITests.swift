import Activation
import Foundation
import JSONParsing
import TesseraCore
import TesseraTesting
import Testing

/// Real-time triggers through the real API: the airport voucher (a `Location Updated` event in the
/// duty-free zone for a member of `Travellers`), an audience-exit trigger, and the rules' checks.
@Suite struct TriggerAPITests {
    /// A server with a webhook destination that sends at once, and the `Travellers` audience.
    private struct Airport {
        let server: RunningServer
        let receiver: WebhookReceiver
        let destinationID: Int64

        init() async throws {
            receiver = try WebhookReceiver()
            server = try await RunningServer()
            let destination: JSONValue = [
                "name": "voucher-hook", "kind": "webhook", "url": .string("http://127.0.0.1:\(receiver.port)/hook"),
                "marketingActions": ["onsite-personalization"], "batchSize": 1, "lingerMs": 0,
                "mapping": [
                    ["field": "email", "path": "identities.email"], ["field": "event", "path": "event"],
                    ["field": "audience", "path": "audience"],
                ],
            ]
            let created = try await server.send("POST", "/v1/destinations", body: destination.serialized, auth: .admin)
            destinationID = try #require(created.json["id"]?.intValue)
            let rule = #"attribute traveller = true or did \"Location Updated\" where properties.terminal exists"#
            let audience = try await server.send(
                "POST", "/v1/audiences", body: #"{"name": "Travellers", "rule": "\#(rule)"}"#, auth: .admin)
            #expect(audience.status == 201, "\(audience.text)")
        }

        func trigger(_ body: JSONValue) async throws -> RunningServer.Answer {
            var members = body.objectValue ?? [:]
            members["destinationId"] = .int(destinationID)
            return try await server.send(
                "POST", "/v1/triggers", body: JSONValue.object(members).serialized, auth: .admin)
        }

        /// The deliveries the outbox holds for the destination; written with the record, so complete
        /// as soon as the record is acknowledged.
        func queued() async throws -> [JSONValue] {
            let page = try await server.send("GET", "/v1/destinations/\(destinationID)/deliveries", auth: .admin)
            return page.json["deliveries"]?.arrayValue ?? []
        }

        func finish() {
            server.finish()
            receiver.stop()
        }
    }

    @Test("a duty-free location of a traveller reaches the webhook with the mapped profile; others do not")
    func dutyFreeVoucher() async throws {
        let airport = try await Airport()
        defer { airport.finish() }
        let server = airport.server
        let now = Timestamp.now()
        try await server.identify(
            "u-1", at: now, traits: ["email": "one@example.com", "traveller": true], emailConsent: nil)
        try await server.identify("u-2", at: now, traits: ["email": "two@example.com"], emailConsent: nil)
        try await server.identify("u-3", at: now, traits: ["email": "three@example.com"], emailConsent: nil)
        let created = try await airport.trigger([
            "name": "duty-free-voucher", "event": #"did "Location Updated" where properties.zone = "duty-free""#,
            "condition": #"in audience "Travellers""#,
        ])
        #expect(created.status == 201, "\(created.text)")
        #expect(created.json["on"] == "event" && created.json["condition"] == #"in audience "Travellers""#)

        try await server.track("u-2", "Location Updated", at: now, properties: ["zone": "duty-free"])
        try await server.track("u-1", "Location Updated", at: now, properties: ["zone": "gate-12"])
        try await server.track("u-1", "Product Viewed", at: now, properties: ["zone": "duty-free"])
        #expect(try await airport.queued().isEmpty, "a non-member, another zone and another event fire nothing")

        try await server.track("u-1", "Location Updated", at: now, properties: ["zone": "duty-free"])
        // This record makes u-3 a traveller: the condition sees the membership after it.
        try await server.track("u-3", "Location Updated", at: now, properties: ["zone": "duty-free", "terminal": "T2"])
        let queued = try await airport.queued()
        #expect(queued.count == 2 && queued.allSatisfy { $0["reason"] == "trigger: duty-free-voucher" })

        let requests = try await airport.receiver.waitFor(count: 2)
        let records = requests.flatMap { (try? JSONValue(parsing: $0.body))?.arrayValue ?? [] }
        #expect(
            Set(records.compactMap { $0["data"]?["email"]?.stringValue }) == ["one@example.com", "three@example.com"])
        #expect(
            records.allSatisfy {
                $0["data"]?["event"] == "Location Updated" && $0["reason"] == "trigger: duty-free-voucher"
            })
        #expect(Set(records.compactMap { $0["idempotencyKey"]?.stringValue }).count == 2)
    }

    @Test("a trigger whose event reads a field a policy forbids for the destination's action is skipped")
    func policyOnTheTriggersRule() async throws {
        let airport = try await Airport()
        defer { airport.finish() }
        let server = airport.server
        let now = Timestamp.now()
        try await server.identify("u-1", at: now, traits: ["email": "one@example.com"], emailConsent: nil)
        let labels = #"{"fields": {"events.properties.zone": ["S1"]}}"#
        #expect(try await server.send("PUT", "/v1/labels", body: labels, auth: .admin).status == 200)
        let policy = #"{"name": "no-zone-personalization", "action": "onsite-personalization", "deny": "S1"}"#
        #expect(try await server.send("POST", "/v1/policies", body: policy, auth: .admin).status == 201)
        let created = try await airport.trigger([
            "name": "zone-offer", "event": #"did "Location Updated" where properties.zone = "duty-free""#,
        ])
        let triggerID = try #require(created.json["id"]?.intValue)

        try await server.track("u-1", "Location Updated", at: now, properties: ["zone": "duty-free"])
        let skipped = try await server.deliveries(of: airport.destinationID, state: "skipped")
        #expect(skipped.count == 1 && skipped.first?["triggerId"]?.intValue == triggerID)
        #expect(skipped.first?["detail"] == "policy:no-zone-personalization", "\(skipped)")
        #expect(airport.receiver.received.isEmpty)
    }

    @Test("leaving an audience fires an audience-exit trigger once, with the profile as it left")
    func audienceExit() async throws {
        let airport = try await Airport()
        defer { airport.finish() }
        let server = airport.server
        let now = Timestamp.now()
        let created = try await airport.trigger([
            "name": "welcome-home", "on": "audience_exited", "audience": "Travellers", "condition": "has email",
        ])
        #expect(created.status == 201, "\(created.text)")
        try await server.identify(
            "u-1", at: now, traits: ["email": "one@example.com", "traveller": true], emailConsent: nil)
        #expect(try await airport.queued().isEmpty, "entering is not leaving")

        try await server.identify(
            "u-1", at: now.adding(milliseconds: 1), traits: ["traveller": false], emailConsent: nil)
        let requests = try await airport.receiver.waitFor(count: 1)
        let record = try #require(requests.first.flatMap { try? JSONValue(parsing: $0.body) }?[0])
        #expect(record["reason"] == "trigger: welcome-home")
        #expect(record["data"]?["email"] == "one@example.com" && record["data"]?["audience"] == "Travellers")
        try await server.identify("u-1", at: now.adding(milliseconds: 2), traits: ["city": "Leeds"], emailConsent: nil)
        #expect(try await airport.queued().count == 1)
    }

    @Test(
        "a trigger that breaks a rule is refused, naming the field",
        arguments: [
            (#"{"name": "t", "event": "did \"A\" at least 2 times"}"#, 400, "event"),
            (#"{"name": "t", "event": "attribute a = 1"}"#, 400, "event"),
            (#"{"name": "t", "event": "did \"A\" within 7 days"}"#, 400, "event"),
            (#"{"name": "t", "event": "did \"A\"", "condition": "did \"B\""}"#, 400, "condition"),
            (#"{"name": "t", "event": "did \"A\"", "condition": "in audience \"Nobody\""}"#, 400, "audience"),
            (#"{"name": "t", "on": "audience_left", "audience": "Travellers"}"#, 400, "on"),
            (#"{"name": "t", "event": "did ("}"#, 400, "event"),
            (#"{"name": "", "event": "did \"A\""}"#, 400, "name"),
        ])
    func refused(body: String, status: Int, field: String) async throws {
        let airport = try await Airport()
        defer { airport.finish() }
        let answer = try await airport.trigger(try JSONValue(parsing: Array(body.utf8)))
        #expect(answer.status == status && answer.json["error"]?["field"] == .string(field), "\(answer.text)")
    }

    @Test("triggers are listed, read, kept unique by name and deleted")
    func lifecycle() async throws {
        let airport = try await Airport()
        defer { airport.finish() }
        let server = airport.server
        let body: JSONValue = ["name": "t", "event": #"did "A""#]
        let created = try await airport.trigger(body)
        let id = try #require(created.json["id"]?.intValue)
        #expect(try await airport.trigger(body).status == 409)
        var missing = body.objectValue ?? [:]
        missing["name"] = "u"
        missing["destinationId"] = 999
        let unknown = try await server.send(
            "POST", "/v1/triggers", body: JSONValue.object(missing).serialized, auth: .admin)
        #expect(unknown.status == 404 && unknown.json["error"]?["field"] == "destinationId")
        #expect(try await server.send("GET", "/v1/triggers", auth: .admin).json["triggers"]?.arrayValue?.count == 1)
        #expect(try await server.send("GET", "/v1/triggers/\(id)", auth: .admin).json["event"] == #"did "A""#)
        #expect(try await server.send("GET", "/v1/triggers", auth: .none).status == 401)
        #expect(try await server.send("DELETE", "/v1/triggers/\(id)", auth: .admin).status == 200)
        #expect(try await server.send("DELETE", "/v1/triggers/\(id)", auth: .admin).status == 404)
        #expect(try await server.send("GET", "/v1/triggers/\(id)", auth: .admin).status == 404)
    }
}

/// A trigger to a NATS JetStream destination through the API: the delivery becomes one message on
/// the subject, with the delivery's idempotency key as its JetStream message id.
@Suite struct NATSTriggerAPITests {
    @Test("a trigger publishes the mapped profile to a JetStream subject, keyed by its idempotency key")
    func triggerToStream() async throws {
        let nats = try await blocking { try NATSServer() }
        defer { nats.stop() }
        let consumer = try await blocking {
            let client = try NATSClient(url: nats.url, timeoutMilliseconds: 2_000)
            try client.addStream(named: "ACTIVATION", subjects: ["tessera.>"])
            return try client.pullConsumer(subject: "tessera.offers", durable: "reader")
        }
        let server = try await RunningServer()
        defer { server.finish() }
        let destination: JSONValue = [
            "name": "offers-stream", "kind": "nats", "url": .string(nats.url), "subject": "tessera.offers",
            "marketingActions": ["onsite-personalization"], "lingerMs": 0,
            "mapping": [["field": "email", "path": "identities.email"], ["field": "event", "path": "event"]],
        ]
        let created = try await server.send("POST", "/v1/destinations", body: destination.serialized, auth: .admin)
        #expect(created.status == 201 && created.json["subject"] == "tessera.offers", "\(created.text)")
        let trigger: JSONValue = [
            "name": "checkout", "destinationId": created.json["id"] ?? .null, "event": #"did "Order Completed""#,
        ]
        #expect(try await server.send("POST", "/v1/triggers", body: trigger.serialized, auth: .admin).status == 201)
        try await server.identify("u-1", at: .now(), traits: ["email": "one@example.com"], emailConsent: nil)
        try await server.track("u-1", "Order Completed", at: .now(), properties: ["total": 20])

        var messages: [NATSClient.Message] = []
        for _ in 0..<25 where messages.isEmpty {
            messages = try await blocking { try consumer.fetch(count: 10, timeoutMilliseconds: 200) }
        }
        let message = try #require(messages.first)
        let envelope = try JSONValue(parsing: message.data)
        #expect(messages.count == 1 && message.messageID == envelope["idempotencyKey"]?.stringValue)
        #expect(envelope["reason"] == "trigger: checkout" && envelope["data"]?["email"] == "one@example.com")
        #expect(envelope["data"]?["event"] == "Order Completed")
    }
}
