import Cryptography
import Foundation
import HTTPServer
import Storage
import Synchronization
import TesseraCore

/// Decides who is calling: a source (by write key), or a bearer token's holder (the admin or an API token).
///
/// Write keys are looked up in the store and cached briefly, so that a source added or a key rotated
/// by `tessera sources` in another process takes effect within seconds without a restart. The admin
/// token is held only as its SHA-256 digest and compared in constant time. API tokens are found by
/// the SHA-256 digest of their secret (the store has nothing else) and cached the same way; a token
/// revoked through this server stops working at once, one revoked elsewhere within seconds.
final class Authenticator: Sendable {
    private struct CachedSource {
        var source: SourceRecord?
        var expires: Int64
    }

    private struct CachedToken {
        var token: TokenRecord?
        var expires: Int64
    }

    private let store: Store
    private let adminTokenDigest: [UInt8]
    private let clock: any WallClock
    private let cache = Mutex<[String: CachedSource]>([:])
    /// API tokens by the hex digest of their secret (never by the secret itself).
    private let tokens = Mutex<[String: CachedToken]>([:])
    /// When each token's use was last written to the store, by token id.
    private let touched = Mutex<[String: Int64]>([:])
    private static let knownKeyLifetime: Int64 = 10_000
    private static let unknownKeyLifetime: Int64 = 2_000
    private static let cacheCapacity = 10_000
    /// `last_used_at` is written at most this often per token.
    static let touchInterval: Int64 = 60_000
    /// The prefix of every API token's secret.
    static let tokenPrefix = "tsk_"

    init(store: Store, adminTokenDigest: [UInt8], clock: any WallClock) {
        self.store = store
        self.adminTokenDigest = adminTokenDigest
        self.clock = clock
    }

    /// The source whose write key is `key`, or nil when no source has it.
    func source(forWriteKey key: String) -> SourceRecord? {
        let now = clock.now().milliseconds
        if let cached = cache.withLock({ $0[key] }), cached.expires > now { return cached.source }
        let source = try? store.source(writeKey: key)
        let lifetime = source == nil ? Authenticator.unknownKeyLifetime : Authenticator.knownKeyLifetime
        cache.withLock { cache in
            if cache.count >= Authenticator.cacheCapacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = CachedSource(source: source, expires: now + lifetime)
        }
        return source
    }

    /// Forgets cached keys, after sources change in this process.
    func invalidate() {
        cache.withLock { $0.removeAll() }
    }

    /// Forgets cached API tokens, after tokens change in this process.
    func invalidateTokens() {
        tokens.withLock { $0.removeAll() }
    }

    /// Who holds the request's bearer token: the admin (every scope) or an active API token; nil
    /// when there is no bearer token or it opens nothing.
    func caller(of request: HTTPRequest) -> Caller? {
        guard let secret = Authenticator.bearerToken(request.headers["authorization"]) else { return nil }
        let digest = Digest.sha256(Array(secret.utf8))
        if Digest.constantTimeEquals(digest, adminTokenDigest) { return .admin }
        guard secret.hasPrefix(Authenticator.tokenPrefix), let token = token(digest: digest), token.isActive else {
            return nil
        }
        touch(token.id)
        return Caller(tokenID: token.id, scopes: Set(token.scopes.compactMap(Scope.init(rawValue:))))
    }

    private func token(digest: [UInt8]) -> TokenRecord? {
        let key = Digest.hex(digest)
        let now = clock.now().milliseconds
        if let cached = tokens.withLock({ $0[key] }), cached.expires > now { return cached.token }
        let token = try? store.token(secretDigest: digest)
        let lifetime = token == nil ? Authenticator.unknownKeyLifetime : Authenticator.knownKeyLifetime
        tokens.withLock { tokens in
            if tokens.count >= Authenticator.cacheCapacity { tokens.removeAll(keepingCapacity: true) }
            tokens[key] = CachedToken(token: token, expires: now + lifetime)
        }
        return token
    }

    /// Writes the token's last use to the store when the stored one is a minute old or more.
    private func touch(_ id: String) {
        let now = clock.now()
        let due = touched.withLock { touched in
            if let last = touched[id], now.milliseconds - last < Authenticator.touchInterval { return false }
            touched[id] = now.milliseconds
            return true
        }
        guard due else { return }
        let store = store
        Task { try? await store.touchTokens([id: now]) }
    }

    /// The user name of an HTTP Basic `Authorization` header: where Segment clients put the write key.
    static func basicUser(_ header: String?) -> String? {
        guard let encoded = credentials(of: header, scheme: "basic ") else { return nil }
        guard let data = Data(base64Encoded: String(encoded)), let credentials = String(data: data, encoding: .utf8)
        else { return nil }
        let user = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first
        return user.map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The token of an `Authorization: Bearer <token>` header.
    static func bearerToken(_ header: String?) -> String? {
        credentials(of: header, scheme: "bearer ").map(String.init)
    }

    /// What follows `scheme` (lower case, with its trailing space; matched ignoring case) in an
    /// `Authorization` header, without the spaces and tabs around it; nil when it is another scheme
    /// or nothing follows.
    ///
    /// Runs on every authenticated request, so it compares bytes instead of building Strings.
    static func credentials(of header: String?, scheme: StaticString) -> Substring? {
        guard let header else { return nil }
        let bytes = header.utf8
        let expected = UnsafeBufferPointer(start: scheme.utf8Start, count: scheme.utf8CodeUnitCount)
        let sameScheme = zip(bytes, expected).allSatisfy { actual, wanted in
            actual == wanted || isLetter(wanted) && actual | 0x20 == wanted
        }
        guard bytes.count > expected.count, sameScheme else { return nil }
        let rest = bytes.dropFirst(expected.count)
        guard let first = rest.firstIndex(where: { !isSpace($0) }), let last = rest.lastIndex(where: { !isSpace($0) })
        else { return nil }
        return header[first..<bytes.index(after: last)]
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
}
