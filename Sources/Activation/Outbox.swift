import Storage
import Synchronization
import TesseraCore

/// The durable queue of deliveries, written in the same transaction as the change that caused them.
///
/// Writers (a commit participant, the audience engine) call ``enqueue(_:in:)`` with the writer's
/// connection inside their open transaction, so a delivery exists exactly when its cause was
/// committed. The ``DeliveryEngine`` claims due rows, sends them and records the outcome. Reads use
/// the store's read connections and never wait for the writer.
public final class Outbox: Sendable {
    /// The most bytes of an answer's body kept in `last_response`.
    public static let responseLimit = 4_096

    let store: Store
    let clock: any WallClock
    /// Ids of rows ``enqueue(_:in:)`` wrote since the last ``takeFresh()`` (at most ``freshLimit``).
    private let fresh = Mutex<[Int64]>([])
    /// Deliveries an engine holds in memory (being claimed, or sent straight after their commit);
    /// neither path takes a delivery the other holds. See ``own(_:)``.
    let owned = Mutex<Set<Int64>>([])
    /// The most fresh ids kept between commits; beyond it, deliveries wait for the engine's poll.
    static let freshLimit = 10_000

    /// Opens the outbox in `store`, creating its tables when needed.
    ///
    /// - Throws: ``StorageError`` when the tables cannot be created.
    public init(store: Store, clock: any WallClock = SystemClock()) async throws {
        self.store = store
        self.clock = clock
        try await store.transaction { connection in try ActivationSchema.create(in: connection) }
    }

    /// Creates the activation tables inside an open transaction, for writers that may run before any
    /// `Outbox` or ``DestinationStore`` was opened. Cheap when they exist.
    public static func createTables(in connection: SQLiteConnection) throws {
        try ActivationSchema.create(in: connection)
    }

    /// Adds `entry` to the outbox, inside the caller's open transaction.
    ///
    /// Does not check that the destination exists: writers look destinations up themselves, and a
    /// delivery to a deleted destination is skipped by the engine.
    /// - Parameters:
    ///   - entry: The delivery, its payload already mapped.
    ///   - connection: The writer's connection, inside a transaction the caller commits.
    /// - Returns: `false` when an entry with the same idempotency key already exists (nothing is stored).
    /// - Throws: ``ActivationError`` for an empty key or reason; ``StorageError`` from SQLite.
    @discardableResult
    public func enqueue(_ entry: OutboxEntry, in connection: SQLiteConnection) throws -> Bool {
        try entry.validate()
        let insert = try connection.prepare(
            """
            INSERT INTO activation_outbox (destination_id, idempotency_key, reason, profile_id, audience_id,
                trigger_id, payload, created_at, state, attempts, next_attempt_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?8, ?9, ?5, ?6, 'pending', 0, ?6, ?7)
            ON CONFLICT (idempotency_key) DO NOTHING
            """)
        try insert.bind(entry.destinationID, at: 1)
        try insert.bind(entry.idempotencyKey, at: 2)
        try insert.bind(entry.reason, at: 3)
        try insert.bind(entry.profileID, at: 4)
        try insert.bind(entry.payload.serializedBytes, at: 5)
        try insert.bind(entry.createdAt.milliseconds, at: 6)
        try insert.bind(clock.now().milliseconds, at: 7)
        try insert.bind(entry.audienceID, at: 8)
        try insert.bind(entry.triggerID, at: 9)
        try insert.run()
        guard connection.changes == 1 else { return false }
        let id = connection.lastInsertRowID
        fresh.withLock { if $0.count < Self.freshLimit { $0.append(id) } }
        return true
    }

    /// The ids of rows enqueued since the last call, and forgets them.
    ///
    /// The server calls it after each group commit and hands the ids to
    /// ``DeliveryEngine/deliverFresh(_:)``, so a trigger's delivery is sent straight after the commit
    /// that wrote it. An id left by a transaction that was rolled back names no row, or a later one
    /// that is due anyway; the engine reads each row before sending it.
    public func takeFresh() -> [Int64] {
        fresh.withLock { ids in
            defer { ids.removeAll(keepingCapacity: true) }
            return ids
        }
    }

    /// Takes the deliveries among `ids` that no one holds yet; the caller must ``release(_:)`` them.
    func own(_ ids: [Int64]) -> [Int64] {
        owned.withLock { owned in ids.filter { owned.insert($0).inserted } }
    }

    /// Lets go of deliveries taken with ``own(_:)``.
    func release(_ ids: some Sequence<Int64>) {
        owned.withLock { owned in
            for id in ids { owned.remove(id) }
        }
    }

    /// The deliveries with the given ids that exist, in id order.
    func deliveries(ids: [Int64]) throws -> [Delivery] {
        guard !ids.isEmpty else { return [] }
        // Integers only, so writing them into the statement is safe; one statement per call.
        let list = ids.map(String.init).joined(separator: ",")
        return try store.read { connection in
            let select = try connection.prepare(
                "SELECT \(Self.columns) FROM activation_outbox WHERE id IN (\(list)) ORDER BY id", cached: false)
            return try select.query(Self.delivery(from:))
        }
    }

    /// The delivery with id `id`, if any.
    public func delivery(id: Int64) throws -> Delivery? {
        try store.read { connection in
            let select = try connection.prepare("SELECT \(Self.columns) FROM activation_outbox WHERE id = ?1")
            try select.bind(id, at: 1)
            return try select.queryFirst(Self.delivery(from:))
        }
    }

    /// Deliveries in id order, optionally of one destination and one state, after a cursor.
    ///
    /// - Parameters:
    ///   - destination: Only this destination's deliveries, when given.
    ///   - state: Only deliveries in this state, when given.
    ///   - after: Only ids greater than this (the last id of the previous page).
    ///   - limit: The most deliveries returned (clamped to 1–1000).
    /// - Complexity: An index range scan when `state` is given; otherwise a scan in id order.
    public func deliveries(
        destination: Int64? = nil, state: DeliveryState? = nil, after: Int64 = 0, limit: Int = 100
    ) throws -> [Delivery] {
        try store.read { connection in
            let select = try connection.prepare(
                """
                SELECT \(Self.columns) FROM activation_outbox
                WHERE id > ?1 AND (?2 IS NULL OR destination_id = ?2) AND (?3 IS NULL OR state = ?3)
                ORDER BY id LIMIT ?4
                """)
            try select.bind(after, at: 1)
            try select.bind(destination, at: 2)
            try select.bind(state?.rawValue, at: 3)
            try select.bind(min(1_000, max(1, limit)), at: 4)
            return try select.query(Self.delivery(from:))
        }
    }

    /// How many deliveries are in each state, over all destinations or one; every state is present.
    public func counts(destination: Int64? = nil) throws -> [DeliveryState: Int] {
        try store.read { connection in
            let select = try connection.prepare(
                """
                SELECT state, COUNT(*) FROM activation_outbox
                WHERE ?1 IS NULL OR destination_id = ?1 GROUP BY state
                """)
            try select.bind(destination, at: 1)
            var counts = Dictionary(uniqueKeysWithValues: DeliveryState.allCases.map { ($0, 0) })
            for (state, count) in try select.query({ ($0.string(at: 0), Int($0.int64(at: 1))) }) {
                if let known = DeliveryState(rawValue: state) { counts[known] = count }
            }
            return counts
        }
    }

    /// Deletes delivered and skipped deliveries last changed before `cutoff`, at most `limit` of them.
    ///
    /// - Returns: How many were deleted; call again while it returns `limit`.
    public func purgeFinished(before cutoff: Timestamp, limit: Int = 10_000) async throws -> Int {
        try await store.transaction { connection in
            let delete = try connection.prepare(
                """
                DELETE FROM activation_outbox WHERE id IN (
                    SELECT id FROM activation_outbox
                    WHERE state IN ('delivered', 'skipped') AND updated_at < ?1 LIMIT ?2)
                """)
            try delete.bind(cutoff.milliseconds, at: 1)
            try delete.bind(limit, at: 2)
            try delete.run()
            return connection.changes
        }
    }

    static let columns = """
        id, destination_id, idempotency_key, reason, profile_id, payload, created_at, state, attempts,
        next_attempt_at, detail, last_status, last_response, sent_at, updated_at, audience_id,
        trigger_id
        """

    static func delivery(from row: SQLiteStatement) throws -> Delivery {
        guard let state = DeliveryState(rawValue: row.string(at: 7)) else {
            throw ActivationError(.corruptSettings, field: "state", "an outbox row has an unknown state")
        }
        return Delivery(
            id: row.int64(at: 0), destinationID: row.int64(at: 1), idempotencyKey: row.string(at: 2),
            reason: row.string(at: 3), profileID: row.optionalInt64(at: 4), audienceID: row.optionalInt64(at: 15),
            triggerID: row.optionalInt64(at: 16), payload: row.blob(at: 5),
            createdAt: Timestamp(milliseconds: row.int64(at: 6)),
            status: DeliveryStatus(
                state: state, attempts: Int(row.int64(at: 8)),
                nextAttemptAt: Timestamp(milliseconds: row.int64(at: 9)), detail: row.optionalString(at: 10)),
            lastStatus: row.optionalInt64(at: 11).map { Int($0) }, lastResponse: row.optionalBlob(at: 12),
            sentAt: row.optionalInt64(at: 13).map { Timestamp(milliseconds: $0) },
            updatedAt: Timestamp(milliseconds: row.int64(at: 14)))
    }
}
