@testable import Activation
import Foundation
import Testing
import TesseraCore

/// The delivery engine against a real receiver on 127.0.0.1, with a running delivery loop.
@Suite(.timeLimit(.minutes(1))) struct WebhookDeliveryTests {
    @Test("retries after 500, 429 and a hung request, then delivers with the same idempotency key")
    func retriesThenSuccess() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        receiver.script(.status(500, "down"), .status(429, "slow down"), .hang)
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url) { $0.timeoutMilliseconds = 300 }.destination
        try await fixture.enqueue(1, to: destination.id)
        let metrics = MetricsRegistry()
        let engine = fixture.engine(metrics: metrics)
        try await engine.start()
        let delivered = try await fixture.eventually { try fixture.outbox.counts()[.delivered] == 1 }
        await engine.stop()

        #expect(delivered)
        let delivery = try #require(try fixture.outbox.deliveries().first)
        #expect(delivery.status.attempts == 4)
        #expect(delivery.lastStatus == 200)
        #expect(delivery.sentAt != nil)
        let keys = receiver.requests.map { $0.headers["idempotency-key"] }
        #expect(keys == Array(repeating: "key-\(destination.id)-0", count: 4))
        let outcomes = ["5xx", "4xx", "timeout", "2xx"].map {
            engine.metrics.requests.value(labels: [destination.name, $0])
        }
        #expect(outcomes == [1, 1, 1, 1])
        #expect(metrics.render().contains("tessera_activation_requests_total"))
    }

    @Test("a 400 makes the delivery dead with the response kept; replay sends it again")
    func deadThenReplay() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        receiver.script(.status(400, "{\"error\":\"email is malformed\"}"))
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url).destination
        try await fixture.enqueue(1, to: destination.id)
        let engine = fixture.engine()
        try await engine.start()
        #expect(try await fixture.eventually { try fixture.outbox.counts()[.dead] == 1 })
        let dead = try #require(try fixture.outbox.deliveries(state: .dead).first)
        #expect(dead.lastStatus == 400)
        #expect(dead.lastResponse == Array("{\"error\":\"email is malformed\"}".utf8))
        #expect(dead.status.detail == "rejected")
        #expect(dead.status.attempts == 1)
        #expect(receiver.requests.count == 1, "a refused delivery is not retried")

        let replayed = try await engine.replay(id: dead.id)
        #expect(replayed.status.state == .pending)
        #expect(try await fixture.eventually { try fixture.outbox.counts()[.delivered] == 1 })
        await engine.stop()
        let delivered = try #require(try fixture.outbox.delivery(id: dead.id))
        #expect(delivered.status.attempts == 1, "replay starts counting attempts afresh")
        #expect(receiver.requests.count == 2)
    }

    @Test("gives up after the last attempt when the receiver keeps failing")
    func exhaustsAttempts() async throws {
        let receiver = try Receiver(fallback: .status(503, "maintenance"))
        defer { receiver.stop() }
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url).destination
        try await fixture.enqueue(1, to: destination.id)
        let engine = fixture.engine(
            retry: RetryPolicy(maxAttempts: 3, baseDelayMilliseconds: 5, maxDelayMilliseconds: 20))
        try await engine.start()
        #expect(try await fixture.eventually { try fixture.outbox.counts()[.dead] == 1 })
        await engine.stop()
        let dead = try #require(try fixture.outbox.deliveries().first)
        #expect(dead.status.detail == "attempts_exhausted")
        #expect(dead.status.attempts == 3)
        #expect(dead.lastResponse == Array("maintenance".utf8))
        #expect(receiver.requests.count == 3)
    }

    @Test("a refused connection is retried like a timeout")
    func connectionRefused() async throws {
        let receiver = try Receiver()
        let closedURL = receiver.url
        receiver.stop()
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let destination = try await fixture.webhook(closedURL).destination
        try await fixture.enqueue(1, to: destination.id)
        let engine = fixture.engine(
            retry: RetryPolicy(maxAttempts: 2, baseDelayMilliseconds: 5, maxDelayMilliseconds: 5))
        try await engine.start()
        #expect(try await fixture.eventually { try fixture.outbox.counts()[.dead] == 1 })
        await engine.stop()
        let dead = try #require(try fixture.outbox.deliveries().first)
        #expect(dead.status.detail == "attempts_exhausted")
        #expect(dead.lastStatus == nil)
        #expect(engine.metrics.requests.value(labels: [destination.name, "connect_failed"]) == 2)
    }

    @Test("signs the exact body with the destination's secret and sends the mapped payload in envelopes")
    func signatureAndPayload() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let created = try await fixture.webhook(receiver.url) {
            $0.mapping = try! PayloadMapping([
                "email": "identities.email", "name": "attributes.firstName", "orders": "computed.orderCount",
                "audience": "audience", "trigger": "event",
            ])
        }
        let mapping = created.destination.settings.mapping
        let input = MappingInput(
            profileID: 77, identities: ["email": ["ada@example.com"]], attributes: ["firstName": "Ada"],
            computed: ["orderCount": 3], audience: "vip")
        let entry = OutboxEntry(
            destinationID: created.destination.id, idempotencyKey: "entered-vip-77",
            reason: OutboxEntry.reason(audienceEntered: "vip"), profileID: 77, payload: mapping.payload(for: input),
            createdAt: fixture.clock.now())
        let outbox = fixture.outbox
        _ = try await fixture.store.transaction { connection in try outbox.enqueue(entry, in: connection) }
        let engine = fixture.engine()
        try await engine.start()
        #expect(try await fixture.eventually { try fixture.outbox.counts()[.delivered] == 1 })
        await engine.stop()

        let request = try #require(receiver.requests.first)
        let signature = try #require(request.headers["x-tessera-signature"])
        #expect(signature.hasPrefix("sha256="))
        #expect(WebhookSignature.verify(body: request.body, secret: created.secret, headerValue: signature))
        #expect(!WebhookSignature.verify(body: request.body, secret: created.secret + "x", headerValue: signature))
        var tampered = request.body
        tampered[tampered.count / 2] ^= 0x01
        #expect(!WebhookSignature.verify(body: tampered, secret: created.secret, headerValue: signature))
        let sentAt = try #require(request.headers["x-tessera-timestamp"].flatMap { Int64($0) })
        #expect(abs(sentAt - Timestamp.now().milliseconds) < 60_000)
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["idempotency-key"] == "entered-vip-77")

        let envelope = try #require(receiver.envelopes.first)
        #expect(envelope["idempotencyKey"] == "entered-vip-77")
        #expect(envelope["reason"] == "audience entered: vip")
        #expect(envelope["profileId"] == 77)
        #expect(
            envelope["data"] == [
                "email": "ada@example.com", "name": "Ada", "orders": 3, "audience": "vip", "trigger": nil,
            ])
    }
}
