import Cryptography
import JSONParsing
import TesseraCore

/// A delivery to enqueue: its payload already mapped, why it exists, and the key receivers dedupe by.
public struct OutboxEntry: Sendable, Equatable {
    /// The destination it goes to.
    public var destinationID: Int64
    /// A key unique across the outbox; enqueueing the same key twice stores the entry once.
    ///
    /// Derive it from what caused the delivery (``key(destinationID:cause:)``), so that replaying
    /// the same change cannot send twice.
    public var idempotencyKey: String
    /// Why the delivery exists: `audience entered: NAME`, `audience exited: NAME`, `trigger: NAME`.
    public var reason: String
    /// The profile it is about, when there is one.
    public var profileID: Int64?
    /// The audience whose fields it carries, when an audience caused it: policies are checked
    /// against what that audience's rule reads.
    public var audienceID: Int64?
    /// The trigger that fired it, when one did: policies are checked against what its rule reads.
    public var triggerID: Int64?
    /// The mapped payload (``PayloadMapping/payload(for:)``).
    public var payload: JSONValue
    /// When the change that caused it happened.
    public var createdAt: Timestamp

    /// Creates an entry.
    public init(
        destinationID: Int64, idempotencyKey: String, reason: String, profileID: Int64?, audienceID: Int64? = nil,
        triggerID: Int64? = nil, payload: JSONValue, createdAt: Timestamp
    ) {
        self.destinationID = destinationID
        self.idempotencyKey = idempotencyKey
        self.reason = reason
        self.profileID = profileID
        self.audienceID = audienceID
        self.triggerID = triggerID
        self.payload = payload
        self.createdAt = createdAt
    }

    /// The reason for a profile entering an audience.
    public static func reason(audienceEntered name: String) -> String { "audience entered: \(name)" }

    /// The reason for a profile leaving an audience.
    public static func reason(audienceExited name: String) -> String { "audience exited: \(name)" }

    /// The reason for a real-time trigger.
    public static func reason(trigger name: String) -> String { "trigger: \(name)" }

    /// A deterministic idempotency key: a hash of the destination and the parts naming the cause.
    ///
    /// For example `key(destinationID: 3, cause: ["audience", "12", "history", "981"])`. The same
    /// inputs always give the same key; the key reveals none of them.
    public static func key(destinationID: Int64, cause: [String]) -> String {
        let text = ([String(destinationID)] + cause).map { "\($0.utf8.count):\($0)" }.joined()
        return "d\(destinationID)-" + Digest.hex(Array(Digest.sha256(Array(text.utf8)).prefix(16)))
    }

    /// Checks the key and reason are present and of sensible size.
    func validate() throws(ActivationError) {
        guard (1...200).contains(idempotencyKey.utf8.count) else {
            throw ActivationError(.invalidEntry, field: "idempotencyKey", "must have 1 to 200 bytes")
        }
        guard (1...500).contains(reason.utf8.count) else {
            throw ActivationError(.invalidEntry, field: "reason", "must have 1 to 500 bytes")
        }
    }
}

/// A delivery as the outbox holds it.
public struct Delivery: Sendable, Equatable {
    /// The outbox row id; deliveries are listed in this order.
    public var id: Int64
    /// The destination it goes to.
    public var destinationID: Int64
    /// The key receivers dedupe by.
    public var idempotencyKey: String
    /// Why the delivery exists.
    public var reason: String
    /// The profile it is about.
    public var profileID: Int64?
    /// The audience that caused it, if one did.
    public var audienceID: Int64? = nil
    /// The trigger that fired it, if one did.
    public var triggerID: Int64? = nil
    /// The payload as JSON bytes.
    public var payload: [UInt8]
    /// When the change that caused it happened.
    public var createdAt: Timestamp
    /// State, attempts, due time and detail.
    public var status: DeliveryStatus
    /// The HTTP status of the last answer.
    public var lastStatus: Int?
    /// The first 4 KiB of the last refused or failed answer's body.
    public var lastResponse: [UInt8]?
    /// When it was delivered.
    public var sentAt: Timestamp?
    /// When the row last changed.
    public var updatedAt: Timestamp

    /// The delivery as the admin API shows it; the payload is embedded as JSON.
    public var json: JSONValue {
        [
            "id": .int(id), "destinationId": .int(destinationID), "idempotencyKey": .string(idempotencyKey),
            "reason": .string(reason), "profileId": .optional(profileID), "audienceId": .optional(audienceID),
            "triggerId": .optional(triggerID),
            "payload": payloadValue,
            "createdAt": .string(createdAt.iso8601), "state": .string(status.state.rawValue),
            "attempts": .int(Int64(status.attempts)), "nextAttemptAt": .string(status.nextAttemptAt.iso8601),
            "detail": .optional(status.detail), "lastStatus": .optional(lastStatus.map(Int64.init)),
            "lastResponse": .optional(lastResponse.map { String(decoding: $0, as: UTF8.self) }),
            "sentAt": .optional(sentAt?.iso8601), "updatedAt": .string(updatedAt.iso8601),
        ]
    }

    private var payloadValue: JSONValue {
        (try? JSONValue(parsing: payload)) ?? .string(String(decoding: payload, as: UTF8.self))
    }
}
