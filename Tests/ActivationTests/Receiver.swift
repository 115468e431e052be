import Foundation
import HTTPServer
import Synchronization
import TesseraCore

/// An in-process webhook receiver on 127.0.0.1 that records requests and answers as scripted.
final class Receiver: Sendable {
    /// How to answer one request.
    enum Answer: Sendable {
        /// Answer at once with a status and body.
        case status(Int, String)
        /// Never answer (until the receiver stops); the client times out.
        case hang
        /// Answer with a status after a delay.
        case delayed(milliseconds: Int, status: Int)
    }

    private struct State {
        var script: [Answer] = []
        var fallback: Answer
        var requests: [HTTPRequest] = []
        var hung: [Responder] = []
    }

    /// The recorded requests and script, shared with the server's handler.
    private final class Shared: Sendable {
        let state: Mutex<State>

        init(_ state: State) {
            self.state = Mutex(state)
        }
    }

    private let shared: Shared
    private let server: HTTPServer

    /// Starts a receiver that answers `fallback` once its script is used up.
    init(fallback: Answer = .status(200, "{\"ok\":true}")) throws {
        let shared = Shared(State(fallback: fallback))
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        configuration.threads = 1
        configuration.stopTimeoutSeconds = 0.5
        configuration.maxBodyBytes = 16 * 1024 * 1024
        server = HTTPServer(configuration: configuration, logger: Logger(label: "receiver", level: .critical)) {
            request, responder in
            let answer = shared.state.withLock { state -> Answer in
                state.requests.append(request)
                return state.script.isEmpty ? state.fallback : state.script.removeFirst()
            }
            switch answer {
            case .status(let status, let body):
                responder.respond(HTTPResponse(status: status, body: Array(body.utf8)))
            case .hang:
                shared.state.withLock { $0.hung.append(responder) }
            case .delayed(let milliseconds, let status):
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                    responder.respond(HTTPResponse(status: status))
                }
            }
        }
        self.shared = shared
        try server.start()
    }

    /// The URL to post to.
    var url: String { "http://127.0.0.1:\(server.port)/hooks/tessera" }

    /// Answers for the next requests, in order.
    func script(_ answers: Answer...) {
        shared.state.withLock { $0.script += answers }
    }

    /// Changes the answer used once the script is empty.
    func answerFromNowOn(_ answer: Answer) {
        shared.state.withLock { $0.fallback = answer }
    }

    /// Every request received so far.
    var requests: [HTTPRequest] { shared.state.withLock { $0.requests } }

    /// The envelopes of every request body, in arrival order.
    var envelopes: [JSONValue] {
        requests.flatMap { (try? JSONValue(parsing: $0.body))?.arrayValue ?? [] }
    }

    /// Answers hung requests with 503 and stops the server.
    func stop() {
        let hung = shared.state.withLock { state in
            defer { state.hung = [] }
            return state.hung
        }
        for responder in hung { responder.respond(HTTPResponse(status: 503)) }
        server.stop()
    }
}
