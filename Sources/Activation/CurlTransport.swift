import CCurl
import Synchronization
import TesseraCore

/// Sends webhooks with libcurl (Debian `libcurl4-openssl-dev`), on threads of its own.
///
/// Each thread keeps one curl easy handle, whose connection cache keeps connections to each
/// destination alive between requests; libcurl brings TLS, proxies and HTTP/2, which the built-in
/// client lacks. `Benchmarks/README.md` (Activation) compares it with ``HTTPClientTransport`` and
/// URLSession under load; the server's choice is explained in `docs/activation.md`.
public final class CurlTransport: DeliveryTransport {
    private let workers: BlockingWorkers
    /// A PEM file of the certificate authorities `https` receivers are checked against, instead of
    /// the system's (for receivers behind a private CA).
    let authorities: String?

    /// Starts `threads` sending threads; initialises libcurl once per process.
    public init(threads: Int = 16, certificateAuthorities: String? = nil) {
        _ = Self.initialised
        workers = BlockingWorkers(threads: threads, name: "tessera-curl")
        authorities = certificateAuthorities
    }

    /// `curl_global_init` is not thread-safe: run once, before any handle exists.
    private static let initialised: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Sends `request` on one of the transport's threads and waits for the outcome without blocking.
    public func send(_ request: WebhookRequest) async -> DeliveryOutcome {
        await workers.perform { context in
            let easy = context.curl ?? CurlEasy()
            context.curl = easy
            return easy.post(request, authorities: self.authorities)
        }
    }

    /// Lets the threads finish the requests already queued, then exit.
    public func shutdown() {
        workers.shutdown()
    }
}

/// One curl easy handle: the only code that touches libcurl's pointers. Used by one thread at a time.
final class CurlEasy {
    private let handle: UnsafeMutableRawPointer?

    init() {
        handle = curl_easy_init()
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// POSTs the request and reads at most ``Outbox/responseLimit`` bytes of the answer.
    func post(_ request: WebhookRequest, authorities: String? = nil) -> DeliveryOutcome {
        guard let handle else { return .connectionFailed(reason: "curl_init_failed") }
        curl_easy_reset(handle)
        var headers: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers { headers = curl_slist_append(headers, "\(name): \(value)") }
        // Without it curl waits for `100 Continue` before sending a body over 1 KiB.
        headers = curl_slist_append(headers, "Expect:")
        defer { curl_slist_free_all(headers) }
        let url = request.url
        let address = url.description
        let sink = ResponseSink()
        let code = address.withCString { text in
            request.body.withUnsafeBytes { body in
                tessera_curl_set_pointer(handle, CURLOPT_URL, text)
                tessera_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
                tessera_curl_set_long(handle, CURLOPT_POST, 1)
                tessera_curl_set_pointer(handle, CURLOPT_POSTFIELDS, body.baseAddress)
                tessera_curl_set_size(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                tessera_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headers)
                tessera_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeoutMilliseconds))
                tessera_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeoutMilliseconds))
                tessera_curl_set_write(handle, curlWrite)
                if let authorities {
                    _ = authorities.withCString { tessera_curl_set_pointer(handle, CURLOPT_CAINFO, $0) }
                }
                return withExtendedLifetime(sink) {
                    tessera_curl_set_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
                    return curl_easy_perform(handle)
                }
            }
        }
        switch code {
        case CURLE_OK: return .response(status: tessera_curl_status(handle), body: sink.bytes)
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_COULDNT_CONNECT: return .connectionFailed(reason: "connect_failed")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            return .connectionFailed(reason: "tls_certificate_refused")
        case CURLE_SSL_CONNECT_ERROR: return .connectionFailed(reason: "tls_handshake_failed")
        default: return .connectionFailed(reason: "curl_\(code.rawValue)")
        }
    }
}

/// Where curl's write callback puts the answer's body.
private final class ResponseSink {
    var bytes: [UInt8] = []
}

/// curl's write callback: keeps the first bytes of the body and accepts the rest.
private func curlWrite(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let length = size * count
    guard let data, let context else { return length }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let room = max(0, Outbox.responseLimit - sink.bytes.count)
    if room > 0 {
        sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: min(room, length)))
    }
    return length
}
