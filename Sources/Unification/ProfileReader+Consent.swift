import Identity
import Profiles
import Storage
import TesseraCore

/// One consent answer as stored: current (from `consents`) or past (from `consent_history`).
public struct StoredConsent: Sendable, Equatable {
    /// The history row's id; `nil` for current answers.
    public var id: Int64?
    /// The purpose (`marketing.email`).
    public var purpose: String
    /// `NAMESPACE:VALUE` for an answer given for one identity, `nil` for the whole profile.
    public var identity: String?
    /// The answer as given.
    public var value: ConsentValue
    /// When it was given.
    public var time: Timestamp
    /// The lawful basis, when not plain consent.
    public var basis: String?
    /// When it stops holding, if ever.
    public var expiresAt: Timestamp?
    /// The source it came through, by name, when known.
    public var source: String?
    /// The record that carried it, for answers from records.
    public var record: Int64?
    /// Who gave it through the API (a token id), for history rows written by the API.
    public var actor: String?

    /// Whether the answer no longer holds at `now`.
    public func isExpired(at now: Timestamp) -> Bool {
        expiresAt.map { $0.milliseconds <= now.milliseconds } ?? false
    }

    /// The answer as the API shows it; an expired answer shows `"expired": true`.
    public func json(at now: Timestamp) -> JSONValue {
        var members: [String: JSONValue] = [
            "purpose": .string(purpose), "value": .string(value.rawValue), "time": .string(time.iso8601),
        ]
        if let id { members["id"] = .int(id) }
        if let identity { members["identity"] = .string(identity) }
        if let basis { members["basis"] = .string(basis) }
        if let expiresAt {
            members["expiresAt"] = .string(expiresAt.iso8601)
            members["expired"] = .bool(isExpired(at: now))
        }
        if let source { members["source"] = .string(source) }
        if let record { members["record"] = .int(record) }
        if let actor { members["actor"] = .string(actor) }
        return .object(members)
    }
}

/// Consent answers and their history, read from the store's read connections.
extension ProfileReader {
    /// The profile's current answers, for the profile and for each identity, ordered by identity
    /// and purpose; expired ones included (``StoredConsent/isExpired(at:)`` tells them apart).
    public func consent(of id: ProfileID) throws -> [StoredConsent] {
        try store.read { connection in
            let select = try connection.prepare(
                """
                SELECT c.purpose, c.identity, c.value, c.time, c.basis, c.expires_at, s.name, c.record
                FROM consents c LEFT JOIN sources s ON s.id = c.source_id
                WHERE c.profile_id = ?1 ORDER BY c.identity, c.purpose
                """)
            try select.bind(id.rawValue, at: 1)
            return try select.query { row in Self.consent(row, id: nil, actor: nil) }
        }
    }

    /// The profile's consent history, newest first, `limit` rows before history id `before`.
    public func consentHistory(of id: ProfileID, before: Int64?, limit: Int) throws -> [StoredConsent] {
        try store.read { connection in
            let select = try connection.prepare(
                """
                SELECT h.purpose, h.identity, h.value, h.time, h.basis, h.expires_at, s.name, h.record, h.id, h.actor
                FROM consent_history h LEFT JOIN sources s ON s.id = h.source_id
                WHERE h.profile_id = ?1 AND h.id < ?2 ORDER BY h.id DESC LIMIT ?3
                """)
            try select.bind(id.rawValue, at: 1)
            try select.bind(before ?? Int64.max, at: 2)
            try select.bind(limit, at: 3)
            return try select.query { row in
                Self.consent(row, id: row.int64(at: 8), actor: row.optionalString(at: 9))
            }
        }
    }

    /// The effective answer of every purpose for the profile at `now`: its own unexpired answer,
    /// else its parent's, else the configured default.
    public func effectiveConsent(_ answers: [StoredConsent], at now: Timestamp) -> [String: ConsentValue] {
        var given: [String: ConsentValue] = [:]
        for answer in answers where answer.identity == nil && !answer.isExpired(at: now) {
            given[answer.purpose] = answer.value
        }
        var purposes = Set(ConsentExtractor.purposes)
        purposes.formUnion(given.keys)
        var effective: [String: ConsentValue] = [:]
        for purpose in purposes { effective[purpose] = configuration.consent.effective(purpose, answers: given) }
        return effective
    }

    private static func consent(_ row: SQLiteStatement, id: Int64?, actor: String?) -> StoredConsent {
        let identity = row.string(at: 1)
        return StoredConsent(
            id: id, purpose: row.string(at: 0), identity: identity.isEmpty ? nil : identity,
            value: ConsentValue(rawValue: row.string(at: 2)) ?? .unknown,
            time: Timestamp(milliseconds: row.int64(at: 3)),
            basis: row.optionalString(at: 4), expiresAt: row.optionalInt64(at: 5).map(Timestamp.init(milliseconds:)),
            source: row.optionalString(at: 6), record: row.optionalInt64(at: 7), actor: actor)
    }
}
