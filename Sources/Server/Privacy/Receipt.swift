import Cryptography
import TesseraCore

/// The proof a delete job leaves: what was deleted from which store, when, signed with the server's
/// privacy key. It holds counts, times and the keyed hash of the identity, never personal data.
///
/// The signature is HMAC-SHA256 over the receipt's canonical JSON: the receipt without its
/// `signature` member, compact, object keys sorted, every value ASCII (`jq -cjS 'del(.signature)'`
/// prints the same bytes). See docs/privacy.md for how to check it.
struct Receipt: Sendable {
    var jobID: String
    var regulation: String
    var identityHash: String
    var startedAt: Timestamp
    var finishedAt: Timestamp
    var counts: [String: Int]

    /// The signed fields, as signed.
    var unsigned: JSONValue {
        [
            "jobId": .string(jobID), "regulation": .string(regulation), "action": "delete",
            "identityHash": .string(identityHash), "startedAt": .string(startedAt.iso8601),
            "finishedAt": .string(finishedAt.iso8601),
            "counts": .object(counts.mapValues { .int(Int64($0)) }),
        ]
    }

    /// The receipt with its signature.
    func signed(with key: PrivacyKey) -> JSONValue {
        var object = unsigned.objectValue ?? [:]
        object["signature"] = [
            "algorithm": "HMAC-SHA256", "keyId": .string(key.id),
            "value": .string(Digest.hex(key.mac(unsigned.serializedBytes))),
        ]
        return .object(object)
    }

    /// Whether `receipt` carries a valid signature under `key`.
    static func verify(_ receipt: JSONValue, with key: PrivacyKey) -> Bool {
        guard var object = receipt.objectValue, let value = object["signature"]?["value"]?.stringValue else {
            return false
        }
        object["signature"] = nil
        let expected = Digest.hex(key.mac(JSONValue.object(object).serializedBytes))
        return Digest.constantTimeEquals(Array(expected.utf8), Array(value.utf8))
    }
}
