@testable import Activation
import Foundation
import JSONParsing
import TesseraCore
import Testing

/// Deliveries sent straight after the commit that wrote them (`deliverFresh`), beside the loop's
/// claims: sent at once without waiting for a poll, never twice, and only for destinations that do
/// not linger.
@Suite(.timeLimit(.minutes(1))) struct FastPathTests {
    /// An engine whose loop polls only once a minute, so that only the fast path can send quickly.
    private func slowPollEngine(_ fixture: Fixture) -> DeliveryEngine {
        var configuration = DeliveryEngine.Configuration()
        configuration.pollIntervalMilliseconds = 60_000
        configuration.logger = Logger(label: "activation", level: .critical)
        return DeliveryEngine(
            outbox: fixture.outbox, destinations: fixture.destinations, transport: HTTPClientTransport(threads: 4),
            configuration: configuration, clock: fixture.clock)
    }

    @Test("fresh deliveries go out at once, recorded as delivered from their waiting state")
    func sentAtOnce() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url) { $0.concurrency = 4 }.destination
        let engine = slowPollEngine(fixture)
        try await engine.start()
        try await Task.sleep(for: .milliseconds(50))  // the loop's first pass is over; next in a minute
        let keys = try await fixture.enqueue(3, to: destination.id)
        engine.deliverFresh(fixture.outbox.takeFresh())
        let delivered = try await fixture.eventually { try fixture.outbox.counts()[.delivered] == 3 }
        await engine.stop()
        #expect(delivered)
        #expect(Set(receiver.requests.compactMap { $0.headers["idempotency-key"] }) == Set(keys))
        #expect(engine.metrics.fastDeliveries.value() == 3)
        #expect(fixture.outbox.takeFresh().isEmpty, "taken once")
    }

    @Test("a destination that lingers keeps batching: fresh deliveries wait for the loop")
    func lingeringWaits() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url) {
            $0.lingerMilliseconds = 5_000
            $0.batchSize = 10
        }.destination
        let engine = slowPollEngine(fixture)
        try await engine.start()
        try await fixture.enqueue(2, to: destination.id)
        engine.deliverFresh(fixture.outbox.takeFresh())
        try await Task.sleep(for: .milliseconds(300))
        await engine.stop()
        #expect(receiver.requests.isEmpty)
        #expect(try fixture.outbox.counts()[.pending] == 2)
    }

    @Test("claims and the fast path racing over the same deliveries send each exactly once")
    func neverTwice() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url) { $0.concurrency = 8 }.destination
        let engine = fixture.engine()
        try await engine.start()
        var keys: [String] = []
        for round in 0..<20 {
            keys += try await fixture.enqueue(10, to: destination.id, startingAt: round * 10)
            engine.deliverFresh(fixture.outbox.takeFresh())
            _ = try await engine.dispatchDue()
        }
        let delivered = try await fixture.eventually { try fixture.outbox.counts()[.delivered] == 200 }
        await engine.stop()
        #expect(delivered)
        let sent = receiver.requests.compactMap { $0.headers["idempotency-key"] }
        #expect(sent.count == 200 && Set(sent) == Set(keys), "\(sent.count) requests for 200 deliveries")
    }
}
