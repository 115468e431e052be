public import Identity
public import Storage
import Synchronization
public import TesseraCore

/// Identities erased by privacy deletes, kept only as keyed hashes, so that records carrying them
/// later are dropped instead of bringing the person back.
///
/// An entry is the HMAC-SHA256, under a server secret, of `namespace:value` with the value
/// normalised as the identity graph keys it. Without the secret the entries cannot be tested
/// against guessed e-mail addresses or phone numbers; with it, the server tests each incoming
/// identity. The hashing function comes from the caller, which keeps the secret and OpenSSL out
/// of this module.
///
/// The profile engine checks every stored record against the list on the writer thread (see
/// ``ProfileEngine/suppressions``): a record with a suppressed identity is deleted in the
/// transaction that stored it, touches no profile and is counted in ``droppedRecords``.
///
/// `@unchecked Sendable`: `hashes` is read and changed only on the store's writer thread (in the
/// engine's commit participant and in bodies passed to `Store.transaction`).
public final class SuppressionList: @unchecked Sendable {
    /// The keyed hash of a message (HMAC-SHA256 under the server's privacy key).
    public typealias KeyedHash = @Sendable ([UInt8]) -> [UInt8]

    private let keyedHash: KeyedHash
    private var hashes: Set<[UInt8]> = []
    /// Records dropped because they carried a suppressed identity.
    public let droppedRecords = Atomic<Int>(0)
    private let counter: Counter?

    /// Creates an empty list; ``load(in:)`` reads the stored entries.
    ///
    /// - Parameters:
    ///   - keyedHash: The keyed hash entries are made with.
    ///   - counter: A metric to count dropped records in, besides ``droppedRecords``.
    public init(keyedHash: @escaping KeyedHash, counter: Counter? = nil) {
        self.keyedHash = keyedHash
        self.counter = counter
    }

    /// The entry for an identity: the keyed hash of `namespace:value`.
    public func entry(for identity: Identity) -> [UInt8] {
        keyedHash(Array((identity.namespace + ":" + identity.value).utf8))
    }

    /// How many identities are suppressed. Writer thread only.
    public var count: Int { hashes.count }

    /// Creates the table when needed and reads every entry into memory. Writer thread only.
    public func load(in connection: SQLiteConnection) throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS suppressions (
                hash BLOB PRIMARY KEY,
                namespace TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                job_id TEXT
            ) WITHOUT ROWID
            """)
        let select = try connection.prepare("SELECT hash FROM suppressions", cached: false)
        hashes = Set(try select.query { $0.blob(at: 0) })
    }

    /// Whether any of `identities` is suppressed. Writer thread only.
    ///
    /// The profile engine passes only identities its graph does not hold (new ones): an erased
    /// identity left the graph, and records carrying it never enter it again, so identities the
    /// graph holds need no check.
    ///
    /// - Complexity: one HMAC per identity, skipped entirely while the list is empty.
    public func suppresses(_ identities: [Identity]) -> Bool {
        guard !hashes.isEmpty else { return false }
        return identities.contains { hashes.contains(entry(for: $0)) }
    }

    /// Adds entries for `identities`, inside the caller's writer transaction.
    ///
    /// - Returns: how many entries are new.
    public func add(
        _ identities: [Identity], job: String?, at time: Timestamp, in connection: SQLiteConnection
    ) throws -> Int {
        try load(in: connection)
        let insert = try connection.prepare(
            """
            INSERT INTO suppressions (hash, namespace, created_at, job_id) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (hash) DO NOTHING
            """)
        var added = 0
        for identity in Set(identities) {
            let hash = entry(for: identity)
            try insert.bind(hash, at: 1)
            try insert.bind(identity.namespace, at: 2)
            try insert.bind(time.milliseconds, at: 3)
            try insert.bind(job, at: 4)
            try insert.run()
            added += connection.changes
            hashes.insert(hash)
        }
        return added
    }

    /// Counts one dropped record.
    func noteDropped() {
        droppedRecords.add(1, ordering: .relaxed)
        counter?.increment()
    }
}
