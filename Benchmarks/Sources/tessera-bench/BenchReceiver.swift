import Dispatch
import HTTPServer
import JSONParsing
import Synchronization
import TesseraCore

/// A local webhook receiver for the activation benchmarks: answers 200 at once and notes, per path,
/// how many requests came, and when each delivery arrived with the `data.user` it was about.
final class BenchReceiver: Sendable {
    /// One delivery seen: the user it was about and when its request arrived (uptime nanoseconds).
    struct Arrival: Sendable {
        var user: String
        var nanoseconds: UInt64
    }

    private final class Log: Sendable {
        let arrivals = Mutex<[String: [Arrival]]>([:])
        let requests = Mutex<[String: Int]>([:])
    }

    private let log = Log()
    private let server: HTTPServer

    /// Starts on a free loopback port with `threads` threads.
    init(threads: Int = 2) throws {
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        configuration.threads = threads
        configuration.maxBodyBytes = 16 * 1024 * 1024
        let log = log
        server = HTTPServer(configuration: configuration, logger: Logger(label: "receiver", level: .critical)) {
            request, responder in
            let now = DispatchTime.now().uptimeNanoseconds
            log.requests.withLock { $0[request.path, default: 0] += 1 }
            // Every body is read, the ceiling's too, so that the ceiling measures the same work.
            let users = ((try? JSONValue(parsing: request.body))?.arrayValue ?? []).compactMap {
                $0["data"]?["user"]?.stringValue
            }
            if request.path != "/ceiling" {
                log.arrivals.withLock { arrivals in
                    arrivals[request.path, default: []] += users.map { Arrival(user: $0, nanoseconds: now) }
                }
            }
            responder.respond(HTTPResponse(status: 200, body: Array(#"{"ok":true}"#.utf8)))
        }
        try server.start()
    }

    var port: Int { server.port }

    /// The deliveries that arrived on `path`, in arrival order.
    func arrivals(_ path: String) -> [Arrival] { log.arrivals.withLock { $0[path] ?? [] } }

    /// How many requests arrived on `path`.
    func requestCount(_ path: String) -> Int { log.requests.withLock { $0[path] ?? 0 } }

    func stop() { server.stop() }
}
