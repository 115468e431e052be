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
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try directory.create()
        do {
            let connection = try SQLiteConnection(path: directory.path + "/tessera.sqlite")
            try connection.execute(Schema.migrations[0])
            try connection.execute("PRAGMA user_version = 1")
            try connection.execute("INSERT INTO sources (name, write_key, created_at) VALUES ('web', 'key-web', 1)")
        }
        let store = try Store(directory: directory.path, configuration: .forTests)
        defer { store.close() }
        #expect(try store.source(name: "web")?.writeKey == "key-web")
        _ = try await store.addToken(id: "tok_a", name: "a", scopes: ["admin"], secretDigest: [1])
        try await store.appendAudit([
            AuditEntry(time: .now(), tokenID: "tok_a", route: "/v1/audit", action: "read", profileID: nil)
        ])
        #expect(try store.tokens().count == 1 && store.auditEntries(after: nil, limit: 10).count == 1)
    }
}
