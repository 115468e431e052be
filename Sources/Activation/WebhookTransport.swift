/// The server's webhook transport: `http` receivers through ``HTTPClientTransport``, which measured
/// fastest (see its docs), and `https` receivers through ``CurlTransport``, since libcurl brings TLS
/// with certificate verification and the built-in client has none.
public final class WebhookTransport: DeliveryTransport {
    private let plain: HTTPClientTransport
    private let secure: CurlTransport

    /// Starts `threads` threads for plain HTTP and `secureThreads` for TLS.
    ///
    /// - Parameter certificateAuthorities: a PEM file of the authorities `https` receivers are
    ///   checked against instead of the system's (`TESSERA_CA_FILE`), for receivers behind a private CA.
    public init(threads: Int = 16, secureThreads: Int = 4, certificateAuthorities: String? = nil) {
        plain = HTTPClientTransport(threads: threads)
        secure = CurlTransport(threads: secureThreads, certificateAuthorities: certificateAuthorities)
    }

    public func send(_ request: WebhookRequest) async -> DeliveryOutcome {
        request.url.isSecure ? await secure.send(request) : await plain.send(request)
    }

    public func shutdown() {
        plain.shutdown()
        secure.shutdown()
    }
}
