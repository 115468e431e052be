@testable import Activation
import Foundation
import Storage
import TesseraCore
import TesseraTesting

/// A store in a temporary directory with the activation tables, and helpers to run an engine on it.
final class Fixture: Sendable {
    let directory: TemporaryDirectory
    let store: Store
    let destinations: DestinationStore
    let outbox: Outbox
    let clock: any WallClock

    init(clock: any WallClock = SystemClock(), directory: TemporaryDirectory? = nil) async throws {
        self.directory = try directory ?? TemporaryDirectory(prefix: "tessera-activation")
        var configuration = Store.Configuration()
        configuration.synchronous = .normal
        configuration.logger = Logger(label: "store", level: .critical)
        store = try Store(directory: self.directory.path, configuration: configuration, clock: clock)
        destinations = try await DestinationStore(store: store, clock: clock)
        outbox = try await Outbox(store: store, clock: clock)
        self.clock = clock
    }

    /// Closes the store and deletes the directory.
    func remove() {
        store.close()
        directory.remove()
    }

    /// A webhook destination posting to `url` with quick retries; `tune` adjusts it before creation.
    func webhook(
        _ url: String, name: String = "crm", _ tune: (inout DestinationSettings) -> Void = { _ in }
    ) async throws -> CreatedDestination {
        var settings = DestinationSettings(
            name: name, target: .webhook(try WebhookURL(parsing: url)), marketingActions: ["email_marketing"],
            requiredConsent: ["marketing"], mapping: try PayloadMapping(["email": "identities.email"]))
        settings.batchSize = 1
        settings.lingerMilliseconds = 0
        settings.timeoutMilliseconds = 2_000
        tune(&settings)
        return try await destinations.create(settings)
    }

    /// Enqueues `count` deliveries for `destination` in one transaction; returns their keys.
    @discardableResult
    func enqueue(_ count: Int, to destination: Int64, startingAt first: Int = 0) async throws -> [String] {
        let entries = (first..<(first + count)).map { index in
            OutboxEntry(
                destinationID: destination, idempotencyKey: "key-\(destination)-\(index)",
                reason: OutboxEntry.reason(audienceEntered: "vip"), profileID: Int64(index),
                payload: ["email": .string("person\(index)@example.com")], createdAt: clock.now())
        }
        let outbox = self.outbox
        try await store.transaction { connection in
            for entry in entries { try outbox.enqueue(entry, in: connection) }
        }
        return entries.map(\.idempotencyKey)
    }

    /// An engine with fast retries and the given transport, filter and breaker.
    func engine(
        transport: any DeliveryTransport = HTTPClientTransport(threads: 4), filter: (any DeliveryFilter)? = nil,
        retry: RetryPolicy = RetryPolicy(maxAttempts: 6, baseDelayMilliseconds: 10, maxDelayMilliseconds: 40),
        breaker: CircuitBreaker.Configuration = .init(failureThreshold: 50, coolDownMilliseconds: 1_000),
        metrics: MetricsRegistry = MetricsRegistry()
    ) -> DeliveryEngine {
        var configuration = DeliveryEngine.Configuration()
        configuration.retryPolicy = retry
        configuration.breaker = breaker
        configuration.pollIntervalMilliseconds = 20
        configuration.logger = Logger(label: "activation", level: .critical)
        return DeliveryEngine(
            outbox: outbox, destinations: destinations, transport: transport, filter: filter,
            configuration: configuration, clock: clock, metrics: metrics)
    }

    /// Waits (up to `seconds`) until `condition` holds, polling every 10 ms.
    func eventually(seconds: Double = 10, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }
}

/// A deterministic random source (SplitMix64) for jitter tables.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
