import Activation
import Audiences
import JSONParsing
import Profiles
import Segmentation
import Storage
import TesseraCore
import Unification

/// Fires real-time triggers inside the writer's transaction, so a trigger's delivery commits with
/// the record or membership change that caused it.
///
/// It sits between the engines as a relay. As the profile engine's observer it passes every call on
/// to the audience engine first, then: in `applied` it notes each record whose event passes an
/// event trigger's `event` condition (the record's body is readable only during that call); in
/// `finished`, once the audience engine has written this transaction's entries and exits, it
/// checks each noted trigger's `condition` against the profile as it now stands (so
/// `in audience "Travellers"` sees the membership after this record) and writes the outbox row.
/// As the audience engine's membership listener it passes entries and exits on to the audience
/// activations, then fires the `audience_entered` and `audience_exited` triggers.
///
/// Idempotency keys name the trigger and its cause (the record's sequence, or the membership
/// history line), so a record replayed after a crash cannot queue a second delivery.
///
/// `@unchecked Sendable`: the trigger tables and the noted records are read and changed only on the
/// store's writer thread (in the observer and listener calls, which run there, and in bodies passed
/// to `Store.transaction`).
final class TriggerEngine: ProfileObserver, MembershipListener, @unchecked Sendable {
    /// A record that passed an event trigger's `event` condition, waiting for the end of the changes.
    private struct Noted {
        var trigger: Trigger
        var profile: Int64
        var sequence: Int64
        var event: String
    }

    let store: Store
    let profiles: ProfileEngine
    let outbox: Outbox
    let destinations: DestinationStore
    let clock: any WallClock
    /// Where profile changes go before triggers look at them: the audience engine.
    private let nextObserver: any ProfileObserver
    /// Where membership changes go before triggers look at them: the audience activations.
    private let nextListener: (any MembershipListener)?

    private var byEvent: [String: [(Trigger, EventMatcher)]] = [:]
    private var byAudience: [String: [Trigger]] = [:]
    private var noted: [Noted] = []

    init(
        store: Store, profiles: ProfileEngine, outbox: Outbox, destinations: DestinationStore,
        next observer: any ProfileObserver, next listener: (any MembershipListener)?, clock: any WallClock
    ) {
        self.store = store
        self.profiles = profiles
        self.outbox = outbox
        self.destinations = destinations
        self.nextObserver = observer
        self.nextListener = listener
        self.clock = clock
    }

    /// Creates the table and reads the triggers; call through `Store.transaction` before serving.
    func load(in connection: SQLiteConnection) throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS activation_triggers (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                definition TEXT NOT NULL,
                created_at INTEGER NOT NULL
            )
            """)
        install(try Self.readAll(in: connection))
    }

    // MARK: - Profile observer

    func applied(
        _ record: StoredRecordReference, document: JSONNode, to profile: Int64, in connection: SQLiteConnection
    ) throws {
        try nextObserver.applied(record, document: document, to: profile, in: connection)
        // Sequences grow within and across commits; a smaller one means the transaction that noted
        // the others was rolled back, and they must not fire.
        if let last = noted.last, last.sequence >= record.sequence { noted.removeAll() }
        guard let name = record.record.eventName, let candidates = byEvent[name],
            let event = Self.event(of: record, named: name, document: document)
        else { return }
        for (trigger, matcher) in candidates where matcher.matches(event) {
            noted.append(Noted(trigger: trigger, profile: profile, sequence: record.sequence, event: name))
        }
    }

    func finished(_ changes: ProfileChanges, engine: ProfileEngine, in connection: SQLiteConnection) throws {
        try nextObserver.finished(changes, engine: engine, in: connection)
        let waiting = noted
        noted.removeAll()
        guard !waiting.isEmpty else { return }
        let survivors = Dictionary(changes.merged.map { ($0.from, $0.into) }, uniquingKeysWith: { $1 })
        for item in waiting {
            var profile = item.profile
            while let into = survivors[profile], into != profile { profile = into }
            try fire(
                item.trigger, profile: profile, event: item.event, audience: nil,
                cause: ["record", String(item.sequence)], in: connection)
        }
    }

    // MARK: - Membership listener

    func membershipChanged(_ change: MembershipChange, audience: String, in connection: SQLiteConnection) throws {
        try nextListener?.membershipChanged(change, audience: audience, in: connection)
        for trigger in byAudience[audience] ?? [] {
            switch (trigger.moment, change.change) {
            case (.audienceEntered, .realized), (.audienceExited, .exited):
                try fire(
                    trigger, profile: change.profileID, event: nil, audience: (change.audienceID, audience),
                    cause: ["history", String(change.id)], in: connection)
            default: continue
            }
        }
    }

    // MARK: - Firing

    /// Checks the trigger's condition for the profile and writes its delivery.
    private func fire(
        _ trigger: Trigger, profile: Int64, event: String?, audience: (id: Int64, name: String)?, cause: [String],
        in connection: SQLiteConnection
    ) throws {
        guard let destination = try destinations.destination(id: trigger.destinationID),
            let view = try profiles.view(of: profile, in: connection)
        else { return }
        if let condition = trigger.condition {
            let facts = ProfileFacts(
                attributes: view.attributes, computed: view.computed, identityNamespaces: view.identityNamespaces,
                consent: view.consent.compactMapValues { ConsentAnswer(rawValue: $0.rawValue) },
                memberships: try Self.memberships(of: profile, in: connection), history: EventList([]))
            guard AudienceEvaluator.holds(condition, for: facts, at: clock.now()) else { return }
        }
        let input = MappingInput(
            profileID: profile, identities: profiles.identityValues(of: profile), attributes: view.attributes,
            computed: view.computed, audience: audience?.name, event: event ?? trigger.name)
        let key = OutboxEntry.key(destinationID: destination.id, cause: ["trigger", String(trigger.id)] + cause)
        _ = try outbox.enqueue(
            OutboxEntry(
                destinationID: destination.id, idempotencyKey: key, reason: OutboxEntry.reason(trigger: trigger.name),
                profileID: profile, audienceID: audience?.id, triggerID: trigger.id,
                payload: destination.settings.mapping.payload(for: input), createdAt: clock.now()),
            in: connection)
    }

    /// The names of the audiences the profile is a member of, as this transaction left them.
    private static func memberships(of profile: Int64, in connection: SQLiteConnection) throws -> Set<String> {
        let select = try connection.prepare(
            """
            SELECT a.name FROM audience_members m JOIN audiences a ON a.id = m.audience_id
            WHERE m.profile_id = ?1 AND m.status != 'exited'
            """)
        try select.bind(profile, at: 1)
        return Set(try select.query { $0.string(at: 0) })
    }

    /// A track or XDM record as rules see an event: Segment `properties` and `context`, or the XDM
    /// record itself, as the audience engine reads them.
    private static func event(of record: StoredRecordReference, named name: String, document: JSONNode)
        -> AudienceEvent?
    {
        let kind = record.record.kind
        guard kind == "track" || kind.hasPrefix("xdm") else { return nil }
        let time = record.record.timestamp
        guard kind == "track" else {
            return AudienceEvent(name: name, time: time, sequence: record.sequence, properties: document.value)
        }
        return AudienceEvent(
            name: name, time: time, sequence: record.sequence, properties: document.member("properties")?.value ?? [:],
            context: document.member("context")?.value ?? [:])
    }

    // MARK: - Managing triggers

    /// Stores a new trigger and starts firing it with the next commit.
    ///
    /// - Throws: `ActivationError` of kind `notFound` for an unknown destination, `conflict` for a name
    ///   in use; `RouteFailure.invalid` for an audience that does not exist.
    func create(_ trigger: Trigger, knownAudiences: Set<String>) async throws -> Trigger {
        guard try destinations.destination(id: trigger.destinationID) != nil else {
            throw ActivationError(.notFound, field: "destinationId", "no destination has that id")
        }
        if let unknown = trigger.audienceNames.subtracting(knownAudiences).sorted().first {
            throw RouteFailure.invalid("no audience is named \"\(unknown)\"", field: "audience")
        }
        return try await store.transaction { connection in
            let exists = try connection.prepare("SELECT 1 FROM activation_triggers WHERE name = ?1")
            try exists.bind(trigger.name, at: 1)
            guard try exists.queryFirst({ _ in true }) == nil else {
                throw ActivationError(.conflict, field: "name", "a trigger with that name exists")
            }
            let insert = try connection.prepare(
                "INSERT INTO activation_triggers (name, definition, created_at) VALUES (?1, ?2, ?3)")
            try insert.bind(trigger.name, at: 1)
            try insert.bind(trigger.json.serialized, at: 2)
            try insert.bind(trigger.createdAt.milliseconds, at: 3)
            try insert.run()
            var stored = trigger
            stored.id = connection.lastInsertRowID
            self.install(try Self.readAll(in: connection).filter { $0.id != stored.id } + [stored])
            return stored
        }
    }

    /// Deletes a trigger; it fires no more from the next commit.
    ///
    /// - Returns: Whether there was such a trigger.
    func delete(id: Int64) async throws -> Bool {
        try await store.transaction { connection in
            let delete = try connection.prepare("DELETE FROM activation_triggers WHERE id = ?1")
            try delete.bind(id, at: 1)
            try delete.run()
            let removed = connection.changes > 0
            self.install(try Self.readAll(in: connection))
            return removed
        }
    }

    /// Every trigger, in id order.
    func list() throws -> [Trigger] {
        try store.read { connection in try Self.readAll(in: connection) }
    }

    /// The trigger with id `id`, if any.
    func trigger(id: Int64) throws -> Trigger? {
        try store.read { connection in try Self.read(id: id, in: connection) }
    }

    private func install(_ triggers: [Trigger]) {
        byEvent = [:]
        byAudience = [:]
        for trigger in triggers {
            switch trigger.moment {
            case .event(let event): byEvent[event.event, default: []].append((trigger, EventMatcher(event.atom)))
            case .audienceEntered(let name), .audienceExited(let name): byAudience[name, default: []].append(trigger)
            }
        }
    }

    private static func readAll(in connection: SQLiteConnection) throws -> [Trigger] {
        let select = try connection.prepare(
            "SELECT id, definition, created_at FROM activation_triggers ORDER BY id", cached: false)
        return try select.query(trigger(from:))
    }

    /// The stored trigger with id `id`, if any; usable on any connection.
    static func read(id: Int64, in connection: SQLiteConnection) throws -> Trigger? {
        let select = try connection.prepare("SELECT id, definition, created_at FROM activation_triggers WHERE id = ?1")
        try select.bind(id, at: 1)
        return try select.queryFirst(trigger(from:))
    }

    private static func trigger(from row: SQLiteStatement) throws -> Trigger {
        let definition = try JSONValue(parsing: Array(row.string(at: 1).utf8))
        return try Trigger(json: definition, id: row.int64(at: 0), createdAt: Timestamp(milliseconds: row.int64(at: 2)))
    }
}
