@testable import Activation
import Foundation
import HTTPServer
import Testing
import TesseraCore

/// Delivery throughput against the in-process receiver, and the receiver's own ceiling measured with
/// the same client. Run on demand: `TESSERA_ACTIVATION_THROUGHPUT=1 swift test --filter Throughput`.
@Suite(
    .enabled(if: ProcessInfo.processInfo.environment["TESSERA_ACTIVATION_THROUGHPUT"] != nil),
    .timeLimit(.minutes(5)))
struct ThroughputTests {
    @Test("prints deliveries per second through the engine and requests per second the receiver takes")
    func throughput() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let body = DeliveryEnvelope.body(
            for: (0..<100).map { index in
                Delivery(
                    id: Int64(index), destinationID: 1, idempotencyKey: "key-\(index)", reason: "trigger: t",
                    profileID: Int64(index), payload: Array("{\"email\":\"p\(index)@example.com\"}".utf8),
                    createdAt: .now(), status: DeliveryStatus(state: .inFlight, attempts: 1, nextAttemptAt: .now()),
                    updatedAt: .now())
            })
        let url = try WebhookURL(parsing: receiver.url)
        let perThread = 500
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let client = HTTPClient(host: url.host, port: url.port)
            for _ in 0..<perThread { _ = try? client.send(method: "POST", path: url.target, body: body) }
        }
        let ceiling = Double(4 * perThread) / Date().timeIntervalSince(started)
        print("receiver ceiling: \(Int(ceiling)) requests/s of 100 records (\(Int(ceiling * 100)) records/s)")

        for (batchSize, count) in [(100, 20_000), (1, 2_000)] {
            let fixture = try await Fixture()
            defer { fixture.remove() }
            let destination = try await fixture.webhook(receiver.url, name: "bench-\(batchSize)") {
                $0.batchSize = batchSize
                $0.concurrency = 4
            }.destination
            try await fixture.enqueue(count, to: destination.id)
            let engine = fixture.engine()
            let begin = Date()
            try await engine.start()
            let done = try await fixture.eventually(seconds: 240) {
                try fixture.outbox.counts()[.delivered] == count
            }
            let seconds = Date().timeIntervalSince(begin)
            await engine.stop()
            #expect(done)
            let requests = Double(count / batchSize) / seconds
            print(
                "engine, batch \(batchSize): \(Int(Double(count) / seconds)) deliveries/s, \(Int(requests)) requests/s")
        }
    }
}
