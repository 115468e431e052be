import Activation
import Foundation
import HTTPServer
import JSONParsing
import Synchronization
import TesseraCore
import TesseraTesting
import Testing

/// An audience sent to a webhook through the real API: members are queued when the audience is
/// activated and as they enter, the payload is mapped and signed, and profiles without the
/// destination's required consent are skipped, never sent.
@Suite struct ActivationAPITests {
    @Test("activating an audience delivers its members to a signed webhook, honouring consent")
    func audienceToWebhook() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let server = try await RunningServer()
        defer { server.finish() }
        let now = Timestamp.now()
        try await server.identify(
            "u-1", at: now, traits: ["email": "one@example.com", "tier": "gold"], emailConsent: true)
        try await server.identify(
            "u-2", at: now, traits: ["email": "two@example.com", "tier": "gold"], emailConsent: nil)

        let destination: JSONValue = [
            "name": "crm-hook", "kind": "webhook", "url": .string("http://127.0.0.1:\(receiver.port)/hook"),
            "marketingActions": ["email-targeting"], "requiredConsent": ["marketing.email"],
            "mapping": [
                ["field": "email", "path": "identities.email"], ["field": "tier", "path": "attributes.tier"],
                ["field": "audience", "path": "audience"],
            ],
            "batchSize": 1, "lingerMs": 0,
        ]
        let created = try await server.send("POST", "/v1/destinations", body: destination.serialized, auth: .admin)
        #expect(created.status == 201, "\(created.text)")
        let destinationID = try #require(created.json["id"]?.intValue)
        let secret = try #require(created.json["secret"]?.stringValue)
        let audience = try await server.send(
            "POST", "/v1/audiences", body: #"{"name": "Gold", "rule": "attribute tier = \"gold\""}"#, auth: .admin)
        let audienceID = try #require(audience.json["id"]?.intValue)

        let activation = try await server.send(
            "POST", "/v1/audiences/\(audienceID)/activations", body: #"{"destinationId": \#(destinationID)}"#,
            auth: .admin)
        #expect(activation.status == 201 && activation.json["queued"] == 2, "\(activation.text)")
        try await server.identify(
            "u-3", at: now, traits: ["email": "three@example.com", "tier": "gold"], emailConsent: true)

        let requests = try await receiver.waitFor(count: 2)
        let payloads = requests.compactMap { try? JSONValue(parsing: $0.body) }
        let emails = Set(payloads.flatMap { $0.arrayValue ?? [] }.compactMap { $0["data"]?["email"]?.stringValue })
        #expect(emails == ["one@example.com", "three@example.com"])
        #expect(payloads.first?[0]?["data"]?["audience"] == "Gold" && payloads.first?[0]?["data"]?["tier"] == "gold")
        for request in requests {
            let signature = try #require(request.headers["x-tessera-signature"])
            #expect(WebhookSignature.verify(body: request.body, secret: secret, headerValue: signature))
            #expect(request.headers["idempotency-key"] != nil)
        }

        let skipped = try await server.deliveries(of: destinationID, state: "skipped")
        let all = try await server.send("GET", "/v1/destinations/\(destinationID)/deliveries", auth: .admin)
        #expect(
            skipped.count == 1 && skipped.first?["detail"] == "consent:marketing.email", "u-2 never agreed: \(all.text)"
        )
        let listed = try await server.send("GET", "/v1/audiences/\(audienceID)/activations", auth: .admin)
        #expect(listed.json["activations"]?.arrayValue?.count == 1)
        let invalid = try await server.send(
            "POST", "/v1/destinations", body: #"{"name": "x", "kind": "fax"}"#, auth: .admin)
        #expect(invalid.status == 400 && invalid.json["error"]?["field"] == "kind")
    }
}

extension RunningServer {
    /// Sends one identify call, with Segment email consent when `emailConsent` is set.
    func identify(_ userID: String, at time: Timestamp, traits: JSONValue, emailConsent: Bool?) async throws {
        var body: [String: JSONValue] = [
            "userId": .string(userID), "traits": traits, "timestamp": .string(time.iso8601),
        ]
        if let emailConsent {
            body["context"] = ["consent": ["categoryPreferences": ["Email": .bool(emailConsent)]]]
        }
        let answer = try await send("POST", "/v1/identify", body: JSONValue.object(body).serialized)
        #expect(answer.status == 200, "\(answer.text)")
    }
}

/// A webhook receiver on loopback that records every request and answers `status` (200 by default).
final class WebhookReceiver: Sendable {
    private final class Log: Sendable {
        let requests = Mutex<[HTTPRequest]>([])
    }

    private let log = Log()
    private let server: HTTPServer

    init(status: Int = 200) throws {
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        configuration.threads = 1
        let log = self.log
        server = HTTPServer(configuration: configuration, logger: Logger(label: "receiver", level: .critical)) {
            request, responder in
            log.requests.withLock { $0.append(request) }
            responder.respond(HTTPResponse(status: status, body: Array(#"{"ok":true}"#.utf8)))
        }
        try server.start()
    }

    var port: Int { server.port }

    func stop() { server.stop() }

    /// The requests received so far.
    var received: [HTTPRequest] { log.requests.withLock { $0 } }

    /// The requests received, once there are at least `count` (waiting up to ten seconds).
    func waitFor(count: Int) async throws -> [HTTPRequest] {
        for _ in 0..<200 {
            let received = log.requests.withLock { $0 }
            if received.count >= count { return received }
            try await Task.sleep(for: .milliseconds(50))
        }
        return log.requests.withLock { $0 }
    }
}
