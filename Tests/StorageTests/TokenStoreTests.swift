import Foundation
@testable import Storage
import TesseraCore
import Testing

@Suite("API tokens and the audit log in the store")
struct TokenStoreTests {
    @Test("a token is stored by the digest of its secret, found by it, listed and revoked once")
    func lifecycle() async throws {
        let clock = ManualClock()
        try await withStore(clock: clock) { store, _ in
            let digest = Array(repeating: UInt8(7), count: 32)
            let token = try await store.addToken(
                id: "tok_a", name: "dashboards", scopes: ["profiles:read", "audiences:write"], secretDigest: digest)
            #expect(token.createdAt == clock.now() && token.isActive && token.lastUsedAt == nil)
            #expect(try store.token(secretDigest: digest) == token)
            #expect(try store.token(secretDigest: Array(repeating: 8, count: 32)) == nil)
            #expect(try store.token(id: "tok_a")?.scopes == ["profiles:read", "audiences:write"])

            let taken = try await #require(throws: StorageError.self) {
                try await store.addToken(id: "tok_b", name: "other", scopes: ["admin"], secretDigest: digest)
            }
            #expect(taken.kind == .conflict)

            clock.advance(by: .seconds(60))
            let revoked = try await store.revokeToken(id: "tok_a")
            #expect(revoked.revokedAt == clock.now() && !revoked.isActive)
            clock.advance(by: .seconds(60))
            #expect(try await store.revokeToken(id: "tok_a").revokedAt == revoked.revokedAt, "first revocation kept")
            let missing = try await #require(throws: StorageError.self) { try await store.revokeToken(id: "tok_x") }
            #expect(missing.kind == .notFound)
            #expect(try store.tokens().map(\.id) == ["tok_a"])
        }
    }

    @Test("last use only moves forward")
    func touch() async throws {
        try await withStore { store, _ in
            _ = try await store.addToken(id: "tok_a", name: "a", scopes: ["admin"], secretDigest: [1, 2, 3])
            try await store.touchTokens(["tok_a": Timestamp(milliseconds: 2_000)])
            try await store.touchTokens(["tok_a": Timestamp(milliseconds: 1_000), "tok_unknown": .now()])
            #expect(try store.token(id: "tok_a")?.lastUsedAt == Timestamp(milliseconds: 2_000))
        }
    }

    @Test("audit entries are appended in order and paged by id, optionally for one profile")
    func auditPaging() async throws {
        try await withStore { store, _ in
            let time = Timestamp(milliseconds: 1_780_000_000_000)
            let entries = (1...5).map { index in
                AuditEntry(
                    time: time, tokenID: "tok_a", route: "/v1/profiles/{id}", action: "read",
                    profileID: index == 5 ? nil : Int64(index % 2))
            }
            try await store.appendAudit(entries)
            let first = try store.auditEntries(after: nil, limit: 3)
            #expect(first.map(\.id) == [1, 2, 3])
            #expect(first[0].tokenID == "tok_a" && first[0].route == "/v1/profiles/{id}" && first[0].profileID == 1)
            let rest = try store.auditEntries(after: 3, limit: 3)
            #expect(rest.map(\.id) == [4, 5] && rest[1].profileID == nil)
            #expect(try store.auditEntries(after: nil, limit: 10, profileID: 1).map(\.id) == [1, 3])
        }
    }

    @Test("a store written before tokens existed gains the token and audit tables and keeps its data")
    func upgrade() async throws {
        let directory = try Self.store(
            atVersion: 1, with: "INSERT INTO sources (name, write_key, created_at) VALUES ('web', 'key-web', 1)")
        defer { directory.remove() }
        let store = try Store(directory: directory.path, configuration: .forTests)
        defer { store.close() }
        #expect(try store.source(name: "web")?.writeKey == "key-web")
        _ = try await store.addToken(id: "tok_a", name: "a", scopes: ["admin"], secretDigest: [1])
        try await store.appendAudit([
            AuditEntry(time: .now(), tokenID: "tok_a", route: "/v1/audit", action: "read", profileID: nil)
        ])
        #expect(try store.tokens().count == 1 && store.auditEntries(after: nil, limit: 10).count == 1)
    }

    @Test("the audit log lives in audit.sqlite, none of it in the main database")
    func auditDatabase() async throws {
        try await withStore { store, directory in
            #expect(store.auditDatabasePath == directory.path + "/audit.sqlite")
            try await store.appendAudit([
                AuditEntry(time: .now(), tokenID: "tok", route: "/v1/audit", action: "read", profileID: 7)
            ])
            #expect(try store.auditEntries(after: nil, limit: 10, profileID: 7).map(\.tokenID) == ["tok"])
            let inMain = try store.read { connection in
                try connection.prepare("SELECT count(*) FROM main.sqlite_schema WHERE name LIKE 'audit%'")
                    .queryFirst { $0.int64(at: 0) }
            }
            #expect(inMain == 0)
            #expect(FileManager.default.fileExists(atPath: store.auditDatabasePath))
        }
    }

    @Test("a profile's entries are found across indexed segments and the one being written, paged, and detached")
    func auditSegments() async throws {
        try await withStore { store, _ in
            // Profile 7 reads every 1,000th entry over two full segments and part of a third.
            let count = Int(AuditDatabase.segmentSize) * 2 + 5_000
            let entries = (1...count).map { (n: Int) -> AuditEntry in
                let profile: Int64 = n % 1_000 == 0 ? 7 : 1_000 + Int64(n % 50)
                return AuditEntry(
                    time: Timestamp(milliseconds: Int64(n)), tokenID: "tok", route: "/v1/profiles/{id}",
                    action: "read", profileID: profile)
            }
            for chunk in stride(from: 0, to: count, by: 7_000) {
                try await store.appendAudit(Array(entries[chunk..<min(count, chunk + 7_000)]))
            }
            let indexed = try store.read { connection in
                try connection.prepare("SELECT count(*), max(segment) FROM audit_by_profile")
                    .queryFirst { ($0.int64(at: 0), $0.int64(at: 1)) }
            }
            #expect(indexed?.0 == AuditDatabase.segmentSize * 2 - 1, "two full segments, less id 0's slot")
            #expect(indexed?.1 == 1)

            let expected = (1...count).filter { $0 % 1_000 == 0 }.map(Int64.init)
            var paged: [Int64] = []
            var after: Int64?
            while true {
                let page = try store.auditEntries(after: after, limit: 7, profileID: 7)
                guard let last = page.last?.id else { break }
                #expect(page.allSatisfy { $0.profileID == 7 && $0.tokenID == "tok" })
                paged += page.compactMap(\.id)
                after = last
            }
            #expect(paged == expected)

            let detached = try await store.transaction { connection in
                try store.detachAuditEntries(from: [7], in: connection)
            }
            #expect(detached == expected.count)
            #expect(try store.auditEntries(after: nil, limit: 100, profileID: 7).isEmpty)
            #expect(try store.auditEntries(after: nil, limit: count).count == count, "who read, and when, stays")
        }
    }

    @Test("retention deletes whole segments whose newest entry is older than the cutoff, never the newest")
    func auditRetention() async throws {
        try await withStore { store, _ in
            let size = Int(AuditDatabase.segmentSize)
            // Entry n was read at time n: three full segments and a part of a fourth.
            let entries = (1...(size * 3 + 100)).map { (n: Int) -> AuditEntry in
                AuditEntry(
                    time: Timestamp(milliseconds: Int64(n)), tokenID: "tok", route: "/v1/audit", action: "read",
                    profileID: Int64(n % 3))
            }
            try await store.appendAudit(entries)

            // The first segment holds ids 1..<size, its newest read at size - 1.
            #expect(try await store.deleteAuditEntries(before: Timestamp(milliseconds: Int64(size - 1))) == 0)
            let first = try await store.deleteAuditEntries(before: Timestamp(milliseconds: Int64(size)))
            #expect(first == size - 1)
            #expect(try store.auditEntries(after: nil, limit: 1).first?.id == Int64(size))
            let rest = try await store.deleteAuditEntries(before: Timestamp(milliseconds: Int64.max))
            #expect(rest == size * 2, "the second and third segments; the one being written stays")
            let kept = try store.auditEntries(after: nil, limit: 1_000, profileID: 1)
            #expect(!kept.isEmpty && kept.allSatisfy { $0.id! >= Int64(size * 3) && $0.profileID == 1 })
        }
    }

    /// A data directory holding a database written by an older Tessera: migrated to `version`, then
    /// given `rows`.
    private static func store(atVersion version: Int, with rows: String) throws -> TemporaryDirectory {
        let directory = TemporaryDirectory()
        try directory.create()
        let connection = try SQLiteConnection(path: directory.path + "/tessera.sqlite")
        for migration in Schema.migrations.prefix(version) { try connection.execute(migration) }
        try connection.execute("PRAGMA user_version = \(version)")
        try connection.execute(rows)
        return directory
    }
}
