import Dispatch
import Foundation
import Testing

@testable import HTTPServer

@Suite struct SuspendResumeTests {
    /// A handler that answers from a dispatch queue after `milliseconds`.
    private static func delayed(_ milliseconds: Int, started: Tally = Tally()) -> HTTPServer.Handler {
        { request, responder in
            started.increment()
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                responder.respond(HTTPResponse(status: 200, body: request.body))
            }
        }
    }

    @Test("100 delayed requests on 2 worker threads finish in about one delay, not fifty")
    func delayedResponsesHoldNoThread() throws {
        let delay = 100
        try TestServer.with(handler: Self.delayed(delay)) { server in
            let port = server.port
            let start = ContinuousClock.now
            let statuses = TestServer.concurrently(100) { index in
                let client = HTTPClient(host: "127.0.0.1", port: port)
                let response = try? client.send(method: "POST", path: "/", body: Array("\(index)".utf8))
                return response.map { $0.status == 200 && $0.body == Array("\(index)".utf8) } ?? false
            }
            let elapsed = ContinuousClock.now - start

            #expect(statuses.allSatisfy { $0 })
            // Served by two blocked threads, the requests would take 50 delays (5 s).
            #expect(elapsed < .milliseconds(delay * 25))
        }
    }

    @Test("responses given from another thread at once, racing the suspension, all arrive")
    func immediateResponsesFromOtherThreads() throws {
        let handler: HTTPServer.Handler = { request, responder in
            DispatchQueue.global().async { responder.respond(HTTPResponse(status: 200, body: request.body)) }
        }
        try TestServer.with(handler: handler) { server in
            let port = server.port
            let failures = TestServer.concurrently(4) { worker in
                let client = HTTPClient(host: "127.0.0.1", port: port)
                var failures = 0
                for index in 0..<500 {
                    let body = Array("\(worker)-\(index)".utf8)
                    let response = try? client.send(method: "POST", path: "/", body: body)
                    if response?.status != 200 || response?.body != body { failures += 1 }
                }
                return failures
            }

            #expect(failures == [0, 0, 0, 0])
            #expect(server.duplicateResponseCount == 0)
        }
    }

    @Test("a new connection per request, answered after a random pause, always gets its own answer")
    func freshConnectionsAnsweredLater() throws {
        let handler: HTTPServer.Handler = { request, responder in
            let pause = DispatchTimeInterval.microseconds(Int.random(in: 0...3000))
            DispatchQueue.global().asyncAfter(deadline: .now() + pause) {
                responder.respond(HTTPResponse(status: 200, body: request.body))
            }
        }
        try TestServer.with(handler: handler) { server in
            let port = server.port
            let failures = TestServer.concurrently(4) { worker in
                (0..<150).filter { index in
                    let client = HTTPClient(host: "127.0.0.1", port: port, timeoutSeconds: 5)
                    let body = index % 3 == 0 ? [] : Array("\(worker)-\(index)".utf8)
                    let response = try? client.send(method: body.isEmpty ? "GET" : "POST", path: "/", body: body)
                    return response?.status != 200 || response?.body != body
                }
            }

            #expect(failures.allSatisfy { $0.isEmpty })
        }
    }

    @Test("a second respond call is dropped and counted")
    func duplicateResponse() throws {
        let handler: HTTPServer.Handler = { _, responder in
            responder.respond(.text(200, "first"))
            responder.respond(.text(500, "second"))
        }
        try TestServer.with(handler: handler) { server in
            let response = try HTTPClient(host: "127.0.0.1", port: server.port).send(method: "GET", path: "/")

            #expect(response.status == 200)
            #expect(response.body == Array("first".utf8))
            #expect(server.duplicateResponseCount == 1)
        }
    }

    @Test("stop() waits for the responses of requests in flight")
    func stopWaitsForInFlight() throws {
        let started = Tally()
        let server = HTTPServer(
            configuration: TestServer.configuration(), logger: TestServer.logger,
            handler: Self.delayed(300, started: started))
        try server.start()
        let port = server.port

        let stopper = Thread {
            while started.value < 5 { usleep(1000) }
            server.stop()
        }
        stopper.start()
        let statuses = TestServer.concurrently(5) { _ in
            (try? HTTPClient(host: "127.0.0.1", port: port).send(method: "POST", path: "/", body: [1]))?.status
        }

        #expect(statuses == [200, 200, 200, 200, 200])
        while !stopper.isFinished { usleep(1000) }
        #expect(server.liveExchangeCount == 0)
        #expect(throws: HTTPClientError.self) {
            _ = try HTTPClient(host: "127.0.0.1", port: port, timeoutSeconds: 1).send(method: "GET", path: "/")
        }
    }

    @Test("stop() answers 503 for requests its handler leaves unanswered past the stop timeout")
    func stopAnswersForgottenRequests() throws {
        let started = Tally()
        let configuration = TestServer.configuration { $0.stopTimeoutSeconds = 0.2 }
        let server = HTTPServer(configuration: configuration, logger: TestServer.logger) { _, _ in
            started.increment()
        }
        try server.start()
        let port = server.port

        let stopper = Thread {
            while started.value < 3 { usleep(1000) }
            server.stop()
        }
        stopper.start()
        let responses = TestServer.concurrently(3) { _ in
            try? HTTPClient(host: "127.0.0.1", port: port).send(method: "GET", path: "/")
        }

        #expect(responses.map { $0?.status } == [503, 503, 503])
        #expect(responses.allSatisfy { $0.map(TestServer.errorCode) == "server_stopping" })
        while !stopper.isFinished { usleep(1000) }
        #expect(server.liveExchangeCount == 0)
    }

    @Test("stop() is idempotent and harmless before start()")
    func stopTwice() throws {
        let never = HTTPServer(
            configuration: TestServer.configuration(), logger: TestServer.logger, handler: TestServer.echo)
        never.stop()

        let server = HTTPServer(
            configuration: TestServer.configuration(), logger: TestServer.logger, handler: TestServer.echo)
        try server.start()
        server.stop()
        server.stop()
        #expect(throws: HTTPServerError.self) { try server.start() }
    }
}

@Suite struct ResponseTimeoutTests {
    @Test("a request its handler never answers gets 503 after the response timeout, and the connection lives on")
    func forgottenRequest() throws {
        let configuration = TestServer.configuration { $0.responseTimeoutSeconds = 0.3 }
        let handler: HTTPServer.Handler = { request, responder in
            if request.path == "/forget" { return }
            TestServer.echo(request, responder)
        }
        try TestServer.with(configuration, handler: handler) { server in
            let client = HTTPClient(host: "127.0.0.1", port: server.port, timeoutSeconds: 5)
            let start = ContinuousClock.now
            let forgotten = try client.send(method: "GET", path: "/forget")
            let elapsed = ContinuousClock.now - start

            #expect(forgotten.status == 503)
            #expect(TestServer.errorCode(forgotten) == "response_timeout")
            #expect(elapsed >= .milliseconds(300))
            let next = try client.send(method: "GET", path: "/next")
            #expect(next.status == 200)
            #expect(client.connectionsOpened == 1)
        }
    }
}

@Suite struct InProcessResponderTests {
    @Test("a callback responder delivers the first response only")
    func callbackResponder() {
        let delivered = Tally()
        let responder = Responder { response in
            #expect(response.status == 202)
            delivered.increment()
        }

        responder.respond(HTTPResponse(status: 202))
        responder.respond(HTTPResponse(status: 500))

        #expect(delivered.value == 1)
    }
}
