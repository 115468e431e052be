import Cryptography
import TesseraCore

/// How one delivery is written on the wire and in export files, and how batches are keyed.
///
/// Each element of a webhook body (a JSON array) and each JSONL line is
/// `{"idempotencyKey":…,"reason":…,"profileId":…,"createdAt":…,"data":{mapped payload}}`,
/// so receivers can dedupe single records even when a retried batch is grouped differently.
enum DeliveryEnvelope {
    /// Writes one delivery's envelope.
    static func write(_ delivery: Delivery, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("idempotencyKey")
        writer.writeString(delivery.idempotencyKey)
        writer.writeComma()
        writer.writeKey("reason")
        writer.writeString(delivery.reason)
        writer.writeComma()
        writer.writeKey("profileId")
        if let profileID = delivery.profileID { writer.writeInt(profileID) } else { writer.writeNull() }
        writer.writeComma()
        writer.writeKey("createdAt")
        writer.writeString(delivery.createdAt.iso8601)
        writer.writeComma()
        writer.writeKey("data")
        writer.writeRaw(delivery.payload)
        writer.endObject()
    }

    /// A webhook body: the envelopes of `batch` as one JSON array.
    static func body(for batch: [Delivery]) -> [UInt8] {
        var writer = JSONWriter(capacity: batch.reduce(64) { $0 + $1.payload.count + 160 })
        writer.beginArray()
        for (index, delivery) in batch.enumerated() {
            if index > 0 { writer.writeComma() }
            write(delivery, into: &writer)
        }
        writer.endArray()
        return writer.bytes
    }

    /// The idempotency key of a request: the delivery's own key for one delivery, otherwise `batch-`
    /// and a hash of the keys in order, so resending the same batch repeats the same key.
    static func key(for batch: [Delivery]) -> String {
        if batch.count == 1 { return batch[0].idempotencyKey }
        let joined = batch.map(\.idempotencyKey).joined(separator: "\n")
        return "batch-" + Digest.hex(Array(Digest.sha256(Array(joined.utf8)).prefix(16)))
    }
}
