import Dispatch
public import Identity
import Profiles
public import Storage
public import TesseraCore

/// What erasing profiles removed from the identity graph and the profile tables.
public struct ProfileErasure: Sendable {
    /// The erased profile ids: the live ones and those merged into them earlier.
    public var profiles: Set<Int64> = []
    /// The identities the profiles held, normalised.
    public var identities: [Identity] = []
    /// The events on the profiles' timelines, for the caller to delete with their dedupe keys.
    public var events: Set<Int64> = []
    /// Rows (or graph links) removed, by store: `identities`, `links`, `identityLog`, `fragments`,
    /// `timeline`, `consents`, `consentHistory`, `redirects`.
    public var counts: [String: Int] = [:]

    /// Nothing erased yet.
    public init() {}
}

/// Erasure: privacy deletes and the retention of anonymous profiles.
///
/// The identity log is append-only in normal operation. Erasure is the one exception the law
/// requires: every entry naming an erased identity (or creating, merging into or splitting off an
/// erased profile) is deleted, and the graph is rebuilt from the entries left. The counters the old
/// graph had reached (profile ids, entry numbers) are kept in `identity_counters`, so that no id of
/// an erased profile is ever handed out again.
extension ProfileEngine {
    /// The live profile an identity belongs to, or `nil`. Writer thread only.
    public func profile(of identity: Identity) -> Int64? {
        graph.profile(of: identity)?.rawValue
    }

    /// Deletes everything the engine holds about `profiles` (live ids; others are ignored), inside
    /// the caller's writer transaction: identities and links (in memory and in the log), fragments
    /// and computed attributes, timeline rows, consent and its history, merge redirects, and the
    /// writer's cached state. The events themselves are left to the caller (see ``ProfileErasure``).
    ///
    /// With a `plan` made by ``prepareErasure(of:store:)`` that still holds, the writer only checks
    /// and replays the log entries written since the plan's snapshot; otherwise it does all the work.
    ///
    /// - Complexity: with a plan that holds, O(entries since the plan) plus the rows deleted;
    ///   without, O(identity log) to find and drop the entries and a rebuild of the graph from the
    ///   rest (as at start-up). Erase many profiles in one call rather than one call each.
    public func erase(
        _ profiles: Set<Int64>, plan: ErasurePlan? = nil, in connection: SQLiteConnection
    ) throws -> ProfileErasure {
        try begin(in: connection)
        var erasure = ProfileErasure()
        let live = Set(profiles.filter { graph.exists(ProfileID(rawValue: $0)) })
        guard !live.isEmpty else { return erasure }
        var links = 0
        for profile in live.sorted() {
            erasure.identities += graph.identities(in: ProfileID(rawValue: profile)).map(\.identity)
            links += graph.links(in: ProfileID(rawValue: profile)).count
        }
        erasure.counts["links"] = links
        erasure.profiles = live.union(try redirects(to: live, in: connection))
        erasure.events = try timeline(of: live, in: connection)
        try deleteRows(of: erasure.profiles, counts: &erasure.counts, in: connection)
        let identities = Set(erasure.identities)
        if let plan,
            let tail = try tail(of: plan, live: live, identities: identities, erased: erasure.profiles, in: connection)
        {
            try deleteLogEntries(plan.doomed, in: connection)
            erasure.counts["identityLog"] = plan.doomed.count
            erasure.identities += plan.evicted.sorted()
            let counters = try saveCounters(in: connection)
            plan.graph.replay(tail)
            plan.graph.reserve(counters)
            ErasurePlan.releaseElsewhere(graph)
            graph = plan.graph
        } else {
            let log = try doomedEntries(naming: identities, profiles: erasure.profiles, in: connection) {
                self.graph.profile(of: $0) == nil
            }
            try deleteLogEntries(log.doomed, in: connection)
            erasure.counts["identityLog"] = log.doomed.count
            erasure.identities += log.evicted.sorted()
            try rebuildGraph(in: connection)
        }
        for profile in erasure.profiles {
            cache[profile] = nil
            collectAnswers[profile] = nil
        }
        return erasure
    }

    /// Does the long part of erasing `profiles` on a read snapshot, outside the writer: finds the log
    /// entries to delete and replays the rest into a new graph. Call from any thread but the
    /// writer's; it reads the store only.
    ///
    /// - Returns: the plan, or `nil` when none of the profiles exists in the snapshot.
    /// - Complexity: O(identity log): the same work as an erasure without a plan, which the writer
    ///   then skips.
    public func prepareErasure(of profiles: Set<Int64>, store: Store) throws -> ErasurePlan? {
        try store.read { connection in
            let select = try connection.prepare("SELECT namespace, value FROM identities WHERE profile_id = ?1")
            var live: Set<Int64> = []
            var identities: Set<Identity> = []
            for profile in profiles {
                try select.bind(profile, at: 1)
                let found = try select.query { Identity(namespace: $0.string(at: 0), value: $0.string(at: 1)) }
                guard !found.isEmpty else { continue }
                live.insert(profile)
                identities.formUnion(found)
            }
            guard !live.isEmpty else { return nil }
            let erased = live.union(try redirects(to: live, in: connection))
            let last = try connection.prepare("SELECT max(sequence) FROM identity_log", cached: false)
            let through = try last.queryFirst { $0.optionalInt64(at: 0) }.flatMap { $0 } ?? 0
            let placed = try connection.prepare("SELECT 1 FROM identities WHERE namespace = ?1 AND value = ?2")
            let log = try doomedEntries(naming: identities, profiles: erased, through: through, in: connection) {
                try? placed.bind($0.namespace, at: 1)
                try? placed.bind($0.value, at: 2)
                return (try? placed.queryFirst { _ in true }) == nil
            }
            let rebuilt = IdentityGraph(rules: configuration.rules, retainsLog: false)
            let entries = try connection.prepare(
                "SELECT sequence, entry FROM identity_log WHERE sequence <= ?1 ORDER BY sequence", cached: false)
            try entries.bind(through, at: 1)
            var batch: [LogEntry] = []
            while try entries.step() {
                guard !log.doomed.contains(entries.int64(at: 0)) else { continue }
                batch.append(try LogEntry(stored: entries.blob(at: 1)))
                if batch.count == 10_000 {
                    rebuilt.replay(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            entries.reset()
            rebuilt.replay(batch)
            return ErasurePlan(
                profiles: live, erased: erased, identities: identities, evicted: log.evicted, doomed: log.doomed,
                through: through, graph: rebuilt)
        }
    }

    /// The log entries written after the plan's snapshot, when the plan still holds: the same live
    /// profiles with the same identities, evicted identities still in no profile, and none of the
    /// later entries concerning the erasure. `nil` otherwise.
    private func tail(
        of plan: ErasurePlan, live: Set<Int64>, identities: Set<Identity>, erased: Set<Int64>,
        in connection: SQLiteConnection
    ) throws -> [LogEntry]? {
        guard plan.profiles == live, plan.erased == erased, plan.identities == identities,
            plan.evicted.allSatisfy({ graph.profile(of: $0) == nil })
        else { return nil }
        let select = try connection.prepare(
            "SELECT entry FROM identity_log WHERE sequence > ?1 ORDER BY sequence", cached: false)
        try select.bind(plan.through, at: 1)
        defer { select.reset() }
        var tail: [LogEntry] = []
        while try select.step() {
            let entry = try LogEntry(stored: select.blob(at: 0))
            let named = entry.identities
            if named.contains(where: identities.contains) || named.contains(where: plan.evicted.contains)
                || Self.concerns(entry, erased)
            {
                return nil
            }
            tail.append(entry)
        }
        return tail
    }

    /// Live profiles whose identities are all in `namespaces` and none seen since `cutoff`, at most
    /// `limit` of them: anonymous visitors that never identified themselves.
    ///
    /// - Complexity: one scan of the `identities` table.
    public static func anonymousProfiles(
        notSeenSince cutoff: Timestamp, namespaces: Set<String>, limit: Int, in connection: SQLiteConnection
    ) throws -> [Int64] {
        let select = try connection.prepare(
            """
            SELECT profile_id FROM identities GROUP BY profile_id
            HAVING max(last_seen) < ?1 AND sum(namespace NOT IN (SELECT value FROM json_each(?2))) = 0
            LIMIT ?3
            """, cached: false)
        try select.bind(cutoff.milliseconds, at: 1)
        try select.bind(JSONValue.array(namespaces.sorted().map(JSONValue.string)).serialized, at: 2)
        try select.bind(limit, at: 3)
        return try select.query { $0.int64(at: 0) }
    }

    /// Whether a profile still holds only identities of `namespaces`, none seen since `cutoff`.
    ///
    /// - Complexity: a range of the `identities_by_profile` index.
    public static func isAnonymous(
        _ profile: Int64, notSeenSince cutoff: Timestamp, namespaces: Set<String>, in connection: SQLiteConnection
    ) throws -> Bool {
        let select = try connection.prepare(
            """
            SELECT count(*), max(last_seen), sum(namespace NOT IN (SELECT value FROM json_each(?2)))
            FROM identities WHERE profile_id = ?1
            """)
        try select.bind(profile, at: 1)
        try select.bind(JSONValue.array(namespaces.sorted().map(JSONValue.string)).serialized, at: 2)
        return try select.queryFirst { row in
            row.int64(at: 0) > 0 && row.int64(at: 1) < cutoff.milliseconds && row.int64(at: 2) == 0
        } ?? false
    }

    /// Deletes timeline rows of events up to sequence `last`, whose events retention deleted.
    ///
    /// - Complexity: one scan of `event_profiles` (it is keyed by profile).
    public static func forgetEvents(through last: Int64, in connection: SQLiteConnection) throws -> Int {
        let delete = try connection.prepare("DELETE FROM event_profiles WHERE sequence <= ?1", cached: false)
        try delete.bind(last, at: 1)
        try delete.run()
        return connection.changes
    }

    /// Deletes a record that carries a suppressed identity: it was inserted in this same transaction,
    /// so it is never committed.
    func dropSuppressed(_ sequence: Int64, in connection: SQLiteConnection) throws {
        let delete = try connection.prepare("DELETE FROM events WHERE sequence = ?1")
        try delete.bind(sequence, at: 1)
        try delete.run()
        suppressions?.noteDropped()
    }

    /// Keeps the rebuilt graph from handing out what an erased one had reached (see the type's notes).
    func reserveErasedCounters(in connection: SQLiteConnection) throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS identity_counters (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                next_profile INTEGER NOT NULL,
                last_entry INTEGER NOT NULL,
                last_observation INTEGER NOT NULL
            )
            """)
        let select = try connection.prepare(
            "SELECT next_profile, last_entry, last_observation FROM identity_counters WHERE id = 1")
        guard
            let counters = try select.queryFirst({
                IdentityGraph.Counters(
                    nextProfile: $0.int64(at: 0), lastEntry: $0.int64(at: 1), lastObservation: $0.int64(at: 2))
            })
        else { return }
        graph.reserve(counters)
    }

    private func redirects(to live: Set<Int64>, in connection: SQLiteConnection) throws -> Set<Int64> {
        let select = try connection.prepare("SELECT profile_id FROM profile_redirects WHERE target = ?1")
        var merged: Set<Int64> = []
        for profile in live {
            try select.bind(profile, at: 1)
            merged.formUnion(try select.query { $0.int64(at: 0) })
        }
        return merged
    }

    private func timeline(of live: Set<Int64>, in connection: SQLiteConnection) throws -> Set<Int64> {
        let select = try connection.prepare("SELECT sequence FROM event_profiles WHERE profile_id = ?1")
        var sequences: Set<Int64> = []
        for profile in live {
            try select.bind(profile, at: 1)
            sequences.formUnion(try select.query { $0.int64(at: 0) })
        }
        return sequences
    }

    private func deleteRows(
        of profiles: Set<Int64>, counts: inout [String: Int], in connection: SQLiteConnection
    ) throws {
        let tables = [
            ("identities", "DELETE FROM identities WHERE profile_id = ?1"),
            ("timeline", "DELETE FROM event_profiles WHERE profile_id = ?1"),
            ("fragments", "DELETE FROM profiles WHERE profile_id = ?1"),
            ("consents", "DELETE FROM consents WHERE profile_id = ?1"),
            ("consentHistory", "DELETE FROM consent_history WHERE profile_id = ?1"),
            ("redirects", "DELETE FROM profile_redirects WHERE profile_id = ?1 OR target = ?1"),
        ]
        for (name, sql) in tables {
            let delete = try connection.prepare(sql)
            var deleted = 0
            for profile in profiles {
                try delete.bind(profile, at: 1)
                try delete.run()
                deleted += connection.changes
            }
            counts[name] = deleted
        }
    }

    /// The log entries (up to `through`) that name an erased identity, or start, merge or split off
    /// an erased profile; an entry that only names an erased profile as the one another left stays.
    ///
    /// Identities evicted from the profiles (to keep them within their size limit) that no profile
    /// took in since (`isUnplaced`) were the person's too, and are named nowhere but in the log:
    /// their entries go as well, found by a second pass, needed only when there are such (rare).
    ///
    /// - Complexity: one pass over the identity log, decoding every entry; two with evictions.
    private func doomedEntries(
        naming identities: Set<Identity>, profiles: Set<Int64>, through: Int64 = .max,
        in connection: SQLiteConnection, isUnplaced: (Identity) -> Bool
    ) throws -> (doomed: Set<Int64>, evicted: Set<Identity>) {
        var evicted: Set<Identity> = []
        var doomed = try logEntries { entry in
            if entry.identities.contains(where: identities.contains) || Self.concerns(entry, profiles) {
                return true
            }
            if case .evicted(let identity, let from) = entry.change, profiles.contains(from.rawValue),
                isUnplaced(identity)
            {
                evicted.insert(identity)
            }
            return false
        }
        if !evicted.isEmpty {
            doomed.formUnion(try logEntries { $0.identities.contains(where: evicted.contains) })
        }
        return (doomed, evicted)

        func logEntries(where doomed: (LogEntry) -> Bool) throws -> Set<Int64> {
            let select = try connection.prepare(
                "SELECT sequence, entry FROM identity_log WHERE sequence <= ?1", cached: false)
            try select.bind(through, at: 1)
            defer { select.reset() }
            var sequences: Set<Int64> = []
            while try select.step() {
                if doomed(try LogEntry(stored: select.blob(at: 1))) { sequences.insert(select.int64(at: 0)) }
            }
            return sequences
        }
    }

    private func deleteLogEntries(_ sequences: Set<Int64>, in connection: SQLiteConnection) throws {
        let delete = try connection.prepare("DELETE FROM identity_log WHERE sequence = ?1")
        for sequence in sequences {
            try delete.bind(sequence, at: 1)
            try delete.run()
        }
    }

    private static func concerns(_ entry: LogEntry, _ profiles: Set<Int64>) -> Bool {
        switch entry.change {
        case .created(let profile, _): profiles.contains(profile.rawValue)
        case .merged(let from, let into): profiles.contains(from.rawValue) || profiles.contains(into.rawValue)
        case .split(_, let into, _), .removed(_, _, let into): profiles.contains(into.rawValue)
        default: false
        }
    }

    /// Saves, and returns, the counters the current graph has reached or an earlier erasure saved.
    private func saveCounters(in connection: SQLiteConnection) throws -> IdentityGraph.Counters {
        var counters = graph.counters
        let stored = try connection.prepare(
            "SELECT next_profile, last_entry, last_observation FROM identity_counters WHERE id = 1")
        if let previous = try stored.queryFirst({ ($0.int64(at: 0), $0.int64(at: 1), $0.int64(at: 2)) }) {
            counters.nextProfile = max(counters.nextProfile, previous.0)
            counters.lastEntry = max(counters.lastEntry, previous.1)
            counters.lastObservation = max(counters.lastObservation, previous.2)
        }
        let save = try connection.prepare(
            """
            INSERT OR REPLACE INTO identity_counters (id, next_profile, last_entry, last_observation)
            VALUES (1, ?1, ?2, ?3)
            """)
        try save.bind(counters.nextProfile, at: 1)
        try save.bind(counters.lastEntry, at: 2)
        try save.bind(counters.lastObservation, at: 3)
        try save.run()
        return counters
    }

    /// Rebuilds the graph from the log left, keeping the counters the old graph had reached.
    private func rebuildGraph(in connection: SQLiteConnection) throws {
        let counters = try saveCounters(in: connection)
        let rebuilt = IdentityGraph(rules: configuration.rules, retainsLog: false)
        let select = try connection.prepare("SELECT entry FROM identity_log ORDER BY sequence", cached: false)
        var entries: [LogEntry] = []
        while try select.step() {
            entries.append(try LogEntry(stored: select.blob(at: 0)))
            if entries.count == 10_000 {
                rebuilt.replay(entries)
                entries.removeAll(keepingCapacity: true)
            }
        }
        rebuilt.replay(entries)
        rebuilt.reserve(counters)
        graph = rebuilt
    }
}

/// An erasure prepared outside the writer (``ProfileEngine/prepareErasure(of:store:)``): the log
/// entries to delete, and the graph replayed from the rest of the log as a read snapshot held it.
///
/// `@unchecked Sendable`: the graph is built by the thread that prepares the plan, which then hands
/// the plan over and never touches it again; the writer alone uses it after that, once.
public final class ErasurePlan: @unchecked Sendable {
    /// The live profiles, as the snapshot held them.
    let profiles: Set<Int64>
    /// Those and the profiles merged into them.
    let erased: Set<Int64>
    /// The live profiles' identities.
    let identities: Set<Identity>
    /// Identities evicted from them that belong to no profile.
    let evicted: Set<Identity>
    /// The log entries to delete.
    let doomed: Set<Int64>
    /// The last log entry the snapshot held.
    let through: Int64
    /// The graph replayed from the entries up to `through`, without `doomed`.
    let graph: IdentityGraph

    /// Lets the last reference to a replaced graph go on another thread: freeing millions of nodes
    /// takes the writer tens of milliseconds otherwise.
    static func releaseElsewhere(_ graph: IdentityGraph) {
        let box = Box(graph)
        DispatchQueue.global(qos: .utility).async { box.graph = nil }
    }

    /// `@unchecked Sendable`: the writer hands over its only reference to the replaced graph, which no
    /// one uses again; the other thread only drops it.
    private final class Box: @unchecked Sendable {
        var graph: IdentityGraph?
        init(_ graph: IdentityGraph) { self.graph = graph }
    }

    init(
        profiles: Set<Int64>, erased: Set<Int64>, identities: Set<Identity>, evicted: Set<Identity>,
        doomed: Set<Int64>, through: Int64, graph: IdentityGraph
    ) {
        self.profiles = profiles
        self.erased = erased
        self.identities = identities
        self.evicted = evicted
        self.doomed = doomed
        self.through = through
        self.graph = graph
    }
}
