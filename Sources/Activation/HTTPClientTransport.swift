import HTTPServer
import TesseraCore

/// Sends webhooks with the blocking `HTTPServer.HTTPClient`, on threads of its own.
///
/// Each thread keeps one keep-alive connection per destination host and port. `threads` bounds the
/// requests in flight across all destinations: keep it at or above the sum of their concurrency, or
/// requests wait here (their timeout starts only when they are sent).
///
/// The server's transport, chosen by measurement (`tessera-bench activation`, Benchmarks/README.md,
/// "Activation"): against the same local receiver, over eight runs, it sent 21–44k requests/s with
/// 16 in flight, 0.97–1.5× ``CurlTransport`` (libcurl) in the same run, and URLSession 2.6–3.7k; at a
/// steady 1,000 requests per second ours and libcurl answer within about 1 ms at p99, URLSession
/// within 4 ms. It speaks plain HTTP/1.1 only: ``CurlTransport`` is the way to TLS, proxies and
/// HTTP/2.
public final class HTTPClientTransport: DeliveryTransport {
    private let workers: BlockingWorkers

    /// Starts `threads` sending threads.
    public init(threads: Int = 16) {
        workers = BlockingWorkers(threads: threads, name: "tessera-webhook")
    }

    /// Sends `request` on one of the transport's threads and waits for the outcome without blocking.
    public func send(_ request: WebhookRequest) async -> DeliveryOutcome {
        await workers.perform { context in Self.exchange(request, context: context) }
    }

    /// Lets the threads finish the requests already queued, then exit.
    public func shutdown() {
        workers.shutdown()
    }

    private static func exchange(_ request: WebhookRequest, context: WorkerContext) -> DeliveryOutcome {
        let url = request.url
        // Plain TCP only: never send to an `https` receiver in the clear.
        guard !url.isSecure else { return .connectionFailed(reason: "tls_unsupported") }
        let timeout = Double(request.timeoutMilliseconds) / 1000
        let key = "\(url.host):\(url.port):\(request.timeoutMilliseconds)"
        let client = context.clients[key] ?? HTTPClient(host: url.host, port: url.port, timeoutSeconds: timeout)
        context.clients[key] = client
        do {
            let response = try client.send(
                method: "POST", path: url.target, headers: request.headers, body: request.body)
            return .response(status: response.status, body: Array(response.body.prefix(Outbox.responseLimit)))
        } catch {
            // A half-read response leaves the connection unusable; start afresh next time.
            client.close()
            switch error.kind {
            case .timedOut: return .timeout
            default: return .connectionFailed(reason: error.kind.rawValue)
            }
        }
    }
}
