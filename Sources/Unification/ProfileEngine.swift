import Identity
import JSONParsing
import PhoneNumbers
import Profiles
import Storage
import Synchronization
import TesseraCore

/// Keeps the identity graph and the unified profiles, in the same transaction as the records.
///
/// A commit participant of the single writer: for every stored record it extracts and normalises
/// the identities, lets the graph decide (link, refuse, merge, evict), appends the graph's log
/// entries, and updates the profile the record belongs to — its identities, the fragment of the
/// record's source, its computed attributes and its timeline. A crash therefore never leaves a
/// record without its profile change, or the reverse; and a record is visible in its profile as
/// soon as its request is acknowledged.
///
/// The graph lives in memory and is rebuilt from `identity_log` when the store opens.
///
/// `@unchecked Sendable`: all mutable state (the graph, the parser, the profile cache, `loaded`,
/// `generation`, the pending changes) is touched only on the store's writer thread — by
/// `apply(stored:in:)`, which the writer calls, and by the bodies this type passes to
/// `Store.transaction`, which the writer runs. `observer` is set once, before the store serves.
public final class ProfileEngine: CommitParticipant, @unchecked Sendable {
    /// Rules and policies, with the defaults a first-time user gets.
    public struct Configuration: Sendable {
        public var rules = IdentityRules.defaults
        public var mergePolicies = MergePolicies.defaults
        public var computed = ComputedAttributes.Configuration.standard
        public var fragmentLimits = ProfileFragments.Limits.standard
        /// How consent is read from records and what holds when nobody answered.
        public var consent = ConsentConfiguration.standard
        /// How many profiles' state the writer keeps decoded between commits (a few KB each).
        public var cachedProfiles = 100_000
        /// How many bytes of rendered profile documents readers keep (about 1 KB per profile), so
        /// that reading a profile nothing changed since costs two indexed reads and no rendering.
        public var documentCacheBytes = 1 << 30

        public init() {}
    }

    public let configuration: Configuration
    public let normalizer: IdentityNormalizer
    /// The wall clock for the times the engine stamps and for consent expiry.
    public let clock: any WallClock
    var graph: IdentityGraph
    private let parser = JSONParser()
    /// Parsers for preparing a commit's records on several threads at once.
    private let parsers = JSONParserPool(maximumIdleParsers: 4)
    var cache: [Int64: ProfileState] = [:]
    /// Each profile's effective answer for `collect`, as enforcement last read it, and until when
    /// (milliseconds) it holds: an answer with an expiry stops holding then.
    var collectAnswers: [Int64: (value: ConsentValue, until: Int64)] = [:]
    /// Behavioural records not stored because their profile refused collection.
    public let consentSuppressed = Atomic<Int>(0)
    private var loaded = false
    /// How many transactions have changed the graph or the cache; each writes it to `profile_engine`
    /// (see `begin(in:)`), so a stored value that differs means one of them was rolled back.
    private var generation: Int64 = 0
    private let logger: Logger
    /// What the current transaction changed, handed to `observer` when it ends.
    private var changes = ProfileChanges()
    /// Hears every change in its transaction; set before the store serves, never after.
    public var observer: (any ProfileObserver)?
    /// Identities erased by privacy deletes, whose records are dropped; set before the store serves.
    public var suppressions: SuppressionList?

    /// Creates the engine; `clock` dates what the engine itself stamps (profile updates, manual
    /// unlinks) and decides when consent answers expire.
    public init(
        configuration: Configuration = Configuration(), logger: Logger = Logger(label: "tessera.profiles"),
        clock: any WallClock = SystemClock()
    ) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        normalizer = IdentityNormalizer(rules: configuration.rules, phones: PhoneNumberFormatter())
        graph = IdentityGraph(rules: configuration.rules, retainsLog: false)
    }

    /// Creates the tables and rebuilds the graph from the log; call once through `Store.transaction`
    /// before serving (it also runs on the first commit otherwise).
    ///
    /// Once loaded, it only checks that the store holds what the engine's memory does: when a
    /// transaction the engine changed its memory in was rolled back (a later participant or the
    /// commit failed), the graph is rebuilt from the log and the cached profiles are dropped.
    public func load(in connection: SQLiteConnection) throws {
        if loaded {
            // Unreadable when the transaction that first created the tables was rolled back: then
            // too the memory is ahead of the store, and the reload below creates them again.
            guard (try? ProfileSchema.generation(in: connection)) != generation else { return }
            logger.warning("a rolled-back commit left the identity graph ahead of the store; rebuilding it")
            graph = IdentityGraph(rules: configuration.rules, retainsLog: false)
            cache.removeAll()
            collectAnswers.removeAll()
        }
        try ProfileSchema.create(in: connection)
        try suppressions?.load(in: connection)
        let statement = try connection.prepare("SELECT entry FROM identity_log ORDER BY sequence", cached: false)
        var entries: [LogEntry] = []
        while try statement.step() {
            entries.append(try LogEntry(stored: statement.blob(at: 0)))
            if entries.count == 10_000 {
                graph.replay(entries)
                entries.removeAll(keepingCapacity: true)
            }
        }
        graph.replay(entries)
        try reserveErasedCounters(in: connection)
        generation = try ProfileSchema.generation(in: connection)
        loaded = true
        logger.info(
            "identity graph rebuilt",
            metadata: ["identities": "\(graph.identityCount)", "profiles": "\(graph.profileCount)"])
    }

    // MARK: - Commit participant

    public func apply(stored: [StoredRecordReference], in connection: SQLiteConnection) throws {
        try begin(in: connection)
        var dirty: Set<Int64> = []
        for reference in stored {
            // Records submitted through the store arrive prepared; others are prepared here.
            guard let prepared = reference.prepared as? PreparedRecord ?? prepared(reference.record) else { continue }
            try unify(reference, prepared, in: connection, dirty: &dirty)
        }
        try saveStates(dirty, in: connection)
        try notify(in: connection)
        trimCache()
    }

    /// Marks a profile's consent as changed in this transaction.
    func noteConsentChanged(_ profile: Int64) {
        changes.consentChanged.insert(profile)
        changes.touched.insert(profile)
    }

    /// Hands the transaction's changes to the observer.
    func notify(in connection: SQLiteConnection) throws {
        let changes = self.changes
        self.changes = ProfileChanges()
        guard let observer, !changes.isEmpty else { return }
        try observer.finished(changes, engine: self, in: connection)
    }

    /// A profile as rules read it, from the writer's cache or the store; `nil` for a profile that
    /// does not exist. Parts not asked for are left empty. Call only on the writer thread (inside
    /// `Store.transaction` or an observer).
    public func view(
        of profile: Int64, attributes: Bool = true, computed: Bool = true, in connection: SQLiteConnection
    ) throws -> ProfileView? {
        let identities = graph.identities(in: ProfileID(rawValue: profile))
        guard !identities.isEmpty else { return nil }
        let consent = try Self.consentAnswers(of: profile, at: clock.now(), in: connection)
        var view = ProfileView(
            attributes: [:], computed: [:], identityNamespaces: Set(identities.map(\.identity.namespace)),
            consent: consent.answers, consentExpiresAt: consent.nextExpiry)
        guard attributes || computed else { return view }
        let state = try self.state(of: profile, in: connection)
        if computed { view.computed = state.computed.json }
        if attributes {
            let policy = configuration.mergePolicies.defaultPolicy
            view.attributes =
                state.fragments.merged(using: policy, sourceNames: try sourceNames(in: connection)).attributes
        }
        return view
    }

    /// Source id → name, for merge policies that rank sources by name.
    private func sourceNames(in connection: SQLiteConnection) throws -> [Int64: String] {
        let names = try connection.prepare("SELECT id, name FROM sources")
        return Dictionary(uniqueKeysWithValues: try names.query { ($0.int64(at: 0), $0.string(at: 1)) })
    }

    /// The values of a profile's identities by namespace, highest priority first. Call only on the
    /// writer thread.
    public func identityValues(of profile: Int64) -> [String: [String]] {
        var values: [String: [String]] = [:]
        for state in graph.identities(in: ProfileID(rawValue: profile)) {
            values[state.identity.namespace, default: []].append(state.identity.value)
        }
        return values
    }

    /// Every live profile id, from the graph. Call only on the writer thread.
    public var profileIDs: [Int64] { graph.profiles.map(\.rawValue) }

    /// What a record says before the graph and the profiles take it in, worked out on the thread
    /// that submits it (see ``prepared(_:)``).
    public func prepare(_ record: IncomingRecord) -> (any Sendable)? { prepared(record) }

    /// What a record says before the graph and the profiles take it in: its parsed body, its
    /// normalised identities and its consent answers. Reads nothing the writer changes, so it runs
    /// on any thread; nil for a body that does not parse.
    private func prepared(_ record: IncomingRecord) -> PreparedRecord? {
        guard let document = try? parsers.withParser({ try $0.parse(record.body) }) else { return nil }
        let extraction = IdentityExtractor.extract(kind: record.kind, record: document.root, rules: configuration.rules)
        return PreparedRecord(
            document: document, identities: normalizer.normalise(extraction).identities,
            consent: ConsentExtractor.extract(
                kind: record.kind, record: document.root, time: record.timestamp, configuration: configuration.consent))
    }

    /// Resolves one record's identities and applies it to its profile.
    private func unify(
        _ reference: StoredRecordReference, _ prepared: PreparedRecord, in connection: SQLiteConnection,
        dirty: inout Set<Int64>
    ) throws {
        let record = reference.record
        let document = prepared.document
        let identities = prepared.identities
        // Only identities the graph does not hold can be suppressed: erasure took those out of it.
        if let suppressions, suppressions.count > 0,
            suppressions.suppresses(identities.filter { !graph.contains($0) })
        {
            return try dropSuppressed(reference.sequence, in: connection)
        }
        let provenance = Provenance(
            record: reference.sequence, source: record.sourceID, rule: "record", time: record.timestamp)
        let resolution = graph.observe(identities, provenance: provenance)
        try persistEntries(resolution.entries, in: connection)
        for merged in resolution.merges {
            try merge(merged.from.rawValue, into: merged.into.rawValue, in: connection, dirty: &dirty)
        }
        for split in resolution.splits {
            try apply(split, in: connection, dirty: &dirty)
        }
        guard let profile = resolution.profile?.rawValue else { return }
        let changed = ProfileEngine.identitiesChanged(by: resolution.entries)
        let owners = try recordIdentities(
            resolution.identities.filter(changed.contains), time: record.timestamp, in: connection)
        if !changed.isEmpty { changes.identitiesChanged.insert(profile) }
        changes.identitiesChanged.formUnion(owners)
        for owner in owners where owner != profile {
            // Another profile's identity rows changed (a refused identity was seen): its document
            // changed too, so its state is saved with this commit's version.
            cache[owner] = try state(of: owner, in: connection)
            dirty.insert(owner)
        }
        let consent = prepared.consent
        if !consent.isEmpty {
            try recordConsent(
                consent, profile: profile, source: record.sourceID, record: reference.sequence, in: connection)
            changes.consentChanged.insert(profile)
        } else if Self.isBehavioural(record.kind), try refusesCollection(profile, in: connection) {
            try suppress(reference.sequence, in: connection)
            if !changed.isEmpty { changes.touched.insert(profile) }
            return
        }
        if cache[profile] == nil {
            if let stored = try storedState(of: profile, in: connection) {
                cache[profile] = stored
            } else {
                changes.created.insert(profile)
            }
        }
        let anchor = anchorIdentity(of: resolution)?.description ?? ""
        let timeline = try connection.prepare(
            "INSERT OR IGNORE INTO event_profiles (profile_id, sequence, anchor) VALUES (?1, ?2, ?3)")
        try timeline.bind(profile, at: 1)
        try timeline.bind(reference.sequence, at: 2)
        try timeline.bind(anchor, at: 3)
        try timeline.run()
        // Changed in place in the cache, so that the state's dictionaries are not copied on write.
        let applied = cache[profile, default: emptyState()].observe(
            kind: record.kind, record: document.root, source: record.sourceID, time: record.timestamp)
        if applied.attributesChanged { changes.attributesChanged.insert(profile) }
        dirty.insert(profile)
        changes.touched.insert(profile)
        try observer?.applied(reference, document: document.root, to: profile, in: connection)
    }

    /// The identities whose row needs writing: new ones, newly linked ones, and ones the graph saw
    /// again after its touch interval. A record that only repeats known identities writes none, so
    /// `last_seen` is as precise as the graph's touch interval (a day by default).
    static func identitiesChanged(by entries: [LogEntry]) -> Set<Identity> {
        var changed: Set<Identity> = []
        for entry in entries {
            switch entry.change {
            case .touched(let identity), .created(_, let identity): changed.insert(identity)
            case .linked(let a, let b), .cooccurred(let a, with: let b):
                changed.insert(a)
                changed.insert(b)
            default: break
            }
        }
        return changed
    }

    /// Loads the graph if needed and marks the transaction as one that changes the engine's memory.
    ///
    /// The new generation is counted in memory before it is written, so that a rollback of this
    /// transaction, whatever fails, leaves the store's count behind the engine's and the next
    /// `load(in:)` rebuilds.
    func begin(in connection: SQLiteConnection) throws {
        try load(in: connection)
        changes = ProfileChanges()
        generation += 1
        try ProfileSchema.setGeneration(generation, in: connection)
    }

    /// Appends the graph's decisions to the identity log.
    func persistEntries(_ entries: [LogEntry], in connection: SQLiteConnection) throws {
        guard !entries.isEmpty else { return }
        let insert = try connection.prepare("INSERT INTO identity_log (sequence, entry) VALUES (?1, ?2)")
        for entry in entries {
            try insert.bind(entry.sequence, at: 1)
            try insert.bind(entry.encoded, at: 2)
            try insert.run()
        }
    }

    /// The identity that placed the record: its highest-priority identity that is not shared, as the
    /// graph chose it (or the first when all are shared). Its events follow it when a profile splits.
    private func anchorIdentity(of resolution: Resolution) -> Identity? {
        resolution.identities.first { graph.state(of: $0)?.isShared == false } ?? resolution.identities.first
    }

    /// Records which profile each identity belongs to (a refused identity keeps its own), with when it
    /// was first and last seen. An identity evicted by this very record belongs to none and is skipped:
    /// its row was deleted with the eviction.
    /// - Returns: the profiles whose identity rows were written.
    private func recordIdentities(
        _ identities: [Identity], time: Timestamp, in connection: SQLiteConnection
    ) throws -> Set<Int64> {
        var owners: Set<Int64> = []
        let upsert = try connection.prepare(
            """
            INSERT INTO identities (namespace, value, profile_id, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)
            ON CONFLICT (namespace, value) DO UPDATE SET profile_id = excluded.profile_id,
                first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)
            """)
        for identity in identities {
            guard let owner = graph.profile(of: identity)?.rawValue else { continue }
            try upsert.bind(identity.namespace, at: 1)
            try upsert.bind(identity.value, at: 2)
            try upsert.bind(owner, at: 3)
            try upsert.bind(time.milliseconds, at: 4)
            try upsert.run()
            owners.insert(owner)
        }
        return owners
    }

    /// Moves everything of profile `from` into `into`, which survives; `from`'s id redirects.
    private func merge(_ from: Int64, into: Int64, in connection: SQLiteConnection, dirty: inout Set<Int64>) throws {
        for sql in [
            "UPDATE identities SET profile_id = ?2 WHERE profile_id = ?1",
            "UPDATE event_profiles SET profile_id = ?2 WHERE profile_id = ?1",
            "UPDATE profile_redirects SET target = ?2 WHERE target = ?1",
            "INSERT OR REPLACE INTO profile_redirects (profile_id, target) VALUES (?1, ?2)",
        ] {
            let statement = try connection.prepare(sql)
            try statement.bind(from, at: 1)
            try statement.bind(into, at: 2)
            try statement.run()
        }
        var survivor = try state(of: into, in: connection)
        survivor.absorb(try state(of: from, in: connection))
        cache[into] = survivor
        cache[from] = nil
        dirty.remove(from)
        dirty.insert(into)
        try mergeConsent(from, into: into, in: connection)
        changes.merged.append((from: from, into: into))
        changes.touched.remove(from)
        changes.touched.insert(into)
        changes.identitiesChanged.insert(into)
        changes.attributesChanged.insert(into)
        let delete = try connection.prepare("DELETE FROM profiles WHERE profile_id = ?1")
        try delete.bind(from, at: 1)
        try delete.run()
    }

    /// Gives the identities of each new part their profile, moves the events anchored on them, and
    /// recomputes every part's state from its events.
    func apply(_ split: Split, in connection: SQLiteConnection, dirty: inout Set<Int64>) throws {
        guard let original = split.profile?.rawValue, split.changed else { return }
        let assign = try connection.prepare("UPDATE identities SET profile_id = ?3 WHERE namespace = ?1 AND value = ?2")
        let move = try connection.prepare(
            "UPDATE event_profiles SET profile_id = ?3 WHERE profile_id = ?1 AND anchor = ?2")
        for part in split.parts where part.profile.rawValue != original {
            for identity in part.identities {
                try assign.bind(identity.namespace, at: 1)
                try assign.bind(identity.value, at: 2)
                try assign.bind(part.profile.rawValue, at: 3)
                try assign.run()
                try move.bind(original, at: 1)
                try move.bind(identity.description, at: 2)
                try move.bind(part.profile.rawValue, at: 3)
                try move.run()
            }
        }
        let detach = try connection.prepare("DELETE FROM identities WHERE namespace = ?1 AND value = ?2")
        for identity in split.detached {
            try detach.bind(identity.namespace, at: 1)
            try detach.bind(identity.value, at: 2)
            try detach.run()
        }
        for profile in Set([original] + split.parts.map(\.profile.rawValue)) {
            cache[profile] = try rebuiltState(of: profile, in: connection)
            dirty.insert(profile)
            changes.rebuilt.insert(profile)
            changes.touched.insert(profile)
        }
    }

    /// A profile's state recomputed from the events on its timeline.
    ///
    /// - Complexity: O(events of the profile); used only when a profile splits.
    private func rebuiltState(of profile: Int64, in connection: SQLiteConnection) throws -> ProfileState {
        var state = emptyState()
        let events = try connection.prepare(
            """
            SELECT \(Store.qualifiedEventColumns) FROM event_profiles p JOIN events e ON e.sequence = p.sequence
            WHERE p.profile_id = ?1 ORDER BY e.sequence
            """, cached: false)
        try events.bind(profile, at: 1)
        for event in try events.query({ Store.event(from: $0) }) {
            guard let document = try? parser.parse(event.body) else { continue }
            _ = state.observe(
                kind: event.kind, record: document.root, source: event.sourceID, time: event.timestamp)
        }
        return state
    }

    private func emptyState() -> ProfileState {
        ProfileState(
            fragments: ProfileFragments(limits: configuration.fragmentLimits),
            computed: ComputedAttributes(configuration: configuration.computed))
    }

    /// The profile's state from the cache, the store, or empty for a new profile.
    func state(of profile: Int64, in connection: SQLiteConnection) throws -> ProfileState {
        if let cached = cache[profile] { return cached }
        return try storedState(of: profile, in: connection) ?? emptyState()
    }

    /// The profile's state as the store holds it; nil when the store holds none.
    private func storedState(of profile: Int64, in connection: SQLiteConnection) throws -> ProfileState? {
        let select = try connection.prepare("SELECT fragments, computed FROM profiles WHERE profile_id = ?1")
        try select.bind(profile, at: 1)
        return try select.queryFirst { row in
            try ProfileState(fragments: row.blob(at: 0), computed: row.blob(at: 1), configuration: configuration)
        }
    }

    /// Writes the changed profiles' state once per commit.
    func saveStates(_ dirty: Set<Int64>, in connection: SQLiteConnection) throws {
        let upsert = try connection.prepare(
            """
            INSERT INTO profiles (profile_id, fragments, computed, updated_at, version) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (profile_id) DO UPDATE SET fragments = excluded.fragments, computed = excluded.computed,
                updated_at = excluded.updated_at, version = excluded.version
            """)
        let now = clock.now().milliseconds
        let states = dirty.compactMap { profile in cache[profile].map { (profile, $0) } }
        let encoded = states.concurrentMap { ($0.1.encodedFragments, $0.1.encodedComputed) }
        for ((profile, _), (fragments, computed)) in zip(states, encoded) {
            try upsert.bind(profile, at: 1)
            try upsert.bind(fragments, at: 2)
            try upsert.bind(computed, at: 3)
            try upsert.bind(now, at: 4)
            try upsert.bind(generation, at: 5)
            try upsert.run()
        }
    }

    /// Keeps the decoded cache within its bound by dropping a quarter of it; what leaves it is safely
    /// stored (this runs after the commit's states were written). Dropping a quarter at a time keeps
    /// the rest warm, where clearing everything made every record after the bound a cache miss.
    private func trimCache() {
        guard cache.count > configuration.cachedProfiles else { return }
        let dropped = Array(cache.keys.prefix(cache.count / 4))
        for profile in dropped {
            cache[profile] = nil
        }
    }
}

/// One record as `ProfileEngine.prepare` read it, ready for the sequential part of a commit.
///
/// A class so that handing it through the store as `any Sendable` and back costs one reference,
/// not a copy of every field.
final class PreparedRecord: Sendable {
    let document: JSONDocument
    let identities: [Identity]
    let consent: [ConsentUpdate]

    init(document: JSONDocument, identities: [Identity], consent: [ConsentUpdate]) {
        self.document = document
        self.identities = identities
        self.consent = consent
    }
}
