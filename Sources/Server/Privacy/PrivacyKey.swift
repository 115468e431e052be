import Cryptography
import Foundation
import TesseraCore

/// The server's privacy key: 32 random bytes that key the suppression hashes and sign receipts.
///
/// Kept in a file of its own (mode 0600), not in the database, so that a copy of the database alone
/// cannot test guessed e-mail addresses against the suppression list or forge a receipt. Losing it
/// makes earlier suppression entries useless and earlier receipts unverifiable: back it up with the
/// data directory, or better, apart from it.
struct PrivacyKey: Sendable {
    let bytes: [UInt8]

    /// A short public name of the key (the first 8 bytes of its SHA-256), shown in receipts.
    var id: String { String(Digest.hex(Digest.sha256(bytes)).prefix(16)) }

    /// Reads the key from `path`, creating it with 32 random bytes when it does not exist.
    ///
    /// - Throws: `ServerError` when the file cannot be read or written, or holds no 32-byte hex key.
    static func load(path: String) throws -> PrivacyKey {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let bytes = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
                throw ServerError("\(path) must hold 64 hex digits")
            }
            return PrivacyKey(bytes: bytes)
        }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Secrets.writeSecret(Digest.hex(bytes), to: path)
        return PrivacyKey(bytes: bytes)
    }

    /// HMAC-SHA256 of `message` under the key.
    func mac(_ message: [UInt8]) -> [UInt8] {
        Digest.hmacSHA256(key: bytes, message: message)
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }
}
