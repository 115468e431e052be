import Foundation
import Testing

@testable import HTTPServer

@Suite struct BodyLimitTests {
    /// A server that accepts bodies of up to 10,000 bytes, inflating to at most 100,000, and counts the
    /// requests that reach its handler.
    private static func limitedServer(_ reached: Tally) -> HTTPServer {
        let configuration = TestServer.configuration {
            $0.maxBodyBytes = 10_000
            $0.maxInflatedBytes = 100_000
        }
        return HTTPServer(configuration: configuration, logger: TestServer.logger) { request, responder in
            reached.increment()
            TestServer.echo(request, responder)
        }
    }

    @Test("a declared Content-Length over the limit gets 413 without reaching the handler")
    func declaredLengthTooLarge() throws {
        let reached = Tally()
        let server = Self.limitedServer(reached)
        try server.start()
        defer { server.stop() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)

        let response = try client.send(method: "POST", path: "/body", body: TestServer.noise(count: 10_001))

        #expect(response.status == 413)
        #expect(TestServer.errorCode(response) == "body_too_large")
        #expect(reached.value == 0)
        let exact = try client.send(method: "POST", path: "/body", body: TestServer.noise(count: 10_000))
        #expect(exact.status == 200)
        #expect(exact.body.count == 10_000)
    }

    @Test("a body far over the limit still gets its 413, though the server closes before reading it")
    func earlyAnswer() throws {
        let reached = Tally()
        let server = Self.limitedServer(reached)
        try server.start()
        defer { server.stop() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)

        let response = try client.send(method: "POST", path: "/body", body: TestServer.noise(count: 8 << 20))

        #expect(response.status == 413)
        #expect(reached.value == 0)
    }

    @Test("with Expect: 100-continue a body over the limit is refused before it is sent")
    func expectContinueTooLarge() throws {
        let reached = Tally()
        let server = Self.limitedServer(reached)
        try server.start()
        defer { server.stop() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)

        let head = "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n"
        try client.writeRaw(Array(head.utf8))
        let response = try client.readResponse(method: "POST", interim: true)

        #expect(response.status == 413)
        #expect(TestServer.errorCode(response) == "body_too_large")
        #expect(reached.value == 0)
    }

    @Test("a chunked upload that outgrows the limit gets 413 once sent")
    func chunkedTooLarge() throws {
        let reached = Tally()
        let server = Self.limitedServer(reached)
        try server.start()
        defer { server.stop() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)

        let response = try client.exchange(
            Self.chunkedRequest(pieces: Array(repeating: 3000, count: 5)), method: "POST")

        #expect(response.status == 413)
        #expect(TestServer.errorCode(response) == "body_too_large")
        #expect(reached.value == 0)
    }

    @Test("a chunked upload within the limit reaches the handler whole")
    func chunkedWithinLimit() throws {
        let reached = Tally()
        let server = Self.limitedServer(reached)
        try server.start()
        defer { server.stop() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)

        let response = try client.exchange(Self.chunkedRequest(pieces: [4000, 4000, 2000]), method: "POST")

        #expect(response.status == 200)
        #expect(response.body == TestServer.noise(count: 10_000))
        #expect(reached.value == 1)
    }

    @Test("a chunked upload far beyond the limit is cut off by closing the connection")
    func chunkedFarTooLarge() throws {
        let reached = Tally()
        let server = Self.limitedServer(reached)
        try server.start()
        defer { server.stop() }
        let client = HTTPClient(host: "127.0.0.1", port: server.port)

        #expect(throws: HTTPClientError.self) {
            _ = try client.exchange(Self.chunkedRequest(pieces: Array(repeating: 8000, count: 40)), method: "POST")
        }
        #expect(reached.value == 0)
    }

    @Test("gzip bodies are inflated before the handler sees them", arguments: [0, 1, 5000, 99_000])
    func gzipBody(size: Int) throws {
        try TestServer.with { server in
            let original = Array(
                String(repeating: "{\"event\":\"Order Completed\"},", count: size / 28 + 1).utf8.prefix(size))
            let response = try HTTPClient(host: "127.0.0.1", port: server.port).send(
                method: "POST", path: "/body", headers: [("Content-Encoding", "gzip")], body: try Gzip.deflate(original)
            )

            #expect(response.status == 200)
            #expect(response.body == original)
        }
    }

    @Test("concatenated gzip members inflate to their concatenation")
    func gzipMembers() throws {
        try TestServer.with { server in
            let first = Array("first half, ".utf8)
            let second = Array("second half".utf8)
            let body = try Gzip.deflate(first) + Gzip.deflate(second)
            let response = try HTTPClient(host: "127.0.0.1", port: server.port).send(
                method: "POST", path: "/body", headers: [("Content-Encoding", "x-gzip")], body: body)

            #expect(response.body == first + second)
        }
    }

    @Test("a gzip bomb gets 413 without reaching the handler")
    func gzipBomb() throws {
        let reached = Tally()
        let server = Self.limitedServer(reached)
        try server.start()
        defer { server.stop() }
        let bomb = try Gzip.deflate([UInt8](repeating: 0, count: 5_000_000), level: 9)
        #expect(bomb.count < 10_000)

        let response = try HTTPClient(host: "127.0.0.1", port: server.port).send(
            method: "POST", path: "/body", headers: [("Content-Encoding", "gzip")], body: bomb)

        #expect(response.status == 413)
        #expect(TestServer.errorCode(response) == "body_too_large")
        #expect(reached.value == 0)
    }

    @Test(
        "corrupt gzip gets 400 invalid_gzip",
        arguments: [
            Array("plain text, not gzip".utf8),
            [0x1f, 0x8b],
            [],
        ])
    func corruptGzip(body: [UInt8]) throws {
        try TestServer.with { server in
            let response = try HTTPClient(host: "127.0.0.1", port: server.port).send(
                method: "POST", path: "/body", headers: [("Content-Encoding", "gzip")], body: body)

            #expect(response.status == 400)
            #expect(TestServer.errorCode(response) == "invalid_gzip")
        }
    }

    @Test("truncated and tampered gzip get 400")
    func damagedGzip() throws {
        try TestServer.with { server in
            let client = HTTPClient(host: "127.0.0.1", port: server.port)
            let valid = try Gzip.deflate(TestServer.noise(count: 4000))
            var tampered = valid
            tampered[tampered.count - 6] ^= 0xff  // inside the CRC-32 trailer

            for body in [Array(valid.dropLast(10)), tampered, valid + [0x00, 0x01]] {
                let response = try client.send(
                    method: "POST", path: "/body", headers: [("Content-Encoding", "gzip")], body: body)
                #expect(response.status == 400)
                #expect(TestServer.errorCode(response) == "invalid_gzip")
            }
        }
    }

    @Test("content encodings other than gzip get 415")
    func unsupportedEncoding() throws {
        try TestServer.with { server in
            let response = try HTTPClient(host: "127.0.0.1", port: server.port).send(
                method: "POST", path: "/body", headers: [("Content-Encoding", "br")], body: [1, 2, 3])

            #expect(response.status == 415)
            #expect(TestServer.errorCode(response) == "unsupported_content_encoding")
        }
    }

    /// A chunked POST to `/body` whose chunks have the given sizes, filled with `TestServer.noise`.
    private static func chunkedRequest(pieces: [Int]) -> [UInt8] {
        let body = TestServer.noise(count: pieces.reduce(0, +))
        var bytes = Array("POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        var offset = 0
        for size in pieces {
            bytes +=
                Array((String(size, radix: 16) + "\r\n").utf8) + body[offset..<(offset + size)] + Array("\r\n".utf8)
            offset += size
        }
        return bytes + Array("0\r\n\r\n".utf8)
    }
}
