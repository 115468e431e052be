import Cryptography
import Foundation
import Storage
import TesseraCore

/// The default source and the admin token, created on first start.
///
/// The store keeps only the token's SHA-256 digest; the token itself is printed once and written to
/// `<data>/admin-token` with mode 0600, next to `<data>/default-write-key`.
enum Secrets {
    static let adminTokenSetting = "admin_token_sha256"
    static let defaultSourceName = "default"

    struct Prepared {
        var firstStart: TesseraServer.FirstStart
        var adminTokenDigest: [UInt8]
    }

    static func prepare(store: Store, configuration: ServerConfiguration) async throws -> Prepared {
        var firstStart = TesseraServer.FirstStart()
        let directory = configuration.dataDirectory
        if try store.source(name: defaultSourceName) == nil {
            let writeKey = RandomID.secret(prefix: "wk_")
            let source = try await store.addSource(name: defaultSourceName, writeKey: writeKey)
            try writeSecret(source.writeKey, to: directory + "/default-write-key")
            firstStart.defaultWriteKey = source.writeKey
        }
        if let token = configuration.adminToken {
            return Prepared(firstStart: firstStart, adminTokenDigest: Digest.sha256(Array(token.utf8)))
        }
        if let stored = try store.setting(adminTokenSetting), let digest = bytes(hex: stored) {
            return Prepared(firstStart: firstStart, adminTokenDigest: digest)
        }
        let token = RandomID.secret(prefix: "adm_")
        let digest = Digest.sha256(Array(token.utf8))
        try await store.setSetting(adminTokenSetting, Digest.hex(digest))
        try writeSecret(token, to: directory + "/admin-token")
        firstStart.adminToken = token
        return Prepared(firstStart: firstStart, adminTokenDigest: digest)
    }

    /// Writes a secret readable by its owner only.
    static func writeSecret(_ secret: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw ServerError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        let bytes = Array((secret + "\n").utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else {
            throw ServerError("cannot write \(path)")
        }
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).compactMap { index in
            UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16)
        }
    }
}

/// A server set-up problem, with a message for the operator.
public struct ServerError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
