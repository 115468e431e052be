import Glibc
import Synchronization
import TesseraCore

/// The HTTP/1.1 transport of the collection server, on libmicrohttpd.
///
/// Worker threads (one per core by default) each run an epoll loop over their connections. A request is
/// handed to the handler once its whole body has arrived, inflated if it was gzip; the handler answers
/// through its `Responder`, at once or later from any thread. While a request waits for its answer its
/// connection is suspended and holds no thread, so thousands of requests can wait for one commit.
///
/// The server itself refuses bodies over `maxBodyBytes` (413, code `body_too_large`), gzip bodies that
/// inflate past `maxInflatedBytes` (413) or are corrupt (400, `invalid_gzip`), and content encodings other
/// than gzip and identity (415, `unsupported_content_encoding`). `Expect: 100-continue` and keep-alive are
/// handled by libmicrohttpd.
public final class HTTPServer: Sendable {
    /// How the server listens and what it accepts.
    public struct Configuration: Sendable {
        /// The IPv4 or IPv6 literal to bind, or `localhost`; `0.0.0.0` or `::` for every interface.
        public var host: String = "127.0.0.1"

        /// The TCP port; 0 picks a free port, which `HTTPServer.port` reports after `start()`.
        public var port: Int = 8080

        /// The number of worker threads; defaults to the number of online cores.
        public var threads: Int = HTTPServer.onlineCores

        /// The largest request body accepted, as sent (compressed when gzip).
        ///
        /// A declared `Content-Length` over the limit is refused before the body is read. A chunked body
        /// that outgrows it is refused once complete; its excess is read and dropped, and beyond twice the
        /// limit the connection is closed instead.
        public var maxBodyBytes: Int = 500 * 1024

        /// The largest body a gzip request may inflate to.
        public var maxInflatedBytes: Int = 8 * 1024 * 1024

        /// Seconds of inactivity after which a connection is closed; 0 disables the timeout. A connection
        /// waiting for its handler's response is not inactive.
        public var connectionTimeoutSeconds: Int = 30

        /// The most connections open at once. Connections beyond it wait in the listen backlog until one
        /// closes. libmicrohttpd splits the limit evenly among the worker threads.
        public var maxConnections: Int = 4096

        /// Seconds a handler may take to respond before the server answers 503 (`response_timeout`) in its
        /// place and drops its later response; 0 disables this. A suspended connection is otherwise never
        /// timed out, so a request a handler forgets would hold its connection forever.
        public var responseTimeoutSeconds: Double = 60

        /// How long `stop()` waits for handlers to answer requests in flight before answering them with 503.
        public var stopTimeoutSeconds: Double = 10

        /// The default configuration.
        public init() {}
    }

    /// Handles one request; must answer it exactly once through the responder, now or later.
    public typealias Handler = @Sendable (HTTPRequest, Responder) -> Void

    private enum Lifecycle {
        case idle
        case running(Daemon, ResponseWatchdog?, port: Int)
        case stopped(port: Int)
    }

    private let core: ServerCore
    private let lifecycle = Mutex(Lifecycle.idle)

    /// Creates a server; it listens once `start()` is called.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen and what to accept.
    ///   - logger: Receives the server's start, stop and failure messages; never request data.
    ///   - handler: Called on a worker thread for each complete request; it must not block.
    public init(configuration: Configuration, logger: Logger, handler: @escaping Handler) {
        core = ServerCore(configuration: configuration, logger: logger, handler: handler)
    }

    deinit {
        stop()
    }

    /// Binds the socket and starts the worker threads.
    ///
    /// - Throws: `HTTPServerError` when the configuration is invalid, the address cannot be bound (for
    ///   example because the port is in use), libmicrohttpd fails to start, or the server was started before.
    public func start() throws(HTTPServerError) {
        let configuration = core.configuration
        try Self.validate(configuration)
        guard let address = SocketAddress(host: configuration.host, port: configuration.port) else {
            throw HTTPServerError(.invalidHost, "host \(configuration.host) is not an IPv4 or IPv6 address")
        }

        try lifecycle.withLock { (state: inout Lifecycle) throws(HTTPServerError) in
            guard case .idle = state else { throw HTTPServerError(.notStartable, "the server was already started") }
            let display =
                address.family == AF_INET6
                ? "[\(configuration.host)]:\(configuration.port)" : "\(configuration.host):\(configuration.port)"
            let listener = try ListeningSocket(address: address, backlog: SOMAXCONN, display: display)
            let daemon = try Daemon(core: core, listener: listener, isIPv6: address.family == AF_INET6)
            let watchdog = configuration.responseTimeoutSeconds > 0 ? ResponseWatchdog(core: core) : nil
            state = .running(daemon, watchdog, port: listener.port)
        }
        core.logger.info(
            "http server started",
            metadata: ["http.port": "\(port)", "http.threads": "\(configuration.threads)"])
    }

    /// The bound port while running or after stopping; 0 before `start()`.
    public var port: Int {
        lifecycle.withLock { state in
            switch state {
            case .idle: return 0
            case .running(_, _, let port), .stopped(let port): return port
            }
        }
    }

    /// Stops the server; returns when it has stopped. Calling it again, or before `start()`, does nothing.
    ///
    /// It stops accepting connections, refuses new requests on open ones with 503 and `Connection: close`,
    /// and waits up to `stopTimeoutSeconds` for handlers to answer the requests they have. Requests still
    /// unanswered then get 503 (`server_stopping`); the handlers' later responses are dropped. Then the
    /// worker threads stop and every connection is closed. A concurrent second call returns at once.
    public func stop() {
        let running: (Daemon, ResponseWatchdog?)? = lifecycle.withLock { state in
            guard case .running(let daemon, let watchdog, let port) = state else { return nil }
            state = .stopped(port: port)
            return (daemon, watchdog)
        }
        guard let (daemon, watchdog) = running else { return }
        watchdog?.cancel()

        core.stopAccepting()
        daemon.quiesce()
        var drained = waitForInFlight(seconds: core.configuration.stopTimeoutSeconds)
        if !drained {
            core.logger.warning(
                "answering unanswered requests because the server is stopping",
                metadata: ["http.in_flight": "\(core.inFlightCount)"])
            core.answerInFlight(with: ServerCore.stopping)
            drained = waitForInFlight(seconds: 5)
        }
        guard drained else {
            abandon(daemon)
            return
        }
        daemon.stop()
        core.logger.info("http server stopped", metadata: ["http.port": "\(port)"])
    }

    /// How many times a handler answered one request twice (the extra answers were dropped).
    public var duplicateResponseCount: Int {
        core.duplicateResponseCount
    }

    /// Requests whose per-request state is still held; 0 after `stop()`. For leak checks in tests.
    var liveExchangeCount: Int {
        core.liveExchangeCount
    }

    /// Waits until no request is in flight, polling every 2 ms; `false` if `seconds` pass first.
    private func waitForInFlight(seconds: Double) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int(max(seconds, 0) * 1000)))
        while core.inFlightCount > 0 {
            guard clock.now < deadline else { return false }
            usleep(2000)
        }
        return true
    }

    /// Leaves a daemon running whose requests could not be answered: a worker thread is stuck in a
    /// handler that does not return, so stopping would wait for it forever, and stopping with suspended
    /// connections aborts the process. The daemon and its callbacks' state stay alive until exit.
    private func abandon(_ daemon: Daemon) {
        core.logger.critical(
            "http server could not stop: a handler never returned",
            metadata: ["http.in_flight": "\(core.inFlightCount)"])
        _ = Unmanaged.passRetained(daemon)
    }

    private static func validate(_ configuration: Configuration) throws(HTTPServerError) {
        let problems = [
            (configuration.threads >= 1, "threads must be at least 1"),
            ((0...65535).contains(configuration.port), "port must be between 0 and 65535"),
            (configuration.maxBodyBytes >= 0, "maxBodyBytes must not be negative"),
            (configuration.maxInflatedBytes >= 0, "maxInflatedBytes must not be negative"),
            (configuration.connectionTimeoutSeconds >= 0, "connectionTimeoutSeconds must not be negative"),
            (configuration.maxConnections >= 1, "maxConnections must be at least 1"),
            (configuration.stopTimeoutSeconds >= 0, "stopTimeoutSeconds must not be negative"),
            (configuration.responseTimeoutSeconds >= 0, "responseTimeoutSeconds must not be negative"),
        ]
        if let problem = problems.first(where: { !$0.0 }) {
            throw HTTPServerError(.invalidConfiguration, problem.1)
        }
    }

    /// The number of online cores, at least 1.
    static var onlineCores: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
