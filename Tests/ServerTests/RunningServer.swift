import Dispatch
import Foundation
import HTTPServer
import JSONParsing
import Server
import TesseraCommands
import TesseraCore
import TesseraTesting

/// A Tessera server on a free loopback port over a temporary data directory, for one test.
final class RunningServer: Sendable {
    static let adminToken = "adm_test-token"

    let server: TesseraServer
    let directory: TemporaryDirectory
    let writeKey: String

    /// Starts a server; pass `directory` to reopen an existing data directory.
    init(
        directory: TemporaryDirectory? = nil, clock: any WallClock = SystemClock(),
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws {
        let directory = try directory ?? TemporaryDirectory()
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory.path
        configuration.port = 0
        configuration.threads = 2
        configuration.adminToken = RunningServer.adminToken
        configure(&configuration)
        server = try await TesseraServer(
            configuration: configuration, logger: Logger(label: "test", level: .error), clock: clock)
        try server.start()
        self.directory = directory
        writeKey = try String(contentsOfFile: directory.path + "/default-write-key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var port: Int { server.port }

    func stop() {
        server.stop()
    }

    /// Stops the server and removes its data.
    func finish() {
        server.stop()
        directory.remove()
    }

    /// Sends a request on a fresh connection, from a thread of its own: the client blocks, and
    /// blocking the test's cooperative threads would starve the server's own tasks.
    func send(
        _ method: String, _ path: String, body: String? = nil, bytes: [UInt8]? = nil,
        auth: Auth = .writeKey, headers: [(String, String)] = []
    ) async throws -> Answer {
        let request = SendableRequest(
            method: method, path: path, body: bytes ?? Array((body ?? "").utf8),
            hasBody: body != nil || bytes != nil, auth: auth, headers: headers)
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try self.sendBlocking(request) })
            }
        }
    }

    private struct SendableRequest: Sendable {
        var method: String
        var path: String
        var body: [UInt8]
        var hasBody: Bool
        var auth: Auth
        var headers: [(String, String)]
    }

    private func sendBlocking(_ request: SendableRequest) throws -> Answer {
        let (method, path, auth, headers) = (request.method, request.path, request.auth, request.headers)
        var all = headers
        switch auth {
        case .writeKey: all.append(("Authorization", "Basic " + Data((writeKey + ":").utf8).base64EncodedString()))
        case .admin: all.append(("Authorization", "Bearer \(RunningServer.adminToken)"))
        case .basic(let key): all.append(("Authorization", "Basic " + Data((key + ":").utf8).base64EncodedString()))
        case .none: break
        }
        if request.hasBody { all.append(("Content-Type", "application/json")) }
        let client = HTTPClient(host: "127.0.0.1", port: port)
        let response = try client.send(method: method, path: path, headers: all, body: request.body)
        return Answer(status: response.status, headers: response.headers, body: response.body)
    }

    enum Auth: Sendable {
        case writeKey, admin, none
        case basic(String)
    }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]

        var json: JSONValue {
            (try? JSONValue(parsing: body)) ?? .null
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Every stored event, paging through `/v1/events`.
    func allEvents() async throws -> [JSONValue] {
        var events: [JSONValue] = []
        var after: Int64?
        while true {
            let path = "/v1/events?limit=1000" + (after.map { "&after=\($0)" } ?? "")
            let page = try await send("GET", path, auth: .admin).json
            let batch = page["events"]?.arrayValue ?? []
            events += batch
            guard batch.count == 1000, let next = page["next"]?.intValue else { return events }
            after = next
        }
    }
}

extension RunningServer {
    /// The destination's deliveries in `state` (`skipped`, `dead`, …), once there are at least
    /// `count` of them, polling for up to five seconds; fewer when they never come.
    func deliveries(of destination: Int64, state: String, atLeast count: Int = 1) async throws -> [JSONValue] {
        var found: [JSONValue] = []
        for _ in 0..<100 {
            let page = try await send("GET", "/v1/destinations/\(destination)/deliveries?state=\(state)", auth: .admin)
            found = page.json["deliveries"]?.arrayValue ?? []
            if found.count >= count { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return found
    }
}

/// Runs `tessera ARGUMENTS` and returns its exit status. The commands block on HTTP calls: they run
/// on a queue of their own, never on the few threads of the cooperative pool that the server's
/// handlers need to answer them.
func runTool(_ arguments: [String]) async -> Int32 {
    await withTaskExecutorPreference(QueueExecutor.shared) {
        await CommandLineTool.run(arguments: arguments)
    }
}

/// Runs tasks that prefer it on a serial Dispatch queue instead of the cooperative pool.
final class QueueExecutor: TaskExecutor {
    static let shared = QueueExecutor()
    private let queue = DispatchQueue(label: "tessera.tests.cli")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
