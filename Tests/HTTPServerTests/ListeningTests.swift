import Foundation
import Testing

@testable import HTTPServer

@Suite struct ListeningTests {
    @Test("port 0 binds a free port and reports it")
    func freePort() throws {
        try TestServer.with { first in
            try TestServer.with { second in
                #expect(first.port > 0)
                #expect(second.port > 0)
                #expect(first.port != second.port)
                let response = try HTTPClient(host: "127.0.0.1", port: second.port).send(method: "GET", path: "/")
                #expect(response.status == 200)
            }
        }
    }

    @Test("a port in use is reported as such")
    func portInUse() throws {
        try TestServer.with { running in
            let configuration = TestServer.configuration { $0.port = running.port }
            let second = HTTPServer(configuration: configuration, logger: TestServer.logger, handler: TestServer.echo)

            let error = try #require(throws: HTTPServerError.self) { try second.start() }
            #expect(error.kind == .addressInUse)
            #expect(error.description.contains("127.0.0.1:\(running.port)"))
            #expect(error.description.lowercased().contains("in use"))
        }
    }

    @Test(
        "invalid configurations are refused at start",
        arguments: [
            ("example.com", 0, 2, HTTPServerError.Kind.invalidHost),
            ("127.0.0.1", 70_000, 2, .invalidConfiguration),
            ("127.0.0.1", 0, 0, .invalidConfiguration),
        ])
    func invalidConfiguration(host: String, port: Int, threads: Int, kind: HTTPServerError.Kind) throws {
        let configuration = TestServer.configuration {
            $0.host = host
            $0.port = port
            $0.threads = threads
        }
        let server = HTTPServer(configuration: configuration, logger: TestServer.logger, handler: TestServer.echo)

        let error = try #require(throws: HTTPServerError.self) { try server.start() }
        #expect(error.kind == kind)
    }

    @Test("an idle connection is closed after the connection timeout")
    func idleTimeout() throws {
        try TestServer.with(TestServer.configuration { $0.connectionTimeoutSeconds = 1 }) { server in
            let client = HTTPClient(host: "127.0.0.1", port: server.port, timeoutSeconds: 5)
            try client.writeRaw(Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8))  // never finished

            let start = ContinuousClock.now
            let error = try #require(throws: HTTPClientError.self) { _ = try client.readResponse(method: "GET") }
            #expect(error.kind == .connectionClosed)
            #expect(ContinuousClock.now - start < .seconds(4))
        }
    }

    @Test("connections beyond the limit wait until an open one closes")
    func connectionLimit() throws {
        // libmicrohttpd splits the limit among the worker threads: one connection each here.
        try TestServer.with(TestServer.configuration { $0.maxConnections = 2 }) { server in
            let first = HTTPClient(host: "127.0.0.1", port: server.port)
            let second = HTTPClient(host: "127.0.0.1", port: server.port)
            let firstResponse = try first.send(method: "GET", path: "/")
            let secondResponse = try second.send(method: "GET", path: "/")
            #expect(firstResponse.status == 200)
            #expect(secondResponse.status == 200)

            let third = HTTPClient(host: "127.0.0.1", port: server.port, timeoutSeconds: 0.5)
            let error = try #require(throws: HTTPClientError.self) { _ = try third.send(method: "GET", path: "/") }
            #expect(error.kind == .timedOut)

            first.close()
            let fourth = HTTPClient(host: "127.0.0.1", port: server.port, timeoutSeconds: 10)
            let fourthResponse = try fourth.send(method: "GET", path: "/")
            #expect(fourthResponse.status == 200)
        }
    }

    @Test("sequential requests over one connection keep flowing (throughput sanity check, not timed)")
    func throughputSanity() throws {
        try TestServer.with { server in
            let client = HTTPClient(host: "127.0.0.1", port: server.port)
            let body = Array(#"{"batch":[{"type":"track","event":"Viewed"}]}"#.utf8)
            let start = ContinuousClock.now
            var ok = 0
            for _ in 0..<2000 where try client.send(method: "POST", path: "/body", body: body).body == body {
                ok += 1
            }
            let seconds =
                Double((ContinuousClock.now - start).components.attoseconds) / 1e18
                + Double((ContinuousClock.now - start).components.seconds)

            #expect(ok == 2000)
            #expect(client.connectionsOpened == 1)
            print("HTTPServer sanity: 2000 sequential keep-alive requests, \(Int(2000 / seconds)) req/s (debug build)")
        }
    }

    @Test("every request's state is released once the server stops")
    func noLeakedExchanges() throws {
        let server = HTTPServer(
            configuration: TestServer.configuration(), logger: TestServer.logger, handler: TestServer.echo)
        try server.start()
        let client = HTTPClient(host: "127.0.0.1", port: server.port)
        for _ in 0..<10 { _ = try client.send(method: "GET", path: "/") }
        _ = try? HTTPClient(host: "127.0.0.1", port: server.port).exchange(
            Array("GARBAGE\r\n\r\n".utf8), method: "GET")
        try client.writeRaw(Array("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf".utf8))

        server.stop()
        #expect(server.liveExchangeCount == 0)
    }
}
