import Audiences
import JSONParsing
public import Storage
public import Synchronization
public import TesseraCore
public import Unification

/// Keeps audience membership in step with profiles, in the same transaction as the change that
/// moved it.
///
/// A `ProfileObserver` of the profile engine: each record applied to a profile feeds the profile's
/// streaming state (only the atoms and sequences active audiences ask about); when the transaction's
/// changes are complete, each changed profile is evaluated again for the audiences the change can
/// affect (by event name, attributes, identities; and the audiences that refer to those), in
/// dependency order. Entries and exits are written to `audience_members` and `audience_history`, and
/// the next moment a sliding window lets an event go is written to `audience_schedule`, so that the
/// scheduler makes the profile leave exactly then, across restarts.
///
/// `@unchecked Sendable`: all mutable state (definitions, plan, caches, pending changes,
/// `generation`) is touched only on the store's writer thread: by the observer calls, which the
/// profile engine makes there, and by the bodies passed to `Store.transaction`, which the writer runs.
public final class AudienceEngine: ProfileObserver, @unchecked Sendable {
    let store: Store
    let profiles: ProfileEngine
    let clock: any WallClock
    let logger: Logger
    private let parser = JSONParser()

    var definitions: [Int64: AudienceDefinition] = [:]
    var plan: StreamingPlan
    /// The stored ids of the plan's atoms and sequences.
    var keys = StoredKeys(atomIDs: [], sequenceIDs: [])
    var states: [Int64: StreamingState] = [:]
    /// Memberships by profile, then audience id, as the store holds them (exited ones included).
    var membershipCache: [Int64: [Int64: Membership]] = [:]
    /// The due moment last written for each profile (`Int64.min` for none), to skip rewriting it.
    var scheduled: [Int64: Int64] = [:]
    /// Profiles whose cached state changed in the current transaction and must be written.
    var changedStates: Set<Int64> = []
    private var loaded = false
    private var generation: Int64 = 0
    /// Per profile: what changed in the current transaction, and the record that changed it last.
    private var pending: [Int64: (change: StreamingPlan.Change, record: Int64?)] = [:]
    /// How many profiles' streaming state the writer keeps decoded between commits.
    public var cachedStates = 100_000
    /// Hears every entry and exit in the transaction that records it; set before serving.
    public var listener: (any MembershipListener)?
    /// How old a snapshot size estimates may read; set before serving.
    public var estimateSnapshotAge: Duration = .seconds(60)
    /// The snapshot size estimates read, shared with request threads.
    let estimates = Mutex<EstimateSnapshot?>(nil)
    /// Work done while records commit, for metrics and benchmarks.
    public let statistics = Statistics()

    /// Counters of the engine's work inside commits; readable from any thread.
    public final class Statistics: Sendable {
        /// Records applied to profiles.
        public let records = Atomic<Int>(0)
        /// Rules evaluated for one profile.
        public let evaluations = Atomic<Int>(0)
        /// Nanoseconds spent in the engine while records commit (applying them and evaluating).
        public let nanoseconds = Atomic<Int>(0)

        func add(records: Int = 0, evaluations: Int = 0, since start: ContinuousClock.Instant) {
            let elapsed = ContinuousClock.now - start
            let nanoseconds =
                Int(elapsed.components.seconds) * 1_000_000_000
                + Int(elapsed.components.attoseconds / 1_000_000_000)
            self.records.add(records, ordering: .relaxed)
            self.evaluations.add(evaluations, ordering: .relaxed)
            self.nanoseconds.add(nanoseconds, ordering: .relaxed)
        }
    }

    /// Creates the engine and makes itself the profile engine's observer.
    public init(
        store: Store, profiles: ProfileEngine, clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "tessera.audiences")
    ) {
        self.store = store
        self.profiles = profiles
        self.clock = clock
        self.logger = logger
        plan = try! StreamingPlan(audiences: [])  // an empty set has no dependencies to refuse
        profiles.observer = self
    }

    /// Creates the tables and reads the audiences; call once through `Store.transaction` before
    /// serving. When a transaction that changed the engine's memory was rolled back, it reloads.
    public func load(in connection: SQLiteConnection) throws {
        if loaded, (try? SegmentationSchema.generation(in: connection)) == generation { return }
        try SegmentationSchema.create(in: connection)
        states.removeAll()
        membershipCache.removeAll()
        scheduled.removeAll()
        changedStates.removeAll()
        pending.removeAll()
        let select = try connection.prepare("SELECT id, name, rule FROM audiences", cached: false)
        var definitions: [Int64: AudienceDefinition] = [:]
        for (id, name, text) in try select.query({ ($0.int64(at: 0), $0.string(at: 1), $0.string(at: 2)) }) {
            definitions[id] = AudienceDefinition(id: id, name: name, rule: try AudienceParser.parse(text))
        }
        try install(definitions, in: connection)
        generation = try SegmentationSchema.generation(in: connection)
        loaded = true
    }

    /// Marks the transaction as one that changes the engine's memory (see `load(in:)`).
    func begin(in connection: SQLiteConnection) throws {
        try load(in: connection)
        generation += 1
        try SegmentationSchema.setGeneration(generation, in: connection)
    }

    /// Makes `definitions` the active audiences, giving stored ids to atoms and sequences new to
    /// the store.
    func install(_ definitions: [Int64: AudienceDefinition], in connection: SQLiteConnection) throws {
        plan = try StreamingPlan(audiences: Array(definitions.values))
        keys = StoredKeys(
            atomIDs: try SegmentationSchema.ids(of: plan.atomKeys, in: connection),
            sequenceIDs: try SegmentationSchema.ids(of: plan.sequenceKeys, in: connection))
        self.definitions = definitions
        // Cached states are numbered by the previous plan, and memberships may name audiences that
        // are gone; the store holds both.
        states.removeAll()
        membershipCache.removeAll()
    }

    // MARK: - Profile observer

    public func applied(
        _ record: StoredRecordReference, document: JSONNode, to profile: Int64, in connection: SQLiteConnection
    ) throws {
        let started = ContinuousClock.now
        defer { statistics.add(records: 1, since: started) }
        var entry = pending[profile] ?? (StreamingPlan.Change(), nil)
        entry.record = record.sequence
        entry.change.computed = true
        defer { pending[profile] = entry }
        guard let event = Self.event(of: record, document: document, plan: plan) else { return }
        entry.change.events.insert(event.name)
        try load(in: connection)
        var state = try takeState(of: profile, in: connection)
        if state.observe(event, plan: plan, at: clock.now()) { changedStates.insert(profile) }
        states[profile] = state
    }

    public func finished(_ changes: ProfileChanges, engine: ProfileEngine, in connection: SQLiteConnection) throws {
        let started = ContinuousClock.now
        defer {
            pending.removeAll()
            statistics.add(since: started)
        }
        try begin(in: connection)
        let now = clock.now()
        for (from, into) in changes.merged {
            try merge(from, into: into, at: now, in: connection)
        }
        for profile in changes.rebuilt {
            states[profile] = try rebuiltState(of: profile, at: now, in: connection)
            changedStates.insert(profile)
        }
        var profilesToEvaluate = changes.touched.union(changes.rebuilt)
        profilesToEvaluate.formUnion(changes.merged.map(\.into))
        for profile in profilesToEvaluate.sorted() {
            var change = pending[profile]?.change ?? StreamingPlan.Change()
            change.computed = true
            change.attributes = changes.attributesChanged.contains(profile)
            change.identities = changes.identitiesChanged.contains(profile)
            change.consent = changes.consentChanged.contains(profile)
            change.created = changes.created.contains(profile)
            change.everything = changes.rebuilt.contains(profile) || changes.merged.contains { $0.into == profile }
            let cause =
                changes.rebuilt.contains(profile)
                ? "split" : pending[profile]?.record.map { "record \($0)" } ?? "change"
            try evaluate(profile, change: change, at: now, cause: cause, in: connection)
        }
        try saveChangedStates(in: connection)
        trimCache()
    }

    // MARK: - Evaluation

    /// Evaluates the audiences `change` can affect for one profile at `now`, writes entries and
    /// exits, and schedules the next moment time alone can change its membership.
    func evaluate(
        _ profile: Int64, change: StreamingPlan.Change, at now: Timestamp, cause: String,
        in connection: SQLiteConnection
    ) throws {
        let positions = plan.affected(by: change)
        guard !positions.isEmpty else { return }
        let reads = plan.reads(positions)
        guard
            let view = try profiles.view(
                of: profile, attributes: reads.attributes, computed: reads.computed, in: connection)
        else { return }
        var state = try takeState(of: profile, in: connection)
        if state.prune(at: now) { changedStates.insert(profile) }
        states[profile] = state
        let current = try memberships(of: profile, in: connection)
        let facts = ProfileFacts(
            attributes: view.attributes, computed: view.computed, identityNamespaces: view.identityNamespaces,
            consent: Self.answers(view), history: state.history(plan: plan))
        var members = AudienceFlags(count: plan.ordered.count)
        for (id, membership) in current where membership.status != .exited {
            if let position = plan.position(of: id) { members.set(position, true) }
        }
        statistics.evaluations.add(positions.count, ordering: .relaxed)
        for position in positions {
            let audience = plan.ordered[position]
            let holds = plan.compiled[position].holds(for: facts, members: members, state: state, plan: plan, at: now)
            let was = members.contains(position)
            members.set(position, holds)
            switch (was, holds) {
            case (false, true):
                try record(.realized, audience: audience.id, profile: profile, at: now, cause: cause, in: connection)
            case (true, false):
                try record(.exited, audience: audience.id, profile: profile, at: now, cause: cause, in: connection)
            case (true, true) where current[audience.id]?.status == .realized:
                try setStatus(.existing, audience: audience.id, profile: profile, at: now, in: connection)
            default: break
            }
        }
        var due = plan.hasSlidingWindows ? state.nextExpiry(after: now) : nil
        if plan.readsConsent, let expiry = view.consentExpiresAt { due = min(due ?? expiry, expiry) }
        try schedule(profile, due: due, in: connection)
    }

    /// Writes an entry or exit, and its history line.
    func record(
        _ change: MembershipStatus, audience: Int64, profile: Int64, at time: Timestamp, cause: String,
        in connection: SQLiteConnection
    ) throws {
        let upsert = try connection.prepare(
            """
            INSERT INTO audience_members (audience_id, profile_id, status, entered_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?4)
            ON CONFLICT (audience_id, profile_id) DO UPDATE SET status = excluded.status,
                entered_at = CASE WHEN excluded.status = 'realized' THEN excluded.entered_at ELSE entered_at END,
                updated_at = excluded.updated_at
            """)
        try upsert.bind(audience, at: 1)
        try upsert.bind(profile, at: 2)
        try upsert.bind(change.rawValue, at: 3)
        try upsert.bind(time.milliseconds, at: 4)
        try upsert.run()
        let history = try connection.prepare(
            "INSERT INTO audience_history (audience_id, profile_id, change, time, cause) VALUES (?1, ?2, ?3, ?4, ?5)")
        try history.bind(audience, at: 1)
        try history.bind(profile, at: 2)
        try history.bind(change.rawValue, at: 3)
        try history.bind(time.milliseconds, at: 4)
        try history.bind(cause, at: 5)
        try history.run()
        if let listener, let name = definitions[audience]?.name {
            let recorded = MembershipChange(
                id: connection.lastInsertRowID, audienceID: audience, profileID: profile, change: change, time: time,
                cause: cause)
            try listener.membershipChanged(recorded, audience: name, in: connection)
        }
        guard membershipCache[profile] != nil else { return }
        let entered = change == .realized ? time : membershipCache[profile]?[audience]?.enteredAt ?? time
        membershipCache[profile]?[audience] = Membership(
            audienceID: audience, profileID: profile, status: change, enteredAt: entered, updatedAt: time)
    }

    private func setStatus(
        _ status: MembershipStatus, audience: Int64, profile: Int64, at time: Timestamp,
        in connection: SQLiteConnection
    ) throws {
        let update = try connection.prepare(
            "UPDATE audience_members SET status = ?3, updated_at = ?4 WHERE audience_id = ?1 AND profile_id = ?2")
        try update.bind(audience, at: 1)
        try update.bind(profile, at: 2)
        try update.bind(status.rawValue, at: 3)
        try update.bind(time.milliseconds, at: 4)
        try update.run()
        membershipCache[profile]?[audience]?.status = status
        membershipCache[profile]?[audience]?.updatedAt = time
    }

    /// The profile's memberships by audience id, exited ones included.
    func memberships(of profile: Int64, in connection: SQLiteConnection) throws -> [Int64: Membership] {
        if let cached = membershipCache[profile] { return cached }
        let select = try connection.prepare(
            """
            SELECT audience_id, profile_id, status, entered_at, updated_at FROM audience_members
            WHERE profile_id = ?1
            """)
        try select.bind(profile, at: 1)
        let memberships = Dictionary(
            uniqueKeysWithValues: try select.query(Self.membership(from:)).map { ($0.audienceID, $0) })
        membershipCache[profile] = memberships
        return memberships
    }

    static func membership(from row: SQLiteStatement) -> Membership {
        Membership(
            audienceID: row.int64(at: 0), profileID: row.int64(at: 1),
            status: MembershipStatus(rawValue: row.string(at: 2)) ?? .exited,
            enteredAt: Timestamp(milliseconds: row.int64(at: 3)), updatedAt: Timestamp(milliseconds: row.int64(at: 4)))
    }

    /// Writes, moves or clears the moment the profile is next due.
    func schedule(_ profile: Int64, due: Timestamp?, in connection: SQLiteConnection) throws {
        // Most evaluations leave the moment unchanged; the writer remembers what it wrote last.
        let known = due?.milliseconds ?? Int64.min
        if scheduled[profile] == known { return }
        scheduled[profile] = known
        guard let due else {
            let delete = try connection.prepare("DELETE FROM audience_schedule WHERE profile_id = ?1")
            try delete.bind(profile, at: 1)
            try delete.run()
            return
        }
        let upsert = try connection.prepare(
            """
            INSERT INTO audience_schedule (profile_id, due) VALUES (?1, ?2)
            ON CONFLICT (profile_id) DO UPDATE SET due = excluded.due
            """)
        try upsert.bind(profile, at: 1)
        try upsert.bind(due.milliseconds, at: 2)
        try upsert.run()
    }

    // MARK: - Merges and splits

    /// Moves the state of a merged profile into the survivor; the merged one leaves every audience.
    private func merge(_ from: Int64, into: Int64, at now: Timestamp, in connection: SQLiteConnection) throws {
        var survivor = try state(of: into, in: connection)
        survivor.absorb(try state(of: from, in: connection))
        states[into] = survivor
        states[from] = nil
        changedStates.insert(into)
        changedStates.remove(from)
        for (audience, membership) in try memberships(of: from, in: connection) where membership.status != .exited {
            try record(.exited, audience: audience, profile: from, at: now, cause: "merge into \(into)", in: connection)
        }
        let delete = try connection.prepare("DELETE FROM audience_state WHERE profile_id = ?1")
        try delete.bind(from, at: 1)
        try delete.run()
        try schedule(from, due: nil, in: connection)
    }

    /// A profile's streaming state recomputed from its events.
    ///
    /// - Complexity: O(events of the profile with a name active audiences ask about).
    func rebuiltState(of profile: Int64, at now: Timestamp, in connection: SQLiteConnection) throws
        -> StreamingState
    {
        var state = StreamingState()
        let select = try connection.prepare(
            """
            SELECT \(Store.qualifiedEventColumns) FROM event_profiles p JOIN events e ON e.sequence = p.sequence
            WHERE p.profile_id = ?1 AND e.event_name IS NOT NULL ORDER BY e.sequence
            """, cached: false)
        try select.bind(profile, at: 1)
        for stored in try select.query({ Store.event(from: $0) }) {
            guard let name = stored.eventName, plan.asksAbout(name),
                let document = try? parser.parse(stored.body),
                let event = Self.event(of: stored.record, sequence: stored.sequence, document: document.root)
            else { continue }
            state.observe(event, plan: plan, at: now)
        }
        return state
    }

    // MARK: - Streaming state

    /// The profile's streaming state, taken out of the cache so that changing it copies nothing;
    /// put it back when done.
    func takeState(of profile: Int64, in connection: SQLiteConnection) throws -> StreamingState {
        if let cached = states.removeValue(forKey: profile) { return cached }
        return try state(of: profile, in: connection)
    }

    /// The profile's streaming state from the cache, the store, or empty.
    func state(of profile: Int64, in connection: SQLiteConnection) throws -> StreamingState {
        if let cached = states[profile] { return cached }
        let select = try connection.prepare("SELECT state FROM audience_state WHERE profile_id = ?1")
        try select.bind(profile, at: 1)
        guard let bytes = try select.queryFirst({ $0.blob(at: 0) }) else { return StreamingState() }
        do {
            return try StreamingState(stored: bytes, keys: keys)
        } catch {
            // The events are the truth; a state that cannot be read is computed again from them.
            logger.warning("unreadable audience state; rebuilding it from the profile's events")
            return try rebuiltState(of: profile, at: clock.now(), in: connection)
        }
    }

    /// Writes the states that changed in this transaction (an empty state deletes the row).
    func saveChangedStates(in connection: SQLiteConnection) throws {
        defer { changedStates.removeAll() }
        let upsert = try connection.prepare(
            """
            INSERT INTO audience_state (profile_id, state) VALUES (?1, ?2)
            ON CONFLICT (profile_id) DO UPDATE SET state = excluded.state
            """)
        let delete = try connection.prepare("DELETE FROM audience_state WHERE profile_id = ?1")
        for profile in changedStates {
            guard let state = states[profile] else { continue }
            if state.isEmpty {
                try delete.bind(profile, at: 1)
                try delete.run()
            } else {
                try upsert.bind(profile, at: 1)
                try upsert.bind(state.encoded(keys: keys), at: 2)
                try upsert.run()
            }
        }
    }

    private func trimCache() {
        if states.count > cachedStates {
            for profile in Array(states.keys.prefix(states.count / 4)) { states[profile] = nil }
        }
        if scheduled.count > cachedStates {
            for profile in Array(scheduled.keys.prefix(scheduled.count / 4)) { scheduled[profile] = nil }
        }
        if membershipCache.count > cachedStates {
            for profile in Array(membershipCache.keys.prefix(membershipCache.count / 4)) {
                membershipCache[profile] = nil
            }
        }
    }

    /// The view's consent as rules read it.
    static func answers(_ view: ProfileView) -> [String: ConsentAnswer] {
        view.consent.compactMapValues { ConsentAnswer(rawValue: $0.rawValue) }
    }

    // MARK: - Records as events

    /// The record as an event for rules, or `nil` when it is not one (no name, or no active audience
    /// asks about its name).
    static func event(of record: StoredRecordReference, document: JSONNode, plan: StreamingPlan) -> AudienceEvent? {
        guard let name = record.record.eventName, plan.asksAbout(name) else { return nil }
        return event(of: record.record, sequence: record.sequence, document: document)
    }

    /// A track or XDM record as an event: Segment `properties` and `context`, or the XDM record.
    static func event(of record: IncomingRecord, sequence: Int64, document: JSONNode) -> AudienceEvent? {
        guard let name = record.eventName, record.kind == "track" || record.kind.hasPrefix("xdm") else { return nil }
        if record.kind == "track" {
            return AudienceEvent(
                name: name, time: record.timestamp, sequence: sequence,
                properties: document.member("properties")?.value ?? [:],
                context: document.member("context")?.value ?? [:])
        }
        return AudienceEvent(name: name, time: record.timestamp, sequence: sequence, properties: document.value)
    }
}
