import Cryptography
import Foundation
import HTTPServer
import Storage
import Synchronization
import TesseraCore

/// Decides who is calling: a source (by write key) or the admin (by token).
///
/// Write keys are looked up in the store and cached briefly, so that a source added or a key rotated
/// by `tessera sources` in another process takes effect within seconds without a restart. The admin
/// token is held only as its SHA-256 digest and compared in constant time.
final class Authenticator: Sendable {
    private struct CachedSource {
        var source: SourceRecord?
        var expires: Int64
    }

    private let store: Store
    private let adminTokenDigest: [UInt8]
    private let clock: any WallClock
    private let cache = Mutex<[String: CachedSource]>([:])
    private static let knownKeyLifetime: Int64 = 10_000
    private static let unknownKeyLifetime: Int64 = 2_000
    private static let cacheCapacity = 10_000

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

    /// Whether the request carries the admin token as a bearer token.
    func isAdmin(_ request: HTTPRequest) -> Bool {
        guard let token = Authenticator.bearerToken(request.headers["authorization"]) else { return false }
        return Digest.constantTimeEquals(Digest.sha256(Array(token.utf8)), adminTokenDigest)
    }

    /// The user name of an HTTP Basic `Authorization` header: where Segment clients put the write key.
    static func basicUser(_ header: String?) -> String? {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        let encoded = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded), let credentials = String(data: data, encoding: .utf8) else {
            return nil
        }
        let user = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first
        return user.map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The token of an `Authorization: Bearer <token>` header.
    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
