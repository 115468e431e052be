import Foundation
import Synchronization
import TesseraCore

@testable import HTTPServer

/// Helpers shared by the server tests: a server on a free loopback port, an echo handler, and threads.
enum TestServer {
    /// A logger that keeps quiet unless something is critical.
    static let logger = Logger(label: "http-test", level: .critical)

    /// A configuration on 127.0.0.1 with a free port and two worker threads.
    static func configuration(_ adjust: (inout HTTPServer.Configuration) -> Void = { _ in }) -> HTTPServer.Configuration
    {
        var configuration = HTTPServer.Configuration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.threads = 2
        adjust(&configuration)
        return configuration
    }

    /// Runs `body` with a started server, stopping it afterwards.
    static func with<Result>(
        _ configuration: HTTPServer.Configuration = configuration(),
        handler: @escaping HTTPServer.Handler = echo,
        _ body: (HTTPServer) throws -> Result
    ) throws -> Result {
        let server = HTTPServer(configuration: configuration, logger: logger, handler: handler)
        try server.start()
        defer { server.stop() }
        return try body(server)
    }

    /// Answers `/body` with the request body itself and anything else with a JSON description of the request.
    static let echo: HTTPServer.Handler = { request, responder in
        if request.path == "/body" {
            responder.respond(
                HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: request.body))
            return
        }
        let description: JSONValue = [
            "method": .string(request.method),
            "path": .string(request.path),
            "query": .object(request.query.mapValues { .string($0) }),
            "headers": .object(request.headers.mapValues { .string($0) }),
            "remoteAddress": .optional(request.remoteAddress),
            "bodyLength": .int(Int64(request.body.count)),
        ]
        responder.respond(.json(200, description))
    }

    /// The request as the echo handler described it.
    struct Echo: Decodable {
        var method: String
        var path: String
        var query: [String: String]
        var headers: [String: String]
        var remoteAddress: String?
        var bodyLength: Int
    }

    static func decodeEcho(_ response: HTTPClientResponse) throws -> Echo {
        try JSONDecoder().decode(Echo.self, from: Data(response.body))
    }

    /// The `code` of a `{"error":{"code":…}}` body.
    static func errorCode(_ response: HTTPClientResponse) -> String? {
        struct Body: Decodable {
            struct Detail: Decodable { var code: String }
            var error: Detail
        }
        return try? JSONDecoder().decode(Body.self, from: Data(response.body)).error.code
    }

    /// Runs `body` on `count` threads at once and returns their results in index order.
    static func concurrently<Result: Sendable>(
        _ count: Int, _ body: @escaping @Sendable (Int) -> Result
    ) -> [Result] {
        let results = Mutex<[Int: Result]>([:])
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                let result = body(index)
                results.withLock { $0[index] = result }
                group.leave()
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        group.wait()
        return results.withLock { results in (0..<count).map { results[$0]! } }
    }

    /// Bytes that compress poorly, so bodies keep their size on the wire.
    static func noise(count: Int, seed: UInt64 = 42) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}

/// A counter tests share with handlers running on server threads.
final class Tally: Sendable {
    private let count = Atomic<Int>(0)

    func increment() {
        count.add(1, ordering: .relaxed)
    }

    var value: Int {
        count.load(ordering: .relaxed)
    }
}
