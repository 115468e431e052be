import JSONParsing
import Storage
import TesseraCore

/// Destinations, stored in the `activation_destinations` table of the store.
///
/// Settings are stored as one JSON document per destination, so that settings can grow without a
/// migration. The signing secret is generated here with `RandomID.secret`, returned once by
/// ``create(_:)`` and ``rotateSecret(id:)``, and otherwise read only by the delivery engine. It is
/// kept in plain text because HMAC signing needs the key itself; the data directory's permissions
/// protect it, as they protect the profiles.
public final class DestinationStore: Sendable {
    let store: Store
    private let clock: any WallClock

    /// Opens the destinations of `store`, creating the activation tables when needed.
    ///
    /// - Throws: ``StorageError`` when the tables cannot be created.
    public init(store: Store, clock: any WallClock = SystemClock()) async throws {
        self.store = store
        self.clock = clock
        try await store.transaction { connection in try ActivationSchema.create(in: connection) }
    }

    /// Validates and stores a new destination with a fresh secret.
    ///
    /// - Returns: The destination and its secret, which is not shown again.
    /// - Throws: ``ActivationError`` (`invalidDestination`, `invalidMapping`, or `conflict` when the name
    ///   is taken); ``StorageError`` from SQLite.
    public func create(_ settings: DestinationSettings) async throws -> CreatedDestination {
        try settings.validate()
        let secret = RandomID.secret(length: 40, prefix: "whsec_")
        let now = clock.now()
        let text = settings.json.serialized
        let id = try await store.transaction { connection in
            try Self.ensureNameFree(settings.name, except: nil, in: connection)
            let insert = try connection.prepare(
                """
                INSERT INTO activation_destinations (name, kind, settings, secret, created_at, updated_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                """)
            try insert.bind(settings.name, at: 1)
            try insert.bind(settings.kind.rawValue, at: 2)
            try insert.bind(text, at: 3)
            try insert.bind(secret, at: 4)
            try insert.bind(now.milliseconds, at: 5)
            try insert.run()
            return connection.lastInsertRowID
        }
        let destination = Destination(id: id, settings: settings, createdAt: now, updatedAt: now)
        return CreatedDestination(destination: destination, secret: secret)
    }

    /// Every destination, by id.
    public func list() throws -> [Destination] {
        try store.read { connection in
            try connection.prepare(
                "SELECT id, settings, created_at, updated_at FROM activation_destinations ORDER BY id"
            ).query(Self.destination(from:))
        }
    }

    /// The destination with id `id`, if any.
    public func destination(id: Int64) throws -> Destination? {
        try store.read { connection in
            let select = try connection.prepare(
                "SELECT id, settings, created_at, updated_at FROM activation_destinations WHERE id = ?1")
            try select.bind(id, at: 1)
            return try select.queryFirst(Self.destination(from:))
        }
    }

    /// Replaces a destination's settings; its secret and pending deliveries stay.
    ///
    /// The delivery engine picks the new settings up on its next refresh.
    /// - Returns: The updated destination.
    /// - Throws: ``ActivationError`` (`notFound`, `conflict` for a taken name, or a validation error).
    @discardableResult
    public func update(id: Int64, _ settings: DestinationSettings) async throws -> Destination {
        try settings.validate()
        let now = clock.now()
        let text = settings.json.serialized
        return try await store.transaction { connection in
            try Self.ensureNameFree(settings.name, except: id, in: connection)
            let update = try connection.prepare(
                """
                UPDATE activation_destinations SET name = ?2, kind = ?3, settings = ?4, updated_at = ?5
                WHERE id = ?1 RETURNING created_at
                """)
            try update.bind(id, at: 1)
            try update.bind(settings.name, at: 2)
            try update.bind(settings.kind.rawValue, at: 3)
            try update.bind(text, at: 4)
            try update.bind(now.milliseconds, at: 5)
            guard let created = try update.queryFirst({ $0.int64(at: 0) }) else {
                throw ActivationError(.notFound, field: "id", "no destination has this id")
            }
            return Destination(
                id: id, settings: settings, createdAt: Timestamp(milliseconds: created), updatedAt: now)
        }
    }

    /// Deletes a destination; its waiting deliveries become skipped (`destination_deleted`) in the same
    /// transaction, and its delivered and dead ones stay for inspection.
    ///
    /// - Throws: ``ActivationError`` of kind `notFound` when no destination has the id.
    public func delete(id: Int64) async throws {
        let now = clock.now()
        try await store.transaction { connection in
            let delete = try connection.prepare("DELETE FROM activation_destinations WHERE id = ?1")
            try delete.bind(id, at: 1)
            try delete.run()
            guard connection.changes == 1 else {
                throw ActivationError(.notFound, field: "id", "no destination has this id")
            }
            try Outbox.skipOrphans(now: now, in: connection)
        }
    }

    /// Replaces a destination's secret; requests signed from now on use the new one.
    ///
    /// - Returns: The destination and its new secret, which is not shown again.
    /// - Throws: ``ActivationError`` of kind `notFound` when no destination has the id.
    public func rotateSecret(id: Int64) async throws -> CreatedDestination {
        let secret = RandomID.secret(length: 40, prefix: "whsec_")
        let now = clock.now()
        try await store.transaction { connection in
            let update = try connection.prepare(
                "UPDATE activation_destinations SET secret = ?2, updated_at = ?3 WHERE id = ?1")
            try update.bind(id, at: 1)
            try update.bind(secret, at: 2)
            try update.bind(now.milliseconds, at: 3)
            try update.run()
            guard connection.changes == 1 else {
                throw ActivationError(.notFound, field: "id", "no destination has this id")
            }
        }
        guard let destination = try destination(id: id) else {
            throw ActivationError(.notFound, field: "id", "no destination has this id")
        }
        return CreatedDestination(destination: destination, secret: secret)
    }

    /// Every destination with its signing secret, for the delivery engine only.
    func destinationsWithSecrets() throws -> [(Destination, String)] {
        try store.read { connection in
            try connection.prepare(
                "SELECT id, settings, created_at, updated_at, secret FROM activation_destinations ORDER BY id"
            ).query { row in (try Self.destination(from: row), row.string(at: 4)) }
        }
    }

    private static func ensureNameFree(_ name: String, except id: Int64?, in connection: SQLiteConnection) throws {
        let select = try connection.prepare("SELECT id FROM activation_destinations WHERE name = ?1")
        try select.bind(name, at: 1)
        if let existing = try select.queryFirst({ $0.int64(at: 0) }), existing != id {
            throw ActivationError(.conflict, field: "name", "another destination has this name")
        }
    }

    private static func destination(from row: SQLiteStatement) throws -> Destination {
        let settings: DestinationSettings
        do {
            settings = try DestinationSettings(json: try JSONValue(parsing: row.blob(at: 1)))
        } catch {
            throw ActivationError(.corruptSettings, field: "settings", "stored destination settings cannot be read")
        }
        return Destination(
            id: row.int64(at: 0), settings: settings, createdAt: Timestamp(milliseconds: row.int64(at: 2)),
            updatedAt: Timestamp(milliseconds: row.int64(at: 3)))
    }
}
