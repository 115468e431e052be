import Identity
import Storage
import TesseraCore

/// One privacy request: an access or a delete for the person behind one identity, under a regulation.
///
/// Jobs are rows of `privacy_jobs`, so an accepted job survives a restart and runs then. The
/// identity asked about is kept in the clear only while the job needs it: a delete clears it in
/// the transaction that erases the person; an access keeps it with its document, and both are
/// dropped when the document expires. The keyed hash of the identity stays, to tie the receipt to
/// the request without holding the value.
struct PrivacyJob: Sendable, Equatable {
    enum Action: String, Sendable, CaseIterable {
        case access, delete
    }

    enum Regulation: String, Sendable, CaseIterable {
        case gdpr, ccpa
    }

    enum State: String, Sendable {
        case queued, running, done, failed
    }

    var id: String
    var regulation: Regulation
    var action: Action
    var state: State
    /// The identity asked about, normalised; `nil` once the job no longer needs it.
    var identity: Identity?
    /// The namespace asked about (kept: it is not personal).
    var namespace: String
    /// The keyed hash of the identity, as hex.
    var identityHash: String
    /// Who asked: the token id.
    var requestedBy: String
    var createdAt: Timestamp
    var startedAt: Timestamp?
    var finishedAt: Timestamp?
    /// The profile found; nil before the job ran, or when nobody holds the identity.
    var profileID: Int64?
    /// The access document or the delete receipt.
    var result: JSONValue?
    /// When an access document is dropped.
    var expiresAt: Timestamp?
    /// Why the job failed, without personal data.
    var error: String?
    /// The value as the request gave it, before normalisation (dead letters hold values unnormalised);
    /// `nil` once the job no longer needs it.
    var rawValue: String?

    /// The job as the API shows it; `includeResult` adds the document or receipt.
    func json(includeResult: Bool = true) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id), "regulation": .string(regulation.rawValue), "action": .string(action.rawValue),
            "state": .string(state.rawValue), "namespace": .string(namespace), "identityHash": .string(identityHash),
            "requestedBy": .string(requestedBy), "createdAt": .string(createdAt.iso8601),
        ]
        if let identity {
            object["identity"] = ["namespace": .string(identity.namespace), "value": .string(identity.value)]
        }
        if let startedAt { object["startedAt"] = .string(startedAt.iso8601) }
        if let finishedAt { object["finishedAt"] = .string(finishedAt.iso8601) }
        if let profileID { object["profileId"] = .int(profileID) }
        if let error { object["error"] = .string(error) }
        if let expiresAt { object["expiresAt"] = .string(expiresAt.iso8601) }
        if includeResult {
            switch action {
            case .access:
                object["document"] = result ?? .null
                if result == nil && state == .done { object["documentExpired"] = true }
            case .delete:
                object["receipt"] = result ?? .null
            }
        }
        return .object(object)
    }
}

/// The `privacy_jobs` table.
enum PrivacyJobTable {
    static let create = """
        CREATE TABLE IF NOT EXISTS privacy_jobs (
            id TEXT PRIMARY KEY,
            regulation TEXT NOT NULL,
            action TEXT NOT NULL,
            state TEXT NOT NULL,
            namespace TEXT NOT NULL,
            identity TEXT,
            identity_hash TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            started_at INTEGER,
            finished_at INTEGER,
            profile_id INTEGER,
            result BLOB,
            expires_at INTEGER,
            error TEXT,
            raw_value TEXT
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS privacy_jobs_by_state ON privacy_jobs (state, created_at);
        """

    static let columns = """
        id, regulation, action, state, namespace, identity, identity_hash, requested_by, created_at, started_at,
        finished_at, profile_id, result, expires_at, error, raw_value
        """

    static func insert(_ job: PrivacyJob, in connection: SQLiteConnection) throws {
        let insert = try connection.prepare(
            """
            INSERT INTO privacy_jobs (\(columns))
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
            """)
        try bind(job, to: insert)
        try insert.run()
    }

    /// Writes every column of `job` over its row.
    static func update(_ job: PrivacyJob, in connection: SQLiteConnection) throws {
        let update = try connection.prepare(
            """
            UPDATE privacy_jobs SET regulation = ?2, action = ?3, state = ?4, namespace = ?5, identity = ?6,
                identity_hash = ?7, requested_by = ?8, created_at = ?9, started_at = ?10, finished_at = ?11,
                profile_id = ?12, result = ?13, expires_at = ?14, error = ?15, raw_value = ?16
            WHERE id = ?1
            """)
        try bind(job, to: update)
        try update.run()
    }

    static func job(id: String, in connection: SQLiteConnection) throws -> PrivacyJob? {
        let select = try connection.prepare("SELECT \(columns) FROM privacy_jobs WHERE id = ?1")
        try select.bind(id, at: 1)
        return try select.queryFirst(job(from:))
    }

    /// The oldest job that is queued, or that was running when the server stopped.
    static func nextRunnable(in connection: SQLiteConnection) throws -> PrivacyJob? {
        let select = try connection.prepare(
            """
            SELECT \(columns) FROM privacy_jobs WHERE state IN ('queued', 'running') ORDER BY created_at, id LIMIT 1
            """)
        return try select.queryFirst(job(from:))
    }

    /// Drops the documents (and identities) of access jobs whose time is up.
    static func dropExpiredDocuments(at now: Timestamp, in connection: SQLiteConnection) throws -> Int {
        let update = try connection.prepare(
            """
            UPDATE privacy_jobs SET result = NULL, identity = NULL, raw_value = NULL
            WHERE action = 'access' AND expires_at <= ?1 AND (result IS NOT NULL OR identity IS NOT NULL)
            """)
        try update.bind(now.milliseconds, at: 1)
        try update.run()
        return connection.changes
    }

    /// Drops the documents (and identities) of access jobs about an erased person: by profile, or by
    /// the keyed hash of any of their identities.
    static func dropDocuments(
        profiles: Set<Int64>, identityHashes: Set<String>, in connection: SQLiteConnection
    ) throws -> Int {
        let byProfile = try connection.prepare(
            """
            UPDATE privacy_jobs SET result = NULL, identity = NULL, raw_value = NULL
            WHERE action = 'access' AND profile_id = ?1 AND (result IS NOT NULL OR identity IS NOT NULL)
            """)
        let byHash = try connection.prepare(
            """
            UPDATE privacy_jobs SET result = NULL, identity = NULL, raw_value = NULL
            WHERE action = 'access' AND identity_hash = ?1 AND (result IS NOT NULL OR identity IS NOT NULL)
            """)
        var dropped = 0
        for profile in profiles {
            try byProfile.bind(profile, at: 1)
            try byProfile.run()
            dropped += connection.changes
        }
        for hash in identityHashes {
            try byHash.bind(hash, at: 1)
            try byHash.run()
            dropped += connection.changes
        }
        return dropped
    }

    private static func bind(_ job: PrivacyJob, to statement: SQLiteStatement) throws {
        try statement.bind(job.id, at: 1)
        try statement.bind(job.regulation.rawValue, at: 2)
        try statement.bind(job.action.rawValue, at: 3)
        try statement.bind(job.state.rawValue, at: 4)
        try statement.bind(job.namespace, at: 5)
        try statement.bind(job.identity?.description, at: 6)
        try statement.bind(job.identityHash, at: 7)
        try statement.bind(job.requestedBy, at: 8)
        try statement.bind(job.createdAt.milliseconds, at: 9)
        try statement.bind(job.startedAt?.milliseconds, at: 10)
        try statement.bind(job.finishedAt?.milliseconds, at: 11)
        try statement.bind(job.profileID, at: 12)
        try statement.bind(job.result?.serializedBytes, at: 13)
        try statement.bind(job.expiresAt?.milliseconds, at: 14)
        try statement.bind(job.error, at: 15)
        try statement.bind(job.rawValue, at: 16)
    }

    private static func job(from row: SQLiteStatement) throws -> PrivacyJob {
        func time(_ index: Int) -> Timestamp? { row.optionalInt64(at: index).map(Timestamp.init(milliseconds:)) }
        return PrivacyJob(
            id: row.string(at: 0), regulation: PrivacyJob.Regulation(rawValue: row.string(at: 1)) ?? .gdpr,
            action: PrivacyJob.Action(rawValue: row.string(at: 2)) ?? .access,
            state: PrivacyJob.State(rawValue: row.string(at: 3)) ?? .failed,
            identity: row.optionalString(at: 5).flatMap(Identity.init(parsing:)),
            namespace: row.string(at: 4), identityHash: row.string(at: 6), requestedBy: row.string(at: 7),
            createdAt: Timestamp(milliseconds: row.int64(at: 8)), startedAt: time(9), finishedAt: time(10),
            profileID: row.optionalInt64(at: 11),
            result: try row.optionalBlob(at: 12).map { try JSONValue(parsing: $0) },
            expiresAt: time(13), error: row.optionalString(at: 14), rawValue: row.optionalString(at: 15))
    }
}
