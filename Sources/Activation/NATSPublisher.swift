import Synchronization
import TesseraCore

/// Publishes deliveries of NATS destinations to JetStream, on threads of its own.
///
/// Each delivery becomes one message: its envelope (as one element of a webhook body) as the data,
/// its idempotency key as the `Nats-Msg-Id`, so the stream drops a copy sent again after a crash or
/// a retried batch within its duplicate window. A batch is published message by message, each
/// waiting for the stream's acknowledgement; the first failure fails the batch, and the messages
/// already acknowledged are dropped as duplicates when it is retried. One connection per server
/// URL is shared by the threads (libnats connections are thread-safe).
public final class NATSPublisher: Sendable {
    private let workers: BlockingWorkers
    private let clients = Mutex<[String: NATSClient]>([:])

    /// Starts `threads` publishing threads.
    public init(threads: Int = 4) {
        workers = BlockingWorkers(threads: threads, name: "tessera-nats")
    }

    /// Publishes `batch` to `subject` at `url`, waiting at most `timeoutMilliseconds` per message.
    func publish(_ batch: [Delivery], url: String, subject: String, timeoutMilliseconds: Int64) async
        -> DeliveryOutcome
    {
        await workers.perform { _ in
            self.publishBlocking(batch, url: url, subject: subject, timeout: timeoutMilliseconds)
        }
    }

    /// Lets the threads finish the batches already queued, then exit.
    public func shutdown() {
        workers.shutdown()
    }

    private func publishBlocking(_ batch: [Delivery], url: String, subject: String, timeout: Int64)
        -> DeliveryOutcome
    {
        let client: NATSClient
        do {
            client = try self.client(url: url, timeout: timeout)
        } catch {
            return error.timedOut ? .timeout : .connectionFailed(reason: "connect_failed")
        }
        do {
            for delivery in batch {
                var writer = JSONWriter(capacity: delivery.payload.count + 160)
                DeliveryEnvelope.write(delivery, into: &writer)
                try client.publish(writer.bytes, to: subject, messageID: delivery.idempotencyKey)
            }
            return .response(status: 200, body: [])
        } catch {
            if error.timedOut { return .timeout }
            if error.noStream { return .connectionFailed(reason: "no_stream") }
            if error.jetStreamCode != 0 { return .connectionFailed(reason: "jetstream_\(error.jetStreamCode)") }
            // The connection is gone for good (libnats reconnects on its own otherwise): open afresh.
            _ = clients.withLock { $0.removeValue(forKey: url) }
            return .connectionFailed(reason: "publish_failed")
        }
    }

    private func client(url: String, timeout: Int64) throws(NATSClient.Failure) -> NATSClient {
        if let client = clients.withLock({ $0[url] }) { return client }
        let client = try NATSClient(url: url, timeoutMilliseconds: timeout)
        return clients.withLock { clients in
            if let existing = clients[url] { return existing }
            clients[url] = client
            return client
        }
    }
}
