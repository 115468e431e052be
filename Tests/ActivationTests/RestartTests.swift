@testable import Activation
import Foundation
import Storage
import Testing
import TesseraCore
import TesseraTesting

@Suite(.timeLimit(.minutes(1))) struct RestartTests {
    @Test("closing the store mid-delivery loses nothing; after reopening each delivery is sent at most once more")
    func restartMidDelivery() async throws {
        let receiver = try Receiver(fallback: .delayed(milliseconds: 400, status: 200))
        defer { receiver.stop() }
        let directory = try TemporaryDirectory(prefix: "tessera-activation-restart")
        defer { directory.remove() }

        let first = try await Fixture(directory: directory)
        let destination = try await first.webhook(receiver.url) {
            $0.batchSize = 2
            $0.concurrency = 3
        }.destination
        let keys = try await first.enqueue(6, to: destination.id)
        let engine = first.engine()
        try await engine.recover()
        #expect(try await engine.dispatchDue() == 3)
        #expect(try await first.eventually { receiver.requests.count == 3 }, "all three batches reached the receiver")
        first.store.close()
        await engine.waitUntilIdle()
        await engine.stop()
        #expect(engine.metrics.recordFailures.value() == 3, "the answers came after the store closed")

        receiver.answerFromNowOn(.status(200, "ok"))
        let second = try await Fixture(directory: directory)
        defer { second.remove() }
        #expect(try second.outbox.counts()[.inFlight] == 6)
        let restarted = second.engine()
        #expect(try await restarted.start() == 6)
        #expect(try await second.eventually { try second.outbox.counts()[.delivered] == 6 })
        await restarted.stop()

        var seen: [String: Int] = [:]
        for envelope in receiver.envelopes {
            seen[envelope["idempotencyKey"]?.stringValue ?? "", default: 0] += 1
        }
        #expect(Set(seen.keys) == Set(keys), "nothing lost")
        #expect(seen.values.allSatisfy { $0 <= 2 }, "at most one duplicate per delivery")
        let repeatedBatchKeys = Dictionary(grouping: receiver.requests.compactMap { $0.headers["idempotency-key"] }) {
            $0
        }
        #expect(repeatedBatchKeys.values.allSatisfy { $0.count == 2 }, "resent batches repeat their key")
    }
}
