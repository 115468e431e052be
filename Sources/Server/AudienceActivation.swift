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

        var json: JSONValue {
            [
                "audienceId": .int(audienceID), "destinationId": .int(destinationID), "onEnter": .bool(onEnter),
                "onExit": .bool(onExit), "createdAt": .string(createdAt.iso8601),
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
        let select = try connection.prepare(
            "SELECT audience_id, destination_id, on_enter, on_exit, created_at FROM audience_activations",
            cached: false)
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
                profile: change.profileID, audience: audience, destination: activation.destinationID, reason: reason,
                cause: ["audience", String(change.audienceID), "history", String(change.id)], at: change.time,
                in: connection)
        }
    }

    /// Writes one delivery with the destination's mapping applied to the profile.
    private func enqueue(
        profile: Int64, audience: String, destination id: Int64, reason: String, cause: [String], at time: Timestamp,
        in connection: SQLiteConnection
    ) throws {
        guard let destination = try destinations.destination(id: id),
            let view = try profiles.view(of: profile, in: connection)
        else { return }
        let input = MappingInput(
            profileID: profile, identities: profiles.identityValues(of: profile), attributes: view.attributes,
            computed: view.computed, audience: audience, event: nil)
        _ = try outbox.enqueue(
            OutboxEntry(
                destinationID: id, idempotencyKey: OutboxEntry.key(destinationID: id, cause: cause), reason: reason,
                profileID: profile, payload: destination.settings.mapping.payload(for: input), createdAt: time),
            in: connection)
    }

    // MARK: - Managing activations

    /// Sends `audience` to `destination` from now on, and queues every current member.
    ///
    /// - Returns: the activation and how many members were queued.
    func activate(
        audience: Audience, destination: Int64, onEnter: Bool, onExit: Bool
    ) async throws -> (Activation, queued: Int) {
        guard try destinations.destination(id: destination) != nil else {
            throw ActivationError(.notFound, field: "destinationId", "no destination has that id")
        }
        return try await store.transaction { connection in
            let activation = Activation(
                audienceID: audience.id, destinationID: destination, onEnter: onEnter, onExit: onExit,
                createdAt: Timestamp.now())
            let upsert = try connection.prepare(
                """
                INSERT INTO audience_activations (audience_id, destination_id, on_enter, on_exit, created_at)
                VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (audience_id, destination_id) DO UPDATE SET on_enter = excluded.on_enter,
                    on_exit = excluded.on_exit
                """)
            try upsert.bind(audience.id, at: 1)
            try upsert.bind(destination, at: 2)
            try upsert.bind(onEnter, at: 3)
            try upsert.bind(onExit, at: 4)
            try upsert.bind(activation.createdAt.milliseconds, at: 5)
            try upsert.run()
            self.byAudience[audience.id, default: []].removeAll { $0.destinationID == destination }
            self.byAudience[audience.id, default: []].append(activation)
            let members = try connection.prepare(
                "SELECT profile_id FROM audience_members WHERE audience_id = ?1 AND status != 'exited'")
            try members.bind(audience.id, at: 1)
            let profiles = try members.query { $0.int64(at: 0) }
            for profile in profiles {
                try self.enqueue(
                    profile: profile, audience: audience.name, destination: destination,
                    reason: "audience sync: \(audience.name)",
                    cause: [
                        "audience", String(audience.id), "sync", String(activation.createdAt.milliseconds),
                        String(profile),
                    ],
                    at: activation.createdAt, in: connection)
            }
            return (activation, profiles.count)
        }
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
                """
                SELECT audience_id, destination_id, on_enter, on_exit, created_at FROM audience_activations
                WHERE audience_id = ?1 ORDER BY destination_id
                """)
            try select.bind(audience, at: 1)
            return try select.query(Self.activation(from:))
        }
    }

    private static func activation(from row: SQLiteStatement) -> Activation {
        Activation(
            audienceID: row.int64(at: 0), destinationID: row.int64(at: 1), onEnter: row.int64(at: 2) != 0,
            onExit: row.int64(at: 3) != 0, createdAt: Timestamp(milliseconds: row.int64(at: 4)))
    }
}

/// Skips a delivery whose profile has not consented to every purpose its destination requires —
/// its `requiredConsent` and the purposes its marketing actions imply (`email-targeting` needs
/// `marketing.email`) — checked when it is about to be sent (consent may have changed or expired
/// since it was queued).
struct ConsentDeliveryFilter: DeliveryFilter {
    let store: Store
    let consent: ConsentConfiguration
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
                let select = try connection.prepare(
                    """
                    SELECT purpose, value FROM consents
                    WHERE profile_id = ?1 AND identity = '' AND (expires_at IS NULL OR expires_at > ?2)
                    """)
                try select.bind(profile, at: 1)
                try select.bind(Timestamp.now().milliseconds, at: 2)
                var answers: [String: ConsentValue] = [:]
                for (purpose, value) in try select.query({ ($0.string(at: 0), $0.string(at: 1)) }) {
                    answers[purpose] = ConsentValue(rawValue: value)
                }
                return answers
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
