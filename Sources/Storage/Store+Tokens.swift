import TesseraCore

/// An API token as stored: everything but its secret, of which only the SHA-256 digest is kept.
public struct TokenRecord: Sendable, Equatable {
    /// The public id (`tok_…`), safe to show, log and audit.
    public var id: String
    /// What the operator called it.
    public var name: String
    /// The scopes it grants, by name (`profiles:read`, …), in the order given at creation.
    public var scopes: [String]
    /// When it was created.
    public var createdAt: Timestamp
    /// When it was last used, to the minute; nil when never.
    public var lastUsedAt: Timestamp?
    /// When it was revoked; nil while it works.
    public var revokedAt: Timestamp?

    /// Creates a record.
    public init(
        id: String, name: String, scopes: [String], createdAt: Timestamp, lastUsedAt: Timestamp? = nil,
        revokedAt: Timestamp? = nil
    ) {
        self.id = id
        self.name = name
        self.scopes = scopes
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    /// Whether the token still opens anything.
    public var isActive: Bool { revokedAt == nil }
}

/// API tokens: created, listed, found by the digest of their secret, touched when used, revoked.
extension Store {
    private static let tokenColumns = "id, name, scopes, created_at, last_used_at, revoked_at"

    /// Stores a new token.
    ///
    /// - Parameters:
    ///   - id: A fresh public id.
    ///   - name: The operator's name for it.
    ///   - scopes: Scope names; none may contain a comma.
    ///   - secretDigest: The SHA-256 digest of the secret; the secret itself is never stored.
    /// - Returns: The stored token.
    /// - Throws: ``StorageError`` of kind `.conflict` when the id or digest is taken.
    public func addToken(
        id: String, name: String, scopes: [String], secretDigest: [UInt8]
    ) async throws -> TokenRecord {
        let record = TokenRecord(id: id, name: name, scopes: scopes, createdAt: clock.now())
        return try await transaction { connection in
            let insert = try connection.prepare(
                """
                INSERT INTO api_tokens (id, name, secret_sha256, scopes, created_at)
                VALUES (?1, ?2, ?3, ?4, ?5)
                """)
            try insert.bind(record.id, at: 1)
            try insert.bind(record.name, at: 2)
            try insert.bind(secretDigest, at: 3)
            try insert.bind(record.scopes.joined(separator: ","), at: 4)
            try insert.bind(record.createdAt.milliseconds, at: 5)
            do {
                try insert.run()
            } catch let error as StorageError where error.isConstraintViolation {
                throw StorageError.conflict("the token id or secret is already taken", code: error.code)
            }
            return record
        }
    }

    /// Every token, revoked ones included, oldest first.
    public func tokens() throws -> [TokenRecord] {
        try read { connection in
            try connection.prepare("SELECT \(Self.tokenColumns) FROM api_tokens ORDER BY created_at, id")
                .query(Self.token(from:))
        }
    }

    /// The token whose secret has this SHA-256 digest, revoked or not; nil when none has.
    ///
    /// - Complexity: One lookup in the unique index on the digest.
    public func token(secretDigest: [UInt8]) throws -> TokenRecord? {
        try read { connection in
            let select = try connection.prepare(
                "SELECT \(Self.tokenColumns) FROM api_tokens WHERE secret_sha256 = ?1")
            try select.bind(secretDigest, at: 1)
            return try select.queryFirst(Self.token(from:))
        }
    }

    /// The token with this id, if any.
    public func token(id: String) throws -> TokenRecord? {
        try read { connection in
            try Self.token(id: id, in: connection)
        }
    }

    /// Revokes a token: it stops working at once (within the server's cache lifetime for other processes).
    ///
    /// Revoking a revoked token keeps its first revocation time.
    ///
    /// - Returns: The revoked token.
    /// - Throws: ``StorageError`` of kind `.notFound` when no token has that id.
    public func revokeToken(id: String) async throws -> TokenRecord {
        let now = clock.now()
        return try await transaction { connection in
            let update = try connection.prepare(
                "UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL")
            try update.bind(now.milliseconds, at: 1)
            try update.bind(id, at: 2)
            try update.run()
            guard let token = try Self.token(id: id, in: connection) else {
                throw StorageError.notFound("no token has this id")
            }
            return token
        }
    }

    /// Records when tokens were last used.
    ///
    /// - Parameter uses: Token id → time of use; a time older than the stored one is ignored.
    public func touchTokens(_ uses: [String: Timestamp]) async throws {
        guard !uses.isEmpty else { return }
        try await transaction { connection in
            let update = try connection.prepare(
                """
                UPDATE api_tokens SET last_used_at = ?1
                WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)
                """)
            for (id, time) in uses {
                try update.bind(time.milliseconds, at: 1)
                try update.bind(id, at: 2)
                try update.run()
            }
        }
    }

    private static func token(id: String, in connection: SQLiteConnection) throws -> TokenRecord? {
        let select = try connection.prepare("SELECT \(tokenColumns) FROM api_tokens WHERE id = ?1")
        try select.bind(id, at: 1)
        return try select.queryFirst(token(from:))
    }

    private static func token(from row: SQLiteStatement) -> TokenRecord {
        TokenRecord(
            id: row.string(at: 0), name: row.string(at: 1),
            scopes: row.string(at: 2).split(separator: ",").map(String.init),
            createdAt: Timestamp(milliseconds: row.int64(at: 3)),
            lastUsedAt: row.optionalInt64(at: 4).map(Timestamp.init(milliseconds:)),
            revokedAt: row.optionalInt64(at: 5).map(Timestamp.init(milliseconds:)))
    }
}
