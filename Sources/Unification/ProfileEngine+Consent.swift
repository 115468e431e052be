import Identity
import JSONParsing
import Profiles
import Storage
import TesseraCore

/// Consent: answers from records and the API kept per profile (and per identity) with their history,
/// and `collect = n` enforced as records arrive.
extension ProfileEngine {
    /// Whether a record of this kind is behavioural (what a person did), which `collect = n` stops
    /// storing; identity, attribute and consent records still apply.
    static func isBehavioural(_ kind: String) -> Bool {
        kind == "track" || kind == "page" || kind == "screen" || kind == "xdm.event"
    }

    /// Writes consent answers for a profile: each one to the history, and to the current answers
    /// unless a later answer for the same purpose (and identity) is already there.
    ///
    /// - Parameter actor: who gave the answers through the API (a token id); `nil` for records.
    func recordConsent(
        _ updates: [ConsentUpdate], profile: Int64, source: Int64?, record: Int64?, actor: String? = nil,
        in connection: SQLiteConnection
    ) throws {
        guard !updates.isEmpty else { return }
        let history = try connection.prepare(
            """
            INSERT INTO consent_history
                (profile_id, identity, purpose, value, time, source_id, basis, record, expires_at, actor)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """)
        let current = try connection.prepare(
            """
            INSERT INTO consents (profile_id, identity, purpose, value, time, source_id, basis, record, expires_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            ON CONFLICT (profile_id, identity, purpose) DO UPDATE SET value = excluded.value, time = excluded.time,
                source_id = excluded.source_id, basis = excluded.basis, record = excluded.record,
                expires_at = excluded.expires_at
            WHERE excluded.time >= consents.time
            """)
        for update in updates {
            try history.bind(actor, at: 10)
            for statement in [history, current] {
                try statement.bind(profile, at: 1)
                try statement.bind(update.identity ?? "", at: 2)
                try statement.bind(update.purpose, at: 3)
                try statement.bind(update.value.rawValue, at: 4)
                try statement.bind(update.time.milliseconds, at: 5)
                try statement.bind(source, at: 6)
                try statement.bind(update.basis, at: 7)
                try statement.bind(record, at: 8)
                try statement.bind(update.expiresAt?.milliseconds, at: 9)
                try statement.run()
            }
        }
        collectAnswers[profile] = nil
    }

    /// The profile's answers for the whole profile at `time`, by purpose, as stored, and when the
    /// first of them expires; answers past their expiry are left out, so the purpose counts as
    /// unanswered. Usable on any connection, read or write (delivery checks them at send time).
    public static func consentAnswers(
        of profile: Int64, at time: Timestamp, in connection: SQLiteConnection
    ) throws -> (answers: [String: ConsentValue], nextExpiry: Timestamp?) {
        let select = try connection.prepare(
            """
            SELECT purpose, value, expires_at FROM consents
            WHERE profile_id = ?1 AND identity = '' AND (expires_at IS NULL OR expires_at > ?2)
            """)
        try select.bind(profile, at: 1)
        try select.bind(time.milliseconds, at: 2)
        var answers: [String: ConsentValue] = [:]
        var nextExpiry: Int64?
        let rows = try select.query { ($0.string(at: 0), $0.string(at: 1), $0.optionalInt64(at: 2)) }
        for (purpose, value, expiry) in rows {
            answers[purpose] = ConsentValue(rawValue: value) ?? .unknown
            if let expiry { nextExpiry = min(nextExpiry ?? expiry, expiry) }
        }
        return (answers, nextExpiry.map(Timestamp.init(milliseconds:)))
    }

    /// Whether the profile said no to collection, so its behavioural records are not stored.
    func refusesCollection(_ profile: Int64, in connection: SQLiteConnection) throws -> Bool {
        let now = clock.now().milliseconds
        if let known = collectAnswers[profile], known.until > now { return known.value == .no }
        let select = try connection.prepare(
            """
            SELECT value, expires_at FROM consents
            WHERE profile_id = ?1 AND identity = '' AND purpose = 'collect' AND (expires_at IS NULL OR expires_at > ?2)
            """)
        try select.bind(profile, at: 1)
        try select.bind(now, at: 2)
        let stored = try select.queryFirst { row in
            (ConsentValue(rawValue: row.string(at: 0)), row.optionalInt64(at: 1))
        }
        let answers = stored?.0.map { ["collect": $0] } ?? [:]
        let answer = configuration.consent.effective("collect", answers: answers)
        if collectAnswers.count > configuration.cachedProfiles { collectAnswers.removeAll(keepingCapacity: true) }
        collectAnswers[profile] = (answer, stored?.1 ?? Int64.max)
        return answer == .no
    }

    /// Removes a record that `collect = n` keeps out of the store: it was inserted in this same
    /// transaction, so it is never committed.
    func suppress(_ sequence: Int64, in connection: SQLiteConnection) throws {
        let delete = try connection.prepare("DELETE FROM events WHERE sequence = ?1")
        try delete.bind(sequence, at: 1)
        try delete.run()
        consentSuppressed.add(1, ordering: .relaxed)
    }

    /// Moves a merged profile's consent to the survivor, keeping the later answer per purpose.
    func mergeConsent(_ from: Int64, into: Int64, in connection: SQLiteConnection) throws {
        let move = try connection.prepare(
            """
            INSERT INTO consents (profile_id, identity, purpose, value, time, source_id, basis, record, expires_at)
            SELECT ?2, identity, purpose, value, time, source_id, basis, record, expires_at
            FROM consents WHERE profile_id = ?1
            ON CONFLICT (profile_id, identity, purpose) DO UPDATE SET value = excluded.value,
                time = excluded.time, source_id = excluded.source_id, basis = excluded.basis, record = excluded.record,
                expires_at = excluded.expires_at
            WHERE excluded.time > consents.time
            """)
        let history = try connection.prepare("UPDATE consent_history SET profile_id = ?2 WHERE profile_id = ?1")
        for statement in [move, history] {
            try statement.bind(from, at: 1)
            try statement.bind(into, at: 2)
            try statement.run()
        }
        let delete = try connection.prepare("DELETE FROM consents WHERE profile_id = ?1")
        try delete.bind(from, at: 1)
        try delete.run()
        collectAnswers[from] = nil
        collectAnswers[into] = nil
    }

    /// Records consent given through the API for a profile, in one transaction through the writer:
    /// history, current answers (the latest time wins), audience membership and `collect`
    /// enforcement exactly as for answers that come in records.
    ///
    /// - Parameters:
    ///   - source: the source the answers came through, when one is named.
    ///   - actor: who gave them (a token id), kept in the history.
    /// - Returns: the profile's id, or `nil` when no such profile exists.
    public func setConsent(
        _ updates: [ConsentUpdate], for profile: Int64, source: Int64? = nil, store: Store, by actor: String
    ) async throws -> Int64? {
        try await store.transaction { connection in
            try self.begin(in: connection)
            guard !self.graph.identities(in: ProfileID(rawValue: profile)).isEmpty else { return nil }
            try self.recordConsent(
                updates, profile: profile, source: source, record: nil, actor: actor, in: connection)
            // Saving the state stamps the profile with this transaction's version, so cached reads
            // of it are refreshed.
            self.cache[profile] = try self.state(of: profile, in: connection)
            try self.saveStates([profile], in: connection)
            self.noteConsentChanged(profile)
            try self.notify(in: connection)
            return profile
        }
    }
}
