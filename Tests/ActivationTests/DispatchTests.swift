@testable import Activation
import Testing
import TesseraCore
import TesseraTesting

/// Batching, pacing, the breaker and the filter, driven pass by pass with a manual clock.
@Suite(.timeLimit(.minutes(1))) struct DispatchTests {
    @Test("batches by N: full batches go at once, the remainder after the linger time")
    func batchesBySize() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let clock = ManualClock()
        let fixture = try await Fixture(clock: clock)
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url) {
            $0.batchSize = 4
            $0.lingerMilliseconds = 60_000
            $0.concurrency = 4
        }.destination
        let keys = try await fixture.enqueue(10, to: destination.id)
        let engine = fixture.engine()
        try await engine.recover()
        #expect(try await engine.dispatchDue() == 2)
        await engine.waitUntilIdle()
        #expect(receiver.requests.map { (try? JSONValue(parsing: $0.body))?.arrayValue?.count } == [4, 4])
        #expect(try fixture.outbox.counts()[.pending] == 2)

        clock.advance(milliseconds: 59_999)
        #expect(try await engine.dispatchDue() == 0)
        clock.advance(milliseconds: 1)
        #expect(try await engine.dispatchDue() == 1)
        await engine.waitUntilIdle()
        await engine.stop()
        #expect(receiver.requests.count == 3)
        #expect(receiver.envelopes.compactMap { $0["idempotencyKey"]?.stringValue }.sorted() == keys.sorted())
        let batchKeys = receiver.requests.compactMap { $0.headers["idempotency-key"] }
        #expect(batchKeys.allSatisfy { $0.hasPrefix("batch-") })
        #expect(Set(batchKeys).count == 3)
        #expect(try fixture.outbox.counts()[.delivered] == 10)
    }

    @Test("batches by T: a trickle waits for the linger time, then goes as one request")
    func batchesByLinger() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let clock = ManualClock()
        let fixture = try await Fixture(clock: clock)
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url) {
            $0.batchSize = 100
            $0.lingerMilliseconds = 1_000
        }.destination
        let engine = fixture.engine()
        try await engine.recover()
        try await fixture.enqueue(2, to: destination.id)
        clock.advance(milliseconds: 600)
        try await fixture.enqueue(1, to: destination.id, startingAt: 2)
        #expect(try await engine.dispatchDue() == 0)
        clock.advance(milliseconds: 399)
        #expect(try await engine.dispatchDue() == 0)
        clock.advance(milliseconds: 1)
        #expect(try await engine.dispatchDue() == 1, "the oldest delivery has lingered 1 s")
        await engine.waitUntilIdle()
        await engine.stop()
        #expect(receiver.requests.count == 1)
        #expect(receiver.envelopes.count == 3)
    }

    @Test("never has more requests in flight than the destination's concurrency")
    func concurrencyLimit() async throws {
        let receiver = try Receiver(fallback: .delayed(milliseconds: 150, status: 200))
        defer { receiver.stop() }
        let clock = ManualClock()
        let fixture = try await Fixture(clock: clock)
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url) { $0.concurrency = 2 }.destination
        try await fixture.enqueue(5, to: destination.id)
        let engine = fixture.engine()
        try await engine.recover()
        #expect(try await engine.dispatchDue() == 2)
        #expect(try await engine.dispatchDue() == 0, "both slots are taken")
        await engine.waitUntilIdle()
        #expect(try await engine.dispatchDue() == 2)
        await engine.waitUntilIdle()
        #expect(try await engine.dispatchDue() == 1)
        await engine.waitUntilIdle()
        await engine.stop()
        #expect(try fixture.outbox.counts()[.delivered] == 5)
    }

    @Test("starts no more requests per second than the rate limit")
    func rateLimit() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let clock = ManualClock()
        let fixture = try await Fixture(clock: clock)
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url) {
            $0.concurrency = 10
            $0.rateLimitPerSecond = 2
        }.destination
        try await fixture.enqueue(5, to: destination.id)
        let engine = fixture.engine()
        try await engine.recover()
        #expect(try await engine.dispatchDue() == 2)
        await engine.waitUntilIdle()
        #expect(try await engine.dispatchDue() == 0)
        clock.advance(milliseconds: 500)
        #expect(try await engine.dispatchDue() == 1)
        clock.advance(milliseconds: 1_000)
        #expect(try await engine.dispatchDue() == 2)
        await engine.waitUntilIdle()
        await engine.stop()
        #expect(receiver.requests.count == 5)
    }

    @Test("the breaker stops requests after K failures and lets one probe through after the cool-down")
    func breaker() async throws {
        let receiver = try Receiver(fallback: .status(500, "down"))
        defer { receiver.stop() }
        let clock = ManualClock()
        let fixture = try await Fixture(clock: clock)
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url) { $0.concurrency = 1 }.destination
        try await fixture.enqueue(3, to: destination.id)
        let engine = fixture.engine(
            retry: RetryPolicy(maxAttempts: 100, baseDelayMilliseconds: 0, maxDelayMilliseconds: 0),
            breaker: .init(failureThreshold: 2, coolDownMilliseconds: 1_000))
        try await engine.recover()
        for _ in 0..<2 {
            #expect(try await engine.dispatchDue() == 1)
            await engine.waitUntilIdle()
        }
        #expect(try await engine.dispatchDue() == 0, "the breaker is open")
        clock.advance(milliseconds: 999)
        #expect(try await engine.dispatchDue() == 0)
        clock.advance(milliseconds: 1)
        receiver.answerFromNowOn(.status(200, "ok"))
        #expect(try await engine.dispatchDue() == 1, "one probe")
        await engine.waitUntilIdle()
        #expect(try await engine.dispatchDue() == 1, "closed again")
        await engine.waitUntilIdle()
        #expect(try await engine.dispatchDue() == 1)
        await engine.waitUntilIdle()
        await engine.stop()
        #expect(receiver.requests.count == 5)
        #expect(try fixture.outbox.counts()[.delivered] == 3)
    }

    @Test("a delivery filter skips deliveries with a reason counted per destination")
    func filterSkips() async throws {
        struct EvenProfilesOnly: DeliveryFilter {
            func skipReason(for delivery: Delivery, to destination: Destination) -> String? {
                (delivery.profileID ?? 0) % 2 == 0 ? nil : "no_consent:marketing"
            }
        }
        let receiver = try Receiver()
        defer { receiver.stop() }
        let clock = ManualClock()
        let fixture = try await Fixture(clock: clock)
        defer { fixture.remove() }
        let destination = try await fixture.webhook(receiver.url) { $0.batchSize = 10 }.destination
        try await fixture.enqueue(4, to: destination.id)
        clock.advance(milliseconds: 5_000)
        let engine = fixture.engine(filter: EvenProfilesOnly())
        try await engine.recover()
        #expect(try await engine.dispatchDue() == 1)
        await engine.waitUntilIdle()
        await engine.stop()
        #expect(receiver.envelopes.compactMap { $0["profileId"]?.intValue } == [0, 2])
        let skipped = try fixture.outbox.deliveries(state: .skipped)
        #expect(skipped.map(\.profileID) == [1, 3])
        #expect(skipped.allSatisfy { $0.status.detail == "no_consent:marketing" })
        #expect(engine.metrics.skipped.value(labels: [destination.name, "no_consent:marketing"]) == 2)
    }
}
