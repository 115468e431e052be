import Governance
import JSONParsing
import Storage
import Synchronization
import TesseraCore

/// The data-usage catalog the server decides with: the configured catalog with the changes made
/// through the API laid over it.
///
/// The changes are kept in the store's `settings` table (key `governance.overrides`), written in
/// the writer's transaction with a version number; memory follows each commit, and a reader
/// always sees one whole catalog.
final class GovernanceState: Sendable {
    static let settingKey = "governance.overrides"

    private struct Current: Sendable {
        var overrides: GovernanceOverrides
        var catalog: GovernanceCatalog
        var version: Int64
    }

    /// The catalog from the configuration file (or the built-in one).
    let configured: GovernanceCatalog
    private let store: Store
    private let current: Mutex<Current>

    /// Reads the stored changes and lays them over `configured`.
    ///
    /// - Throws: `StorageError` when the store cannot be read; `ServerError` when the stored
    ///   changes no longer fit the configuration (a label or action removed from the file).
    init(store: Store, configured: GovernanceCatalog) throws {
        self.store = store
        self.configured = configured
        let stored = try store.setting(Self.settingKey)
        let (overrides, version) = try Self.decode(stored)
        let catalog = overrides.applied(to: configured)
        do {
            try catalog.validate()
        } catch {
            // Dropping the stored changes silently could lift a policy; refuse to start instead.
            throw ServerError(
                "the labels and policies changed through the API no longer fit the configuration file "
                    + "(\(error.field): \(error.message)); define what they use in the file again")
        }
        current = Mutex(Current(overrides: overrides, catalog: catalog, version: version))
    }

    /// The catalog now.
    var catalog: GovernanceCatalog { current.withLock { $0.catalog } }

    /// The changes made through the API now.
    var overrides: GovernanceOverrides { current.withLock { $0.overrides } }

    /// How many changes have been committed; decisions cached under an older number are stale.
    var version: Int64 { current.withLock { $0.version } }

    /// Applies `change` to the stored changes, checks the resulting catalog and commits it.
    ///
    /// The change runs inside the writer's transaction on the stored changes, so two changes at
    /// once never lose one another.
    /// - Returns: the new catalog.
    /// - Throws: `GovernanceError` from `change` or from checking the result; storage errors.
    @discardableResult
    func update(
        _ change: @escaping @Sendable (inout GovernanceOverrides, GovernanceCatalog) throws -> Void
    ) async throws -> GovernanceCatalog {
        let configured = configured
        let result = try await store.transaction { connection in
            let select = try connection.prepare("SELECT value FROM settings WHERE key = ?1")
            try select.bind(Self.settingKey, at: 1)
            var (overrides, version) = try Self.decode(try select.queryFirst { $0.string(at: 0) })
            try change(&overrides, overrides.applied(to: configured))
            let catalog = overrides.applied(to: configured)
            try catalog.validate()
            version += 1
            var stored = overrides.json
            if case .object(var members) = stored {
                members["version"] = .int(version)
                stored = .object(members)
            }
            let upsert = try connection.prepare(
                """
                INSERT INTO settings (key, value) VALUES (?1, ?2)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """)
            try upsert.bind(Self.settingKey, at: 1)
            try upsert.bind(stored.serialized, at: 2)
            try upsert.run()
            return Current(overrides: overrides, catalog: catalog, version: version)
        }
        current.withLock { current in
            if result.version > current.version { current = result }
        }
        return result.catalog
    }

    private static func decode(_ text: String?) throws -> (GovernanceOverrides, Int64) {
        guard let text else { return (GovernanceOverrides(), 0) }
        let json = try JSONValue(parsing: Array(text.utf8))
        return (try GovernanceOverrides(json: json), json["version"]?.intValue ?? 0)
    }
}

/// Personal data for masking: the built-in list, and every profile attribute labelled `I1` (on the
/// attribute or a path above it), as the labels are now.
struct LabelledPersonalData: PersonalDataLabels {
    let governance: GovernanceState
    let builtIn = BuiltInPersonalData()

    func isPersonal(_ path: [String]) -> Bool {
        if builtIn.isPersonal(path) { return true }
        let field = (["attributes"] + path).joined(separator: ".")
        return governance.catalog.assignments.ownLabels(of: field).contains("I1")
    }
}
