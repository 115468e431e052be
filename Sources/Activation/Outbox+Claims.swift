import Storage
import Synchronization
import TesseraCore

/// The delivery engine's side of the outbox: claiming due deliveries, recording outcomes, recovering
/// after a restart and replaying dead deliveries. Every change goes through ``DeliveryStateMachine``.
extension Outbox {
    /// Deliveries claimed for one destination, grouped into requests, and when to look again.
    struct Claim: Sendable {
        /// Batches of at most the destination's batch size, oldest first; every delivery is in flight.
        var batches: [[Delivery]]
        /// When a delivery left waiting (a partial batch lingering, a retry not yet due) becomes ready.
        var wakeAt: Timestamp?
    }

    /// What to store for one delivery after an attempt.
    struct AttemptRecord: Sendable {
        var id: Int64
        var status: DeliveryStatus
        var lastStatus: Int?
        var lastResponse: [UInt8]?
        var sentAt: Timestamp?
        /// The state the row must still be in: in flight after a claim, or the waiting state a
        /// delivery sent straight after its commit was read in.
        var expected: DeliveryState = .inFlight
    }

    /// Claims up to `maxBatches` batches of due deliveries for a destination and marks them in flight.
    ///
    /// A batch with fewer than `batchSize` deliveries is claimed only once its oldest delivery has
    /// been due for `lingerMilliseconds`, so that small trickles still fill requests. Deliveries the
    /// engine holds in memory (sent straight after their commit) are left alone.
    /// - Complexity: One index range scan of at most `maxBatches × batchSize` rows, and one update each.
    func claim(
        destinationID: Int64, batchSize: Int, lingerMilliseconds: Int64, maxBatches: Int,
        machine: DeliveryStateMachine, now: Timestamp
    ) async throws -> Claim {
        let held = HeldDeliveries()
        defer { release(held.ids.withLock { $0 }) }
        return try await store.transaction { connection in
            let candidates = try Self.dueDeliveries(
                destinationID, limit: max(1, maxBatches) * batchSize, now: now, in: connection)
            // Held while this transaction runs, so that the fast path cannot take them before the
            // rows read `in_flight`; released once it has committed (or rolled back).
            let owned = self.own(candidates.map(\.id))
            held.ids.withLock { $0 = owned }
            let heldSet = Set(owned)
            let due = candidates.filter { heldSet.contains($0.id) }
            var batches = stride(from: 0, to: due.count, by: batchSize).map {
                Array(due[$0..<min($0 + batchSize, due.count)])
            }
            var wakeAt = try Self.nextDue(destinationID, after: now, in: connection)
            if let last = batches.last, last.count < batchSize {
                let oldest = last.map(\.status.nextAttemptAt).min() ?? now
                let ready = oldest.adding(milliseconds: lingerMilliseconds)
                if ready > now {
                    batches.removeLast()
                    wakeAt = min(wakeAt ?? ready, ready)
                }
            }
            var generator = SystemRandomNumberGenerator()
            var claimed: [[Delivery]] = []
            for batch in batches {
                var flying: [Delivery] = []
                for var delivery in batch {
                    guard let next = machine.next(after: delivery.status, on: .claim, at: now, using: &generator)
                    else { continue }
                    try Self.write(
                        AttemptRecord(
                            id: delivery.id, status: next, lastStatus: delivery.lastStatus,
                            lastResponse: delivery.lastResponse, sentAt: nil),
                        expecting: delivery.status.state, now: now, in: connection)
                    delivery.status = next
                    flying.append(delivery)
                }
                if !flying.isEmpty { claimed.append(flying) }
            }
            return Claim(batches: claimed, wakeAt: wakeAt)
        }
    }

    /// Stores the outcome of attempts; rows no longer in flight (recovered meanwhile) are left alone.
    func record(_ results: [AttemptRecord], now: Timestamp) async throws {
        guard !results.isEmpty else { return }
        try await store.transaction { connection in
            for result in results {
                try Self.write(result, expecting: result.expected, now: now, in: connection)
            }
        }
    }

    /// Moves every in-flight delivery back to pending, as after a restart; they may be sent once more.
    ///
    /// Also skips waiting deliveries whose destination no longer exists.
    /// - Returns: How many deliveries were recovered.
    func recoverInFlight(machine: DeliveryStateMachine, now: Timestamp) async throws -> Int {
        try await store.transaction { connection in
            let select = try connection.prepare(
                "SELECT \(Self.columns) FROM activation_outbox WHERE state = 'in_flight' ORDER BY id")
            let stuck = try select.query(Self.delivery(from:))
            var generator = SystemRandomNumberGenerator()
            for delivery in stuck {
                guard let next = machine.next(after: delivery.status, on: .recover, at: now, using: &generator)
                else { continue }
                try Self.write(
                    AttemptRecord(
                        id: delivery.id, status: next, lastStatus: delivery.lastStatus,
                        lastResponse: delivery.lastResponse, sentAt: nil),
                    expecting: .inFlight, now: now, in: connection)
            }
            try Self.skipOrphans(now: now, in: connection)
            return stuck.count
        }
    }

    /// Moves a dead delivery back to pending with its attempts reset, so the engine sends it again.
    ///
    /// - Returns: The delivery as it now is.
    /// - Throws: ``ActivationError`` of kind `notFound` when no delivery has the id, `conflict` when it
    ///   is not dead.
    @discardableResult
    public func replay(id: Int64) async throws -> Delivery {
        let now = clock.now()
        return try await store.transaction { connection in
            let select = try connection.prepare("SELECT \(Self.columns) FROM activation_outbox WHERE id = ?1")
            try select.bind(id, at: 1)
            guard var delivery = try select.queryFirst(Self.delivery(from:)) else {
                throw ActivationError(.notFound, field: "id", "no delivery has this id")
            }
            var generator = SystemRandomNumberGenerator()
            guard
                let next = DeliveryStateMachine().next(after: delivery.status, on: .replay, at: now, using: &generator)
            else {
                throw ActivationError(.conflict, field: "state", "only dead deliveries can be replayed")
            }
            try Self.write(
                AttemptRecord(
                    id: id, status: next, lastStatus: delivery.lastStatus, lastResponse: delivery.lastResponse,
                    sentAt: nil),
                expecting: .dead, now: now, in: connection)
            delivery.status = next
            delivery.updatedAt = now
            return delivery
        }
    }

    /// Marks waiting deliveries of destinations that no longer exist as skipped.
    static func skipOrphans(now: Timestamp, in connection: SQLiteConnection) throws {
        let update = try connection.prepare(
            """
            UPDATE activation_outbox SET state = 'skipped', detail = 'destination_deleted', updated_at = ?1
            WHERE state IN ('pending', 'retry')
              AND destination_id NOT IN (SELECT id FROM activation_destinations)
            """)
        try update.bind(now.milliseconds, at: 1)
        try update.run()
    }

    private static func dueDeliveries(
        _ destinationID: Int64, limit: Int, now: Timestamp, in connection: SQLiteConnection
    ) throws -> [Delivery] {
        let select = try connection.prepare(
            """
            SELECT \(columns) FROM activation_outbox
            WHERE destination_id = ?1 AND state IN ('pending', 'retry') AND next_attempt_at <= ?2
            ORDER BY id LIMIT ?3
            """)
        try select.bind(destinationID, at: 1)
        try select.bind(now.milliseconds, at: 2)
        try select.bind(limit, at: 3)
        return try select.query(delivery(from:))
    }

    private static func nextDue(
        _ destinationID: Int64, after now: Timestamp, in connection: SQLiteConnection
    ) throws -> Timestamp? {
        let select = try connection.prepare(
            """
            SELECT MIN(next_attempt_at) FROM activation_outbox
            WHERE destination_id = ?1 AND state = 'retry' AND next_attempt_at > ?2
            """)
        try select.bind(destinationID, at: 1)
        try select.bind(now.milliseconds, at: 2)
        return try select.queryFirst { $0.optionalInt64(at: 0) }.flatMap { $0 }.map { Timestamp(milliseconds: $0) }
    }

    private static func write(
        _ result: AttemptRecord, expecting state: DeliveryState, now: Timestamp, in connection: SQLiteConnection
    ) throws {
        let update = try connection.prepare(
            """
            UPDATE activation_outbox
            SET state = ?2, attempts = ?3, next_attempt_at = ?4, detail = ?5, last_status = ?6,
                last_response = ?7, sent_at = COALESCE(?8, sent_at), updated_at = ?9
            WHERE id = ?1 AND state = ?10
            """)
        try update.bind(result.id, at: 1)
        try update.bind(result.status.state.rawValue, at: 2)
        try update.bind(result.status.attempts, at: 3)
        try update.bind(result.status.nextAttemptAt.milliseconds, at: 4)
        try update.bind(result.status.detail, at: 5)
        try update.bind(result.lastStatus, at: 6)
        try update.bind(result.lastResponse.map { Array($0.prefix(responseLimit)) }, at: 7)
        try update.bind(result.sentAt?.milliseconds, at: 8)
        try update.bind(now.milliseconds, at: 9)
        try update.bind(state.rawValue, at: 10)
        try update.run()
    }
}

/// The deliveries one claim holds while its transaction runs.
private final class HeldDeliveries: Sendable {
    let ids = Mutex<[Int64]>([])
}
