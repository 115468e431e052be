import Cryptography

/// The `X-Tessera-Signature` header: `sha256=` and the lower-case hex HMAC-SHA256 of the request body
/// under the destination's secret.
///
/// Receivers recompute the HMAC over the raw body they received and compare in constant time.
/// `X-Tessera-Timestamp` is sent alongside but is not covered by the signature (the issue asks for
/// a signature over the body only).
public enum WebhookSignature {
    /// The header's name.
    public static let header = "X-Tessera-Signature"
    /// The name of the companion header carrying the send time in milliseconds since the epoch.
    public static let timestampHeader = "X-Tessera-Timestamp"

    /// The header value for `body` signed with `secret`.
    public static func sign(body: [UInt8], secret: String) -> String {
        "sha256=" + Digest.hex(Digest.hmacSHA256(key: Array(secret.utf8), message: body))
    }

    /// Whether `headerValue` is the signature of `body` under `secret`, compared in constant time.
    public static func verify(body: [UInt8], secret: String, headerValue: String) -> Bool {
        Digest.constantTimeEquals(Array(sign(body: body, secret: secret).utf8), Array(headerValue.utf8))
    }
}
