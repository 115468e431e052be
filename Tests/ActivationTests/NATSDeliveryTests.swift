@testable import Activation
import Foundation
import JSONParsing
import TesseraCore
import TesseraTesting
import Testing

/// NATS destinations against a real nats-server with JetStream: deliveries are published with their
/// idempotency key as the message id, read back by a JetStream consumer, and sent again without
/// duplicates after a restart.
@Suite(.timeLimit(.minutes(1))) struct NATSDeliveryTests {
    @Test("deliveries reach a JetStream consumer, one message each, keyed by their idempotency keys")
    func publishAndConsume() async throws {
        let nats = try await blocking { try NATSServer() }
        defer { nats.stop() }
        let consumer = try await blocking {
            let client = try NATSClient(url: nats.url, timeoutMilliseconds: 2_000)
            try client.addStream(named: "ACTIVATION", subjects: ["tessera.>"])
            return try client.pullConsumer(subject: "tessera.crm", durable: "reader")
        }
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let destination = try await natsDestination(fixture, url: nats.url, batchSize: 10)
        let keys = try await fixture.enqueue(25, to: destination.id)

        let engine = fixture.engine()
        try await engine.start()
        let delivered = try await fixture.eventually { try fixture.outbox.counts()[.delivered] == 25 }
        await engine.stop()
        #expect(delivered)

        var messages: [NATSClient.Message] = []
        for _ in 0..<20 where messages.count < 25 {
            messages += try await blocking { try consumer.fetch(count: 25, timeoutMilliseconds: 200) }
        }
        // Batches go out two at a time, so only the set of messages is fixed, not their order.
        #expect(messages.count == 25 && Set(messages.compactMap(\.messageID)) == Set(keys))
        let first = try JSONValue(parsing: try #require(messages.first { $0.messageID == keys[0] }).data)
        #expect(first["idempotencyKey"] == .string(keys[0]) && first["data"]?["email"] == "person0@example.com")
        #expect(first["reason"] == "audience entered: vip")
    }

    @Test("publishing the same deliveries again is dropped by JetStream as duplicates")
    func duplicatesDropped() async throws {
        let nats = try await blocking { try NATSServer() }
        defer { nats.stop() }
        let (duplicates, read) = try await blocking {
            let client = try NATSClient(url: nats.url, timeoutMilliseconds: 2_000)
            try client.addStream(named: "ACTIVATION", subjects: ["tessera.>"])
            let consumer = try client.pullConsumer(subject: "tessera.crm", durable: "reader")
            let duplicates = [
                try client.publish(Array("a".utf8), to: "tessera.crm", messageID: "k-1"),
                try client.publish(Array("a".utf8), to: "tessera.crm", messageID: "k-1"),
                try client.publish(Array("b".utf8), to: "tessera.crm", messageID: "k-2"),
            ]
            return (duplicates, try consumer.fetch(count: 10, timeoutMilliseconds: 300))
        }
        #expect(duplicates == [false, true, false])
        #expect(read.map(\.messageID) == ["k-1", "k-2"])
    }

    @Test("a subject no stream listens on is retried, not lost, until a stream appears")
    func noStreamRetried() async throws {
        let nats = try await blocking { try NATSServer() }
        defer { nats.stop() }
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let destination = try await natsDestination(fixture, url: nats.url, batchSize: 1)
        try await fixture.enqueue(1, to: destination.id)
        let engine = fixture.engine()
        try await engine.start()
        let retried = try await fixture.eventually {
            try fixture.outbox.deliveries().first.map { $0.status.attempts >= 2 && $0.status.detail == "no_stream" }
                ?? false
        }
        try await blocking {
            try NATSClient(url: nats.url, timeoutMilliseconds: 2_000).addStream(named: "LATE", subjects: ["tessera.>"])
        }
        let delivered = try await fixture.eventually { try fixture.outbox.counts()[.delivered] == 1 }
        await engine.stop()
        #expect(retried && delivered)
    }

    @Test(
        "NATS settings are checked",
        arguments: [
            ("http://127.0.0.1:4222", "tessera.crm", "url"), ("nats://127.0.0.1:4222", "tessera.*", "subject"),
            ("nats://127.0.0.1:4222", "tessera..crm", "subject"), ("nats://127.0.0.1:4222", "a b", "subject"),
        ])
    func settingsChecked(url: String, subject: String, field: String) throws {
        let settings = DestinationSettings(
            name: "stream", target: .nats(url: url, subject: subject), marketingActions: ["analytics"],
            mapping: try PayloadMapping(["email": "identities.email"]))
        #expect(throws: ActivationError.self) { try settings.validate() }
        do {
            try settings.validate()
        } catch {
            #expect(error.field == field)
        }
        let json = DestinationSettings(
            name: "stream", target: .nats(url: "nats://h:1", subject: "a.b"), marketingActions: ["analytics"],
            mapping: try PayloadMapping(["email": "identities.email"])
        ).json
        #expect(try DestinationSettings(json: json).target == .nats(url: "nats://h:1", subject: "a.b"))
    }

    private func natsDestination(_ fixture: Fixture, url: String, batchSize: Int) async throws -> Destination {
        var settings = DestinationSettings(
            name: "stream", target: .nats(url: url, subject: "tessera.crm"), marketingActions: ["analytics"],
            mapping: try PayloadMapping(["email": "identities.email"]))
        settings.batchSize = batchSize
        settings.lingerMilliseconds = 0
        settings.timeoutMilliseconds = 500
        return try await fixture.destinations.create(settings).destination
    }
}
