import Activation
import Profiles
import Segmentation
import Storage
import TesseraCore
import Unification

/// Sends audiences to destinations: when a profile enters or leaves an activated audience, a
/// delivery with the destination's mapped payload is written to the outbox in the same transaction,
/// and activating an audience queues every current member (a full sync).
///
/// `@unchecked Sendable`: the activations cache is read and changed only on the store's writer
/// thread (in `membershipChanged`, which the audience engine calls there, and in bodies passed to
/// `Store.transaction`).
final class AudienceActivation: MembershipListener, @unchecked Sendable {
    /// One audience sent to one destination.
    struct Activation: Sendable, Equatable {
        var audienceID: Int64
        var destinationID: Int64
        var onEnter: Bool
        var onExit: Bool
        var createdAt: Timestamp
        /// How often every member is sent again (a scheduled full export), in minutes; 0 for never.
        var fullSyncMinutes: Int64 = 0
        /// When every member was last queued (at activation, then on the schedule).
        var syncedAt: Timestamp?

        var json: JSONValue {
            [
                "audienceId": .int(audienceID), "destinationId": .int(destinationID), "onEnter": .bool(onEnter),
                "onExit": .bool(onExit), "createdAt": .string(createdAt.iso8601),
                "fullSyncEveryMinutes": .int(fullSyncMinutes), "lastFullSyncAt": .optional(syncedAt?.iso8601),
            ]
        }
    }

    let store: Store
    let profiles: ProfileEngine
    let outbox: Outbox
    let destinations: DestinationStore
    private var byAudience: [Int64: [Activation]] = [:]

    init(store: Store, profiles: ProfileEngine, outbox: Outbox, destinations: DestinationStore) {
        self.store = store
        self.profiles = profiles
        self.outbox = outbox
        self.destinations = destinations
    }

    /// Creates the table and reads the activations; call through `Store.transaction` before serving.
    func load(in connection: SQLiteConnection) throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS audience_activations (
                audience_id INTEGER NOT NULL,
                destination_id INTEGER NOT NULL,
                on_enter INTEGER NOT NULL,
                on_exit INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (audience_id, destination_id)
            ) WITHOUT ROWID
            """)
        // Stores made before scheduled full syncs existed lack their two columns.
        let columns = try connection.prepare(
            "SELECT name FROM pragma_table_info('audience_activations')", cached: false)
        if !(try columns.query { $0.string(at: 0) }).contains("full_sync_minutes") {
            try connection.execute(
                "ALTER TABLE audience_activations ADD COLUMN full_sync_minutes INTEGER NOT NULL DEFAULT 0")
            try connection.execute("ALTER TABLE audience_activations ADD COLUMN synced_at INTEGER")
        }
        let select = try connection.prepare(
            "SELECT \(Self.columns) FROM audience_activations", cached: false)
        byAudience = Dictionary(grouping: try select.query(Self.activation(from:)), by: \.audienceID)
    }

    // MARK: - Membership listener

    func membershipChanged(_ change: MembershipChange, audience: String, in connection: SQLiteConnection) throws {
        for activation in byAudience[change.audienceID] ?? [] {
            let entered = change.change == .realized
            guard entered ? activation.onEnter : activation.onExit else { continue }
            let reason =
                entered ? OutboxEntry.reason(audienceEntered: audience) : OutboxEntry.reason(audienceExited: audience)
            try enqueue(
                profile: change.profileID, audience: (change.audienceID, audience),
                destination: activation.destinationID, reason: reason,
                cause: ["audience", String(change.audienceID), "history", String(change.id)], at: change.time,
                in: connection)
        }
    }

    /// Writes one delivery with the destination's mapping applied to the profile.
    private func enqueue(
        profile: Int64, audience: (id: Int64, name: String), destination id: Int64, reason: String, cause: [String],
        at time: Timestamp, in connection: SQLiteConnection
    ) throws {
        guard let destination = try destinations.destination(id: id),
            let view = try profiles.view(of: profile, in: connection)
        else { return }
        let input = MappingInput(
            profileID: profile, identities: profiles.identityValues(of: profile), attributes: view.attributes,
            computed: view.computed, audience: audience.name, event: nil)
        _ = try outbox.enqueue(
            OutboxEntry(
                destinationID: id, idempotencyKey: OutboxEntry.key(destinationID: id, cause: cause), reason: reason,
                profileID: profile, audienceID: audience.id, payload: destination.settings.mapping.payload(for: input),
                createdAt: time),
            in: connection)
    }

    // MARK: - Managing activations

    /// Sends `audience` to `destination` from now on, and queues every current member; then again
    /// every `fullSyncMinutes` minutes when that is positive (see ``syncDue(at:)``).
    ///
    /// - Returns: the activation and how many members were queued.
    func activate(
        audience: Audience, destination: Int64, onEnter: Bool, onExit: Bool, fullSyncMinutes: Int64 = 0
    ) async throws -> (Activation, queued: Int) {
        guard try destinations.destination(id: destination) != nil else {
            throw ActivationError(.notFound, field: "destinationId", "no destination has that id")
        }
        return try await store.transaction { connection in
            let now = self.profiles.clock.now()
            let activation = Activation(
                audienceID: audience.id, destinationID: destination, onEnter: onEnter, onExit: onExit,
                createdAt: now, fullSyncMinutes: fullSyncMinutes, syncedAt: now)
            let upsert = try connection.prepare(
                """
                INSERT INTO audience_activations (audience_id, destination_id, on_enter, on_exit, created_at,
                    full_sync_minutes, synced_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)
                ON CONFLICT (audience_id, destination_id) DO UPDATE SET on_enter = excluded.on_enter,
                    on_exit = excluded.on_exit, full_sync_minutes = excluded.full_sync_minutes,
                    synced_at = excluded.synced_at
                """)
            try upsert.bind(audience.id, at: 1)
            try upsert.bind(destination, at: 2)
            try upsert.bind(onEnter, at: 3)
            try upsert.bind(onExit, at: 4)
            try upsert.bind(now.milliseconds, at: 5)
            try upsert.bind(fullSyncMinutes, at: 6)
            try upsert.run()
            self.byAudience[audience.id, default: []].removeAll { $0.destinationID == destination }
            self.byAudience[audience.id, default: []].append(activation)
            let queued = try self.queueMembers(
                audience: audience.id, name: audience.name, destination: destination, at: now, in: connection)
            return (activation, queued)
        }
    }

    /// Queues every current member of `audience` for `destination`: one full export.
    ///
    /// - Returns: How many members were queued.
    private func queueMembers(
        audience: Int64, name: String, destination: Int64, at time: Timestamp, in connection: SQLiteConnection
    ) throws -> Int {
        let members = try connection.prepare(
            "SELECT profile_id FROM audience_members WHERE audience_id = ?1 AND status != 'exited'")
        try members.bind(audience, at: 1)
        let profiles = try members.query { $0.int64(at: 0) }
        // Due at once, even when a test runs a sync "in the future".
        let due = min(time, self.profiles.clock.now())
        for profile in profiles {
            try enqueue(
                profile: profile, audience: (audience, name), destination: destination,
                reason: "audience sync: \(name)",
                cause: ["audience", String(audience), "sync", String(time.milliseconds), String(profile)],
                at: due, in: connection)
        }
        return profiles.count
    }

    /// Runs the scheduled full syncs that are due at `now`: every member of each such audience is
    /// queued again, in one transaction per activation, and the sync time is moved to `now`.
    ///
    /// The server calls it every few seconds; a sync missed while the server was down runs once at
    /// the next call, not once per missed period.
    /// - Returns: How many deliveries were queued.
    func syncDue(at now: Timestamp) async throws -> Int {
        let due = try store.read { connection in
            let select = try connection.prepare(
                """
                SELECT \(Self.columns) FROM audience_activations
                WHERE full_sync_minutes > 0 AND COALESCE(synced_at, 0) + full_sync_minutes * 60000 <= ?1
                """)
            try select.bind(now.milliseconds, at: 1)
            return try select.query(Self.activation(from:))
        }
        var queued = 0
        for activation in due {
            queued += try await store.transaction { connection in
                let name = try connection.prepare("SELECT name FROM audiences WHERE id = ?1")
                try name.bind(activation.audienceID, at: 1)
                let update = try connection.prepare(
                    "UPDATE audience_activations SET synced_at = ?3 WHERE audience_id = ?1 AND destination_id = ?2")
                try update.bind(activation.audienceID, at: 1)
                try update.bind(activation.destinationID, at: 2)
                try update.bind(now.milliseconds, at: 3)
                try update.run()
                guard let audience = try name.queryFirst({ $0.string(at: 0) }) else { return 0 }
                return try self.queueMembers(
                    audience: activation.audienceID, name: audience, destination: activation.destinationID, at: now,
                    in: connection)
            }
        }
        return queued
    }

    /// Stops sending `audience` to `destination`.
    ///
    /// - Returns: whether there was such an activation.
    func deactivate(audience: Int64, destination: Int64) async throws -> Bool {
        try await store.transaction { connection in
            let delete = try connection.prepare(
                "DELETE FROM audience_activations WHERE audience_id = ?1 AND destination_id = ?2")
            try delete.bind(audience, at: 1)
            try delete.bind(destination, at: 2)
            try delete.run()
            let removed = connection.changes > 0
            self.byAudience[audience]?.removeAll { $0.destinationID == destination }
            return removed
        }
    }

    /// The activations of an audience.
    func activations(of audience: Int64) throws -> [Activation] {
        try store.read { connection in
            let select = try connection.prepare(
                "SELECT \(Self.columns) FROM audience_activations WHERE audience_id = ?1 ORDER BY destination_id")
            try select.bind(audience, at: 1)
            return try select.query(Self.activation(from:))
        }
    }

    private static let columns =
        "audience_id, destination_id, on_enter, on_exit, created_at, full_sync_minutes, synced_at"

    private static func activation(from row: SQLiteStatement) -> Activation {
        Activation(
            audienceID: row.int64(at: 0), destinationID: row.int64(at: 1), onEnter: row.int64(at: 2) != 0,
            onExit: row.int64(at: 3) != 0, createdAt: Timestamp(milliseconds: row.int64(at: 4)),
            fullSyncMinutes: row.int64(at: 5), syncedAt: row.optionalInt64(at: 6).map { Timestamp(milliseconds: $0) })
    }
}

/// Skips a delivery whose profile has not consented to every purpose its destination requires —
/// its `requiredConsent` and the purposes its marketing actions imply (`email-targeting` needs
/// `marketing.email`) — checked when it is about to be sent (consent may have changed or expired
/// since it was queued).
struct ConsentDeliveryFilter: DeliveryFilter {
    let store: Store
    let consent: ConsentConfiguration
    /// Decides which answers have expired.
    let clock: any WallClock
    /// The purposes each marketing action implies; `nil` checks `requiredConsent` only.
    var governance: GovernanceState?

    /// Every purpose a delivery to `destination` needs, in order, without repeats.
    func purposes(for destination: Destination) -> [String] {
        let implied = governance?.catalog.consentPurposes(for: destination.settings.marketingActions) ?? []
        var seen: Set<String> = []
        return (destination.settings.requiredConsent + implied).filter { seen.insert($0).inserted }
    }

    func skipReason(for delivery: Delivery, to destination: Destination) -> String? {
        let purposes = purposes(for: destination)
        guard !purposes.isEmpty else { return nil }
        guard let profile = delivery.profileID else { return "consent:unknown-profile" }
        let answers: [String: ConsentValue]
        do {
            answers = try store.read { connection in
                try ProfileEngine.consentAnswers(of: profile, at: clock.now(), in: connection).answers
            }
        } catch {
            return "consent:unreadable"
        }
        for purpose in purposes where consent.effective(purpose, answers: answers) != .yes {
            return "consent:\(purpose)"
        }
        return nil
    }
}
