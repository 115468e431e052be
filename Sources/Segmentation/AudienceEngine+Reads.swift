public import Audiences
import JSONParsing
import Storage
import TesseraCore

/// What audiences hold, read from the store's read connections without blocking the writer.
extension AudienceEngine {
    /// Every audience, by id.
    public func audiences() throws -> [Audience] {
        try store.read { connection in
            let select = try connection.prepare(
                "SELECT id, name, description, rule, created_at, updated_at, evaluated_at FROM audiences ORDER BY id")
            return try select.query { try Self.audience(from: $0) }
        }
    }

    /// One audience.
    ///
    /// - Throws: `AudienceError.notFound`.
    public func audience(_ id: Int64) throws -> Audience {
        try store.read { connection in try audience(id, in: connection) }
    }

    /// The audience's current members (realized and existing), by profile id, `limit` at a time
    /// after profile id `after`.
    public func members(of id: Int64, after: Int64?, limit: Int) throws -> [Membership] {
        try store.read { connection in
            _ = try audience(id, in: connection)
            let select = try connection.prepare(
                """
                SELECT audience_id, profile_id, status, entered_at, updated_at FROM audience_members
                WHERE audience_id = ?1 AND status != 'exited' AND profile_id > ?2 ORDER BY profile_id LIMIT ?3
                """)
            try select.bind(id, at: 1)
            try select.bind(after ?? Int64.min, at: 2)
            try select.bind(Int64(limit), at: 3)
            return try select.query(Self.membership(from:))
        }
    }

    /// How many profiles are members now.
    public func size(of id: Int64) throws -> Int {
        try store.read { connection in
            _ = try audience(id, in: connection)
            let count = try connection.prepare(
                "SELECT count(*) FROM audience_members WHERE audience_id = ?1 AND status != 'exited'")
            try count.bind(id, at: 1)
            return Int(try count.queryFirst { $0.int64(at: 0) } ?? 0)
        }
    }

    /// The audience's entries and exits, newest first, `limit` at a time before history id `before`.
    public func history(of id: Int64, before: Int64?, limit: Int) throws -> [MembershipChange] {
        try store.read { connection in
            _ = try audience(id, in: connection)
            let select = try connection.prepare(
                """
                SELECT id, audience_id, profile_id, change, time, cause FROM audience_history
                WHERE audience_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3
                """)
            try select.bind(id, at: 1)
            try select.bind(before ?? Int64.max, at: 2)
            try select.bind(Int64(limit), at: 3)
            return try select.query(Self.change(from:))
        }
    }

    /// A profile's memberships in every audience, exited ones included, with the audiences' names.
    public func memberships(ofProfile profile: Int64) throws -> [(name: String, membership: Membership)] {
        try store.read { connection in
            let select = try connection.prepare(
                """
                SELECT m.audience_id, m.profile_id, m.status, m.entered_at, m.updated_at, a.name
                FROM audience_members m JOIN audiences a ON a.id = m.audience_id
                WHERE m.profile_id = ?1 ORDER BY a.name
                """)
            try select.bind(profile, at: 1)
            return try select.query { (name: $0.string(at: 5), membership: Self.membership(from: $0)) }
        }
    }

    /// A profile's entries and exits across audiences, newest first.
    public func history(ofProfile profile: Int64, limit: Int) throws -> [MembershipChange] {
        try store.read { connection in
            let select = try connection.prepare(
                """
                SELECT id, audience_id, profile_id, change, time, cause FROM audience_history
                WHERE profile_id = ?1 ORDER BY id DESC LIMIT ?2
                """)
            try select.bind(profile, at: 1)
            try select.bind(Int64(limit), at: 2)
            return try select.query(Self.change(from:))
        }
    }

    /// Why the audience's rule holds or not for a profile now: every condition with the values and
    /// events behind its answer, and when a window will change it.
    ///
    /// Runs on the writer, so that the profile, its events and the memberships it reads are those of
    /// one moment.
    ///
    /// - Returns: the explanation, and whether the profile is a member according to the store.
    public func why(audience id: Int64, profile: Int64) async throws -> (AudienceExplanation, member: Bool)? {
        try await store.transaction { connection in
            try self.load(in: connection)
            let audience = try self.audience(id, in: connection)
            guard let view = try self.profiles.view(of: profile, in: connection) else { return nil }
            let current = try self.memberships(of: profile, in: connection)
            let names = Set(
                current.filter { $0.value.status != .exited }.compactMap { self.definitions[$0.key]?.name })
            let events = try self.events(of: profile, named: audience.rule, in: connection)
            let facts = ProfileFacts(
                attributes: view.attributes, computed: view.computed, identityNamespaces: view.identityNamespaces,
                consent: Self.answers(view), memberships: names, history: events)
            let explanation = AudienceEvaluator.explain(audience.rule, for: facts, events: events, at: self.clock.now())
            return (explanation, names.contains(audience.name))
        }
    }

    /// The profile's events whose names the rule asks about, as rules see them.
    private func events(of profile: Int64, named rule: AudienceRule, in connection: SQLiteConnection) throws
        -> EventList
    {
        let names = rule.referencedEvents
        guard !names.isEmpty else { return EventList([]) }
        let select = try connection.prepare(
            """
            SELECT \(Store.qualifiedEventColumns) FROM event_profiles p JOIN events e ON e.sequence = p.sequence
            WHERE p.profile_id = ?1 AND e.event_name IS NOT NULL ORDER BY e.sequence
            """, cached: false)
        try select.bind(profile, at: 1)
        let parser = JSONParser()
        var events: [AudienceEvent] = []
        for stored in try select.query({ Store.event(from: $0) }) {
            guard let name = stored.eventName, names.contains(name), let document = try? parser.parse(stored.body),
                let event = Self.event(of: stored.record, sequence: stored.sequence, document: document.root)
            else { continue }
            events.append(event)
        }
        return EventList(events)
    }

    static func change(from row: SQLiteStatement) -> MembershipChange {
        MembershipChange(
            id: row.int64(at: 0), audienceID: row.int64(at: 1), profileID: row.int64(at: 2),
            change: MembershipStatus(rawValue: row.string(at: 3)) ?? .exited,
            time: Timestamp(milliseconds: row.int64(at: 4)), cause: row.string(at: 5))
    }
}
