import Identity
import JSONParsing
import Profiles
import Storage
import Synchronization
import TesseraCore

/// Reads unified profiles from the store's read connections, never blocking the writer.
///
/// What it reads is what the last commit left: a record is visible here once its request has been
/// acknowledged.
public struct ProfileReader: Sendable {
    let store: Store
    private let cache: DocumentCache
    private let normalizer: IdentityNormalizer
    private let policies: MergePolicies
    let configuration: ProfileEngine.Configuration
    /// Decides which consent answers have expired.
    private let clock: any WallClock

    public init(store: Store, engine: ProfileEngine) {
        self.store = store
        self.normalizer = engine.normalizer
        self.policies = engine.configuration.mergePolicies
        self.configuration = engine.configuration
        self.clock = engine.clock
        cache = DocumentCache(capacityBytes: engine.configuration.documentCacheBytes)
    }

    /// Why a lookup found nothing to show.
    public enum LookupError: Error, Equatable {
        case invalidIdentity(String)
        /// The value is one that never identifies anyone (`null`, `undefined`, …).
        case blockedIdentity
        case unknownMergePolicy(String)
    }

    /// The profile an identity belongs to, after normalising it as collection does.
    ///
    /// - Throws: `LookupError.invalidIdentity` when the value is blocked or invalid for its namespace.
    public func profileID(namespace: String, value: String) throws -> ProfileID? {
        let identity = try normalised(namespace: namespace, value: value)
        return try store.read { connection in try profileID(of: identity, in: connection) }
    }

    /// The identity as the graph keys it.
    public func normalised(namespace: String, value: String) throws -> Identity {
        switch normalizer.normalise(namespace: namespace, value: value) {
        case .identity(let identity): return identity
        case .blocked: throw LookupError.blockedIdentity
        case .invalid(let reason): throw LookupError.invalidIdentity(reason)
        }
    }

    /// The live profile id for `id`, following merges; nil when no such profile exists.
    public func resolve(_ id: ProfileID) throws -> ProfileID? {
        try store.read { connection in
            var current = id.rawValue
            let redirect = try connection.prepare("SELECT target FROM profile_redirects WHERE profile_id = ?1")
            for _ in 0..<64 {
                try redirect.bind(current, at: 1)
                guard let target = try redirect.queryFirst({ $0.int64(at: 0) }) else { break }
                current = target
            }
            let exists = try connection.prepare("SELECT 1 FROM identities WHERE profile_id = ?1 LIMIT 1")
            try exists.bind(current, at: 1)
            return try exists.queryFirst { _ in ProfileID(rawValue: current) }
        }
    }

    /// The unified profile: identities, merged attributes and computed attributes.
    ///
    /// - Parameters:
    ///   - id: a live profile id (see `resolve(_:)`).
    ///   - policyName: the merge policy, or nil for the default.
    ///   - fields: attribute paths to keep (`email`, `address.city`), or nil for all.
    public func document(of id: ProfileID, policyName: String?, fields: [String]?) throws -> JSONValue? {
        let policy = try self.policy(named: policyName)
        return try store.read { connection in
            try document(of: id, policy: policy, fields: fields, in: connection)
        }
    }

    /// The unified profile of the person behind an identity as serialised JSON, with its id, read
    /// in one transaction; nil when the identity belongs to no profile.
    ///
    /// The default view (default merge policy, every field) comes from a cache of rendered documents
    /// whenever the profile's stored version is the one it was cached at. The version is read in the
    /// same read transaction, and the writer gives every profile it changes a new version in the
    /// transaction that changes it, so a cached answer is never older than the store.
    ///
    /// - Throws: `LookupError` for an invalid or blocked identity or an unknown merge policy.
    public func documentBytes(
        namespace: String, value: String, policyName: String?, fields: [String]?
    ) throws -> (profile: ProfileID, bytes: [UInt8])? {
        let identity = try normalised(namespace: namespace, value: value)
        let policy = try self.policy(named: policyName)
        return try store.read { connection -> (ProfileID, [UInt8])? in
            guard let id = try profileID(of: identity, in: connection) else { return nil }
            guard policyName == nil && fields == nil else {
                let document = try document(of: id, policy: policy, fields: fields, in: connection)
                return document.map { (id, $0.serializedBytes) }
            }
            let select = try connection.prepare("SELECT version FROM profiles WHERE profile_id = ?1")
            try select.bind(id.rawValue, at: 1)
            let version = try select.queryFirst { $0.int64(at: 0) }
            let now = clock.now().milliseconds
            if let version, let cached = cache.document(of: id.rawValue, version: version, at: now) {
                return (id, cached)
            }
            guard let rendering = try render(of: id, policy: policy, fields: nil, at: now, in: connection) else {
                return nil
            }
            let bytes = rendering.document.serializedBytes
            if let version {
                cache.store(bytes, of: id.rawValue, version: version, validUntil: rendering.validUntil ?? .max)
            }
            return (id, bytes)
        }
    }

    /// Drops the cached documents of erased profiles, so that no rendering of them stays in memory.
    public func forget(_ profiles: Set<Int64>) {
        cache.forget(profiles)
    }

    private func policy(named name: String?) throws -> MergePolicy {
        guard let policy = policies.policy(named: name) else { throw LookupError.unknownMergePolicy(name ?? "") }
        return policy
    }

    private func profileID(of identity: Identity, in connection: SQLiteConnection) throws -> ProfileID? {
        let select = try connection.prepare("SELECT profile_id FROM identities WHERE namespace = ?1 AND value = ?2")
        try select.bind(identity.namespace, at: 1)
        try select.bind(identity.value, at: 2)
        return try select.queryFirst { ProfileID(rawValue: $0.int64(at: 0)) }
    }

    private func document(
        of id: ProfileID, policy: MergePolicy, fields: [String]?, in connection: SQLiteConnection
    ) throws -> JSONValue? {
        try render(of: id, policy: policy, fields: fields, at: clock.now().milliseconds, in: connection)?.document
    }

    /// A rendered profile, and until when (milliseconds) it holds without a new version: the first
    /// expiry of a consent answer it shows as still given, if any.
    private struct Rendering {
        var document: JSONValue
        var validUntil: Int64?
    }

    private func render(
        of id: ProfileID, policy: MergePolicy, fields: [String]?, at now: Int64, in connection: SQLiteConnection
    ) throws -> Rendering? {
        let identities = try self.identities(of: id, in: connection)
        guard !identities.isEmpty else { return nil }
        let select = try connection.prepare("SELECT fragments, computed FROM profiles WHERE profile_id = ?1")
        try select.bind(id.rawValue, at: 1)
        let state = try select.queryFirst { row in
            try ProfileState(fragments: row.blob(at: 0), computed: row.blob(at: 1), configuration: configuration)
        }
        let merged = state?.fragments.merged(using: policy, sourceNames: try sourceNames(in: connection))
        var attributes = merged?.attributes ?? .object([:])
        if let fields { attributes = ProfileReader.select(fields, from: attributes) }
        let consent = try self.consent(of: id, at: now, in: connection)
        let document: JSONValue = [
            "profileId": .int(id.rawValue),
            "identities": .array(identities),
            "attributes": attributes,
            "computed": state?.computed.json ?? .object([:]),
            "consent": consent.json,
            "mergePolicy": .string(policy.name),
        ]
        return Rendering(document: document, validUntil: consent.validUntil)
    }

    /// The profile's current consent answers: `{"PURPOSE": {"value", "time", "basis"?, "expiresAt"?}}`
    /// for the profile, and under `identities` the answers given for one identity (XDM `idSpecific`).
    /// An answer past its expiry at `now` reads `u`, with `"expired": true`; `validUntil` is the
    /// first expiry still ahead.
    private func consent(
        of id: ProfileID, at now: Int64, in connection: SQLiteConnection
    ) throws -> (json: JSONValue, validUntil: Int64?) {
        let select = try connection.prepare(
            """
            SELECT identity, purpose, value, time, basis, expires_at FROM consents WHERE profile_id = ?1
            ORDER BY identity, purpose
            """
        )
        try select.bind(id.rawValue, at: 1)
        var validUntil: Int64?
        var profile: [String: JSONValue] = [:]
        var identities: [String: JSONValue] = [:]
        while try select.step() {
            var answer: [String: JSONValue] = [
                "value": .string(select.string(at: 2)),
                "time": .string(Timestamp(milliseconds: select.int64(at: 3)).iso8601),
            ]
            if let basis = select.optionalString(at: 4) { answer["basis"] = .string(basis) }
            if let expiry = select.optionalInt64(at: 5) {
                answer["expiresAt"] = .string(Timestamp(milliseconds: expiry).iso8601)
                if expiry <= now {
                    answer["value"] = .string(ConsentValue.unknown.rawValue)
                    answer["expired"] = true
                } else {
                    validUntil = min(validUntil ?? expiry, expiry)
                }
            }
            let identity = select.string(at: 0)
            if identity.isEmpty {
                profile[select.string(at: 1)] = .object(answer)
            } else {
                var answers = identities[identity]?.objectValue ?? [:]
                answers[select.string(at: 1)] = .object(answer)
                identities[identity] = .object(answers)
            }
        }
        if !identities.isEmpty { profile["identities"] = .object(identities) }
        return (.object(profile), validUntil)
    }

    /// The profile's events, newest first, `limit` at a time before sequence `before`.
    public func events(of id: ProfileID, before: Int64?, limit: Int) throws -> [StoredEvent] {
        try store.read { connection in
            let select = try connection.prepare(
                """
                SELECT \(Store.qualifiedEventColumns) FROM event_profiles p JOIN events e ON e.sequence = p.sequence
                WHERE p.profile_id = ?1 AND p.sequence < ?2 ORDER BY p.sequence DESC LIMIT ?3
                """)
            try select.bind(id.rawValue, at: 1)
            try select.bind(before ?? Int64.max, at: 2)
            try select.bind(limit, at: 3)
            return try select.query { Store.event(from: $0) }
        }
    }

    private func identities(of id: ProfileID, in connection: SQLiteConnection) throws -> [JSONValue] {
        let select = try connection.prepare(
            """
            SELECT namespace, value, first_seen, last_seen FROM identities WHERE profile_id = ?1
            ORDER BY first_seen, namespace, value
            """)
        try select.bind(id.rawValue, at: 1)
        return try select.query { row in
            [
                "namespace": .string(row.string(at: 0)), "value": .string(row.string(at: 1)),
                "firstSeen": .string(Timestamp(milliseconds: row.int64(at: 2)).iso8601),
                "lastSeen": .string(Timestamp(milliseconds: row.int64(at: 3)).iso8601),
            ]
        }
    }

    private func sourceNames(in connection: SQLiteConnection) throws -> [Int64: String] {
        let select = try connection.prepare("SELECT id, name FROM sources")
        return Dictionary(uniqueKeysWithValues: try select.query { ($0.int64(at: 0), $0.string(at: 1)) })
    }

    /// The parts of `attributes` named by dotted `paths`, nested as in the original.
    static func select(_ paths: [String], from attributes: JSONValue) -> JSONValue {
        var result: JSONValue = .object([:])
        for path in paths {
            let keys = AttributePath.keys(of: path)
            var node: JSONValue? = attributes
            for key in keys { node = node?[key] }
            guard let value = node else { continue }
            result = insert(value, at: keys[...], into: result)
        }
        return result
    }

    private static func insert(_ value: JSONValue, at keys: ArraySlice<String>, into object: JSONValue) -> JSONValue {
        guard let key = keys.first else { return value }
        var members = object.objectValue ?? [:]
        members[key] = insert(value, at: keys.dropFirst(), into: members[key] ?? .object([:]))
        return .object(members)
    }
}

/// Serialised default documents of read profiles, keyed by profile and stored version, within a
/// budget of bytes. A document showing a consent answer with an expiry is served only until then.
///
/// Decoding a profile's fragments and computed attributes, merging and rendering them costs far more
/// than the two indexed reads that tell whether anything changed; the writer gives every profile it
/// changes a new version in the same transaction. Over budget, the documents cached longest ago
/// leave first, a few at a time, so no reader waits behind a large eviction.
final class DocumentCache: Sendable {
    private struct Entries {
        var documents: [Int64: (version: Int64, validUntil: Int64, document: [UInt8])] = [:]
        /// Profiles in the order they entered, from `head` on; some may have left since.
        var arrivals: [Int64] = []
        var head = 0
        var bytes = 0

        /// Removes the documents that entered first until `bytes` is at most `budget`.
        mutating func evict(toFit budget: Int) {
            while bytes > budget, head < arrivals.count {
                if let removed = documents.removeValue(forKey: arrivals[head]) {
                    bytes -= removed.document.count + DocumentCache.overhead
                }
                head += 1
            }
            if head > 1_024 && head * 2 > arrivals.count {
                arrivals.removeFirst(head)
                head = 0
            }
        }
    }

    /// Bytes each entry costs besides its document: its table slot and its place in `arrivals`.
    static let overhead = 64
    private let entries = Mutex(Entries())
    /// The most bytes of documents and their bookkeeping kept.
    let capacityBytes: Int

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// The document cached for `profile` at `version`, unless it stopped being valid by `now`
    /// (milliseconds).
    func document(of profile: Int64, version: Int64, at now: Int64 = 0) -> [UInt8]? {
        entries.withLock { entries in
            guard let entry = entries.documents[profile], entry.version == version, now < entry.validUntil else {
                return nil
            }
            return entry.document
        }
    }

    /// Keeps `document` as `profile`'s at `version`, valid until `validUntil` (milliseconds).
    func store(_ document: [UInt8], of profile: Int64, version: Int64, validUntil: Int64 = .max) {
        let cost = document.count + Self.overhead
        guard cost <= capacityBytes else { return }
        entries.withLock { entries in
            if let replaced = entries.documents.updateValue((version, validUntil, document), forKey: profile) {
                entries.bytes -= replaced.document.count + Self.overhead
            } else {
                entries.arrivals.append(profile)
            }
            entries.bytes += cost
            entries.evict(toFit: capacityBytes)
        }
    }

    /// The bytes the cache holds now, by its own accounting.
    var bytes: Int { entries.withLock { $0.bytes } }

    /// Drops the documents of `profiles` (erased ones: their bytes must not outlive the store's).
    func forget(_ profiles: Set<Int64>) {
        entries.withLock { entries in
            for profile in profiles {
                if let removed = entries.documents.removeValue(forKey: profile) {
                    entries.bytes -= removed.document.count + Self.overhead
                }
            }
        }
    }
}
