import Foundation
import Testing

@testable import HTTPServer

@Suite struct RoundTripTests {
    @Test("a GET carries method, path, decoded query, lower-cased headers and the client address")
    func getWithQuery() throws {
        try TestServer.with { server in
            let client = HTTPClient(host: "127.0.0.1", port: server.port)
            let response = try client.send(
                method: "GET", path: "/v1/profiles%2Fx?id=a+b&mail=x%40y.com&id=last&flag&bad=%zz",
                headers: [("X-Trace-Id", "t1"), ("Accept", "a"), ("accept", "b")])

            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            let echo = try TestServer.decodeEcho(response)
            #expect(echo.method == "GET")
            #expect(echo.path == "/v1/profiles/x")
            #expect(echo.query == ["id": "last", "mail": "x@y.com", "flag": "", "bad": "%zz"])
            #expect(echo.headers["x-trace-id"] == "t1")
            #expect(echo.headers["accept"] == "a, b")
            #expect(echo.remoteAddress == "127.0.0.1")
            #expect(echo.bodyLength == 0)
        }
    }

    @Test("POST bodies arrive intact", arguments: [0, 1, 1000, 64 * 1024 + 7, 300_000, 500 * 1024])
    func postBody(size: Int) throws {
        try TestServer.with { server in
            let client = HTTPClient(host: "127.0.0.1", port: server.port)
            let body = TestServer.noise(count: size, seed: UInt64(size))
            let response = try client.send(method: "POST", path: "/body", body: body)

            #expect(response.status == 200)
            #expect(response.body == body)
        }
    }

    @Test("a kept-alive connection carries many requests")
    func keepAlive() throws {
        try TestServer.with { server in
            let client = HTTPClient(host: "127.0.0.1", port: server.port)
            for index in 0..<20 {
                let response = try client.send(method: "POST", path: "/body", body: Array("request \(index)".utf8))
                #expect(String(decoding: response.body, as: UTF8.self) == "request \(index)")
            }
            #expect(client.connectionsOpened == 1)
        }
    }

    @Test("the client reconnects after a response that closes the connection")
    func reconnectAfterClose() throws {
        let handler: HTTPServer.Handler = { request, responder in
            responder.respond(HTTPResponse(status: 200, headers: [("Connection", "close")], body: request.body))
        }
        try TestServer.with(handler: handler) { server in
            let client = HTTPClient(host: "127.0.0.1", port: server.port)
            for index in 0..<3 {
                let response = try client.send(method: "POST", path: "/", body: [UInt8(index)])
                #expect(response.body == [UInt8(index)])
            }
            #expect(client.connectionsOpened == 3)
        }
    }

    @Test("response headers set by the handler reach the client, framing headers are the server's own")
    func responseHeaders() throws {
        let handler: HTTPServer.Handler = { _, responder in
            responder.respond(
                HTTPResponse(
                    status: 201, headers: [("X-Request-Id", "r-1"), ("Content-Length", "999")], body: Array("ok".utf8)))
        }
        try TestServer.with(handler: handler) { server in
            let response = try HTTPClient(host: "127.0.0.1", port: server.port).send(method: "GET", path: "/")

            #expect(response.status == 201)
            #expect(response.headers["x-request-id"] == "r-1")
            #expect(response.headers["content-length"] == "2")
            #expect(response.body == Array("ok".utf8))
        }
    }

    @Test("an invalid status code from the handler becomes a 500")
    func invalidStatus() throws {
        try TestServer.with(handler: { _, responder in responder.respond(HTTPResponse(status: 42)) }) { server in
            let response = try HTTPClient(host: "127.0.0.1", port: server.port).send(method: "GET", path: "/")
            #expect(response.status == 500)
            #expect(TestServer.errorCode(response) == "internal_error")
        }
    }

    @Test("Expect: 100-continue gets an interim 100 before the body is sent")
    func expectContinue() throws {
        try TestServer.with { server in
            let client = HTTPClient(host: "127.0.0.1", port: server.port)
            let body = TestServer.noise(count: 2000)
            let head = "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\nExpect: 100-continue\r\n\r\n"
            try client.writeRaw(Array(head.utf8))
            let interim = try client.readResponse(method: "POST", interim: true)
            #expect(interim.status == 100)

            try client.writeRaw(body)
            let response = try client.readResponse(method: "POST")
            #expect(response.status == 200)
            #expect(response.body == body)
        }
    }

    @Test("HEAD gets headers without a body")
    func head() throws {
        try TestServer.with { server in
            let client = HTTPClient(host: "127.0.0.1", port: server.port)
            let response = try client.send(method: "HEAD", path: "/anything")
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
            let next = try client.send(method: "GET", path: "/after-head")
            #expect(try TestServer.decodeEcho(next).path == "/after-head")
        }
    }

    @Test("an IPv6 loopback server reports the client as ::1")
    func ipv6() throws {
        let configuration = TestServer.configuration { $0.host = "::1" }
        let server = HTTPServer(configuration: configuration, logger: TestServer.logger, handler: TestServer.echo)
        do {
            try server.start()
        } catch {
            // Containers without IPv6 loopback cannot run this test; the failure must be the bind.
            #expect(error.kind == .socketFailed)
            return
        }
        defer { server.stop() }
        let response = try HTTPClient(host: "::1", port: server.port).send(method: "GET", path: "/")
        #expect(try TestServer.decodeEcho(response).remoteAddress == "::1")
    }
}
