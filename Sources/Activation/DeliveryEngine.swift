import Storage
import TesseraCore

/// Sends the outbox's deliveries: claims due ones per destination, sends them in batches, records
/// what happened.
///
/// A thin I/O shell around pure parts: ``DeliveryStateMachine`` decides every state change,
/// ``CircuitBreaker`` and ``RateLimiter`` pace each destination, the outbox queries run through
/// `Store.transaction`, and the network is behind ``DeliveryTransport``. Each pass, per destination,
/// it claims as many batches as the destination's free concurrency, breaker and rate limit allow
/// (``Outbox`` holds back a partial batch for the linger time), starts one task per batch, and goes
/// back to sleep until a batch finishes, a linger or retry time comes, ``wake()`` is called or the
/// poll interval passes.
///
/// Straight after a commit: ``deliverFresh(_:)`` takes deliveries just committed (a trigger's, an
/// audience entry's) and, for destinations without linger and with free concurrency, sends them at
/// once without the claim transaction, recording the outcome from their waiting state. Ownership in
/// memory (``Outbox/own(_:)``) keeps the claim and this path from taking the same delivery.
///
/// At most once more: ``start()`` first returns deliveries left in flight by a previous run to
/// pending, so a crash between sending and recording sends those once more with the same
/// idempotency keys (a delivery sent straight after its commit is still pending, and goes the same
/// way); receivers dedupe. An engine runs once: `start()`, then `stop()`.
public actor DeliveryEngine {
    /// Pacing, retry and breaker settings shared by all destinations.
    public struct Configuration: Sendable {
        /// When to retry and when to give up.
        public var retryPolicy = RetryPolicy()
        /// When a destination's breaker opens and for how long.
        public var breaker = CircuitBreaker.Configuration()
        /// The longest sleep between passes, in milliseconds; also bounds how late a due retry starts.
        public var pollIntervalMilliseconds: Int64 = 250
        /// How often destinations are re-read from the store, in milliseconds; ``reloadDestinations()``
        /// applies edits at once.
        public var refreshIntervalMilliseconds: Int64 = 5_000
        /// Where the engine reports failures (codes and counts only).
        public var logger = Logger(label: "tessera.activation")

        /// The defaults: ``RetryPolicy()``, a breaker opening after 5 failures for 30 s, a 250 ms poll.
        public init() {}
    }

    /// The outbox the engine sends from.
    public nonisolated let outbox: Outbox
    /// The engine's counters.
    public nonisolated let metrics: ActivationMetrics

    let destinations: DestinationStore
    let transport: any DeliveryTransport
    let exporter: FileExporter
    let nats: NATSPublisher
    let filter: (any DeliveryFilter)?
    let configuration: Configuration
    let clock: any WallClock
    let machine: DeliveryStateMachine
    private let wakeup = Wakeup()

    private var lanes: [Int64: Lane] = [:]
    private var refreshedAt: Timestamp?
    private var sending = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var loop: Task<Void, Never>?
    private var running = false
    private var dispatching = false
    private var nextWake: Timestamp?

    /// Creates an engine; it sends nothing until ``start()`` (or, in tests, ``dispatchDue()``).
    ///
    /// - Parameters:
    ///   - outbox: Where deliveries wait.
    ///   - destinations: Where destinations and their secrets are read.
    ///   - transport: How webhooks are sent; the engine shuts it down in ``stop()``.
    ///   - exporter: How file destinations are written; the engine shuts it down in ``stop()``.
    ///   - nats: How NATS destinations are published to; the engine shuts it down in ``stop()``.
    ///   - filter: The consent and policy hook, asked before each delivery is sent.
    ///   - configuration: Retry, breaker and pacing settings.
    ///   - clock: The wall clock for due times, linger and pacing.
    ///   - metrics: Where counters are registered.
    public init(
        outbox: Outbox, destinations: DestinationStore, transport: any DeliveryTransport = WebhookTransport(),
        exporter: FileExporter = FileExporter(), nats: NATSPublisher = NATSPublisher(),
        filter: (any DeliveryFilter)? = nil,
        configuration: Configuration = Configuration(), clock: any WallClock = SystemClock(),
        metrics: MetricsRegistry = MetricsRegistry()
    ) {
        self.outbox = outbox
        self.destinations = destinations
        self.transport = transport
        self.exporter = exporter
        self.nats = nats
        self.filter = filter
        self.configuration = configuration
        self.clock = clock
        self.machine = DeliveryStateMachine(policy: configuration.retryPolicy)
        self.metrics = ActivationMetrics(registry: metrics)
    }

    /// Recovers deliveries a previous run left in flight, then starts the delivery loop.
    ///
    /// - Returns: How many deliveries were recovered (they will be sent once more).
    /// - Throws: ``StorageError`` when the outbox or destinations cannot be read.
    @discardableResult
    public func start() async throws -> Int {
        guard loop == nil else { return 0 }
        let recovered = try await recover()
        running = true
        loop = Task { await self.run() }
        return recovered
    }

    /// Returns deliveries left in flight to pending and loads destinations, without starting the loop.
    ///
    /// ``start()`` does this first; tests that drive passes with ``dispatchDue()`` call it themselves.
    @discardableResult
    public func recover() async throws -> Int {
        let recovered = try await outbox.recoverInFlight(machine: machine, now: clock.now())
        try reloadDestinations()
        if recovered > 0 {
            configuration.logger.notice("activation deliveries recovered", metadata: ["count": "\(recovered)"])
        }
        return recovered
    }

    /// Stops the loop, waits for the requests in flight to finish and be recorded, and shuts down the
    /// transport and exporter threads.
    public func stop() async {
        running = false
        wakeup.ring()
        await loop?.value
        loop = nil
        await waitUntilIdle()
        transport.shutdown()
        exporter.shutdown()
        nats.shutdown()
    }

    /// Asks the loop to run a pass now, for example after a commit that enqueued deliveries.
    public nonisolated func wake() {
        wakeup.ring()
    }

    /// Sends the deliveries with these ids now if they are due and their destination can take them;
    /// the others wait for the loop, which is woken. Called after the commit that wrote them.
    public nonisolated func deliverFresh(_ ids: [Int64]) {
        Task { await self.sendFresh(ids) }
    }

    private func sendFresh(_ ids: [Int64]) {
        defer { wakeup.ring() }
        guard running else { return }
        let owned = outbox.own(ids)
        guard !owned.isEmpty else { return }
        let now = clock.now()
        var taken: Set<Int64> = []
        defer { outbox.release(Set(owned).subtracting(taken)) }
        guard let rows = try? outbox.deliveries(ids: owned) else { return }
        var generator = SystemRandomNumberGenerator()
        for (laneID, deliveries) in Dictionary(grouping: rows, by: \.destinationID) {
            guard let lane = lanes[laneID], lane.destination.settings.lingerMilliseconds == 0 else { continue }
            let due = deliveries.filter { $0.status.state.isWaiting && $0.status.nextAttemptAt <= now }
            let size = lane.destination.settings.batchSize
            let batches = stride(from: 0, to: due.count, by: size).map { Array(due[$0..<min($0 + size, due.count)]) }
            for batch in batches.prefix(lane.allowance(at: now)) {
                var flying: [Delivery] = []
                var waitingStates: [Int64: DeliveryState] = [:]
                for var delivery in batch {
                    guard let next = machine.next(after: delivery.status, on: .claim, at: now, using: &generator)
                    else { continue }
                    waitingStates[delivery.id] = delivery.status.state
                    delivery.status = next
                    flying.append(delivery)
                }
                guard !flying.isEmpty else { continue }
                taken.formUnion(flying.map(\.id))
                metrics.fastDeliveries.increment(by: flying.count)
                launch(flying, laneID: laneID, now: now, waitingStates: waitingStates)
            }
        }
    }

    /// Moves a dead delivery back to pending and wakes the loop.
    ///
    /// - Throws: ``ActivationError`` of kind `notFound` or `conflict` (the delivery is not dead).
    @discardableResult
    public func replay(id: Int64) async throws -> Delivery {
        let delivery = try await outbox.replay(id: id)
        wakeup.ring()
        return delivery
    }

    /// Re-reads destinations and secrets now; breakers, rate limiters and in-flight counts are kept.
    public func reloadDestinations() throws {
        let now = clock.now()
        var next: [Int64: Lane] = [:]
        for (destination, secret) in try destinations.destinationsWithSecrets() {
            var lane = lanes[destination.id] ?? Lane(destination, secret, configuration.breaker)
            lane.update(destination, secret)
            next[destination.id] = lane
        }
        lanes = next
        refreshedAt = now
    }

    /// Returns once no batch is being sent or recorded.
    public func waitUntilIdle() async {
        guard sending > 0 else { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Runs one pass: claims due deliveries for every destination and starts sending them.
    ///
    /// Returns without waiting for the sends; ``waitUntilIdle()`` does. A pass already running makes
    /// this one return 0 at once.
    /// - Returns: How many batches were started.
    /// - Throws: ``StorageError`` when claiming fails; batches started before the failure keep going.
    @discardableResult
    public func dispatchDue() async throws -> Int {
        guard !dispatching else { return 0 }
        dispatching = true
        defer { dispatching = false }
        let now = clock.now()
        let refreshDue = refreshedAt.map { now >= $0.adding(milliseconds: configuration.refreshIntervalMilliseconds) }
        if refreshDue ?? true { try reloadDestinations() }
        var wakeAt = now.adding(milliseconds: configuration.pollIntervalMilliseconds)
        var started = 0
        for id in lanes.keys.sorted() {
            guard let lane = lanes[id] else { continue }
            let allowance = lane.allowance(at: now)
            guard allowance > 0 else {
                if let ready = lane.readyAt(now) { wakeAt = min(wakeAt, ready) }
                continue
            }
            let settings = lane.destination.settings
            let claim = try await outbox.claim(
                destinationID: id, batchSize: settings.batchSize, lingerMilliseconds: settings.lingerMilliseconds,
                maxBatches: allowance, machine: machine, now: now)
            if let ready = claim.wakeAt { wakeAt = min(wakeAt, ready) }
            for batch in claim.batches {
                launch(batch, laneID: id, now: now)
                started += 1
            }
        }
        nextWake = wakeAt
        return started
    }

    private func run() async {
        while running {
            do {
                try await dispatchDue()
            } catch let error as StorageError where error.kind == .closed {
                break  // the server is stopping and closed the store before this loop heard
            } catch {
                configuration.logger.error(
                    "activation pass failed", metadata: ["error.type": "\(type(of: error))"])
            }
            guard running else { break }
            let now = clock.now()
            let poll = configuration.pollIntervalMilliseconds
            let wakeAt = nextWake ?? now.adding(milliseconds: poll)
            await wakeup.wait(milliseconds: min(poll, max(1, wakeAt.milliseconds - now.milliseconds)))
        }
    }

    /// Starts sending `batch`; `waitingStates` is given for deliveries sent straight after their
    /// commit, whose rows are still in those states (and held in memory until recorded).
    private func launch(
        _ batch: [Delivery], laneID: Int64, now: Timestamp, waitingStates: [Int64: DeliveryState]? = nil
    ) {
        guard var lane = lanes[laneID] else { return }
        lane.begin(at: now)
        lanes[laneID] = lane
        sending += 1
        let destination = lane.destination
        let secret = lane.secret
        Task { await self.deliver(batch, to: destination, secret: secret, waitingStates: waitingStates) }
    }

    private func deliver(
        _ batch: [Delivery], to destination: Destination, secret: String, waitingStates: [Int64: DeliveryState]?
    ) async {
        var generator = SystemRandomNumberGenerator()
        var records: [Outbox.AttemptRecord] = []
        var toSend: [Delivery] = []
        let now = clock.now()
        for delivery in batch {
            guard let reason = filter?.skipReason(for: delivery, to: destination),
                let next = machine.next(after: delivery.status, on: .skip(reason: reason), at: now, using: &generator)
            else {
                toSend.append(delivery)
                continue
            }
            metrics.skipped.increment(labels: [destination.name, reason])
            records.append(Outbox.AttemptRecord(id: delivery.id, status: next, lastStatus: nil, lastResponse: nil))
        }
        if toSend.isEmpty {
            lanes[destination.id]?.sentNothing()
        } else {
            records += await attempt(toSend, to: destination, secret: secret, using: &generator)
        }
        // The request is over: its slot goes to the next batch while this one's outcome is written
        // (the rows stay in flight, or held in memory, until then, so nothing takes them twice).
        lanes[destination.id]?.inFlight -= 1
        wakeup.ring()
        if let waitingStates {
            for index in records.indices { records[index].expected = waitingStates[records[index].id] ?? .inFlight }
        }
        defer { if waitingStates != nil { outbox.release(batch.map(\.id)) } }
        do {
            try await outbox.record(records, now: clock.now())
        } catch {
            metrics.recordFailures.increment()
            configuration.logger.error(
                "activation outcome not recorded",
                metadata: ["destination": destination.name, "deliveries": "\(records.count)"])
        }
        finish()
    }

    /// Sends one batch and turns its outcome into a record per delivery, noting it in the breaker.
    private func attempt(
        _ batch: [Delivery], to destination: Destination, secret: String,
        using generator: inout SystemRandomNumberGenerator
    ) async -> [Outbox.AttemptRecord] {
        let started = ContinuousClock.now
        let outcome = await send(batch, to: destination, secret: secret)
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.requestSeconds.observe(seconds)
        metrics.requests.increment(labels: [destination.name, ActivationMetrics.label(of: outcome)])
        let now = clock.now()
        lanes[destination.id]?.note(outcome, at: now)
        var body: [UInt8]?
        if case .response(_, let answer) = outcome, outcome.verdict != .success { body = answer }
        return batch.compactMap { delivery in
            guard let next = machine.next(after: delivery.status, on: .finish(outcome), at: now, using: &generator)
            else { return nil }
            metrics.deliveries.increment(labels: [destination.name, next.state.rawValue])
            return Outbox.AttemptRecord(
                id: delivery.id, status: next, lastStatus: outcome.status, lastResponse: body,
                sentAt: next.state == .delivered ? now : nil)
        }
    }

    private func send(_ batch: [Delivery], to destination: Destination, secret: String) async -> DeliveryOutcome {
        switch destination.settings.target {
        case .webhook(let url):
            let body = DeliveryEnvelope.body(for: batch)
            let headers = [
                ("Content-Type", "application/json"), ("User-Agent", "Tessera-Activation"),
                ("Idempotency-Key", DeliveryEnvelope.key(for: batch)),
                (WebhookSignature.header, WebhookSignature.sign(body: body, secret: secret)),
                (WebhookSignature.timestampHeader, String(clock.now().milliseconds)),
            ]
            let request = WebhookRequest(
                url: url, headers: headers, body: body, timeoutMilliseconds: destination.settings.timeoutMilliseconds)
            return await transport.send(request)
        case .file:
            return await exporter.export(batch, to: destination, at: clock.now())
        case .nats(let url, let subject):
            return await nats.publish(
                batch, url: url, subject: subject, timeoutMilliseconds: destination.settings.timeoutMilliseconds)
        }
    }

    private func finish() {
        sending -= 1
        if sending == 0 {
            let waiters = idleWaiters
            idleWaiters = []
            for waiter in waiters { waiter.resume() }
        }
        wakeup.ring()
    }
}
