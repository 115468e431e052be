import Testing

@testable import HTTPServer

/// Bytes delivered in fixed pieces, as a socket might deliver them.
private struct CannedBytes: ByteSource {
    var pieces: [[UInt8]]

    init(_ text: String, pieceSize: Int) {
        let bytes = Array(text.utf8)
        pieces = stride(from: 0, to: bytes.count, by: pieceSize).map {
            Array(bytes[$0..<min($0 + pieceSize, bytes.count)])
        }
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int {
        guard !pieces.isEmpty else { return 0 }
        let piece = pieces.removeFirst()
        let count = min(piece.count, buffer.count)
        buffer.copyBytes(from: piece[0..<count])
        if count < piece.count { pieces.insert(Array(piece[count...]), at: 0) }
        return count
    }
}

@Suite struct ResponseReaderTests {
    @Test("responses split anywhere parse the same", arguments: [1, 2, 7, 64, 100_000])
    func pieces(pieceSize: Int) throws {
        let stream =
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello"
            + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n"
            + "HTTP/1.1 204 No Content\r\n\r\n"
        var reader = ResponseReader(source: CannedBytes(stream, pieceSize: pieceSize))

        let first = try reader.readResponse(method: "GET")
        let second = try reader.readResponse(method: "POST")
        let third = try reader.readResponse(method: "DELETE")

        #expect(first.response.status == 200)
        #expect(first.response.body == Array("hello".utf8))
        #expect(first.response.headers["x-a"] == "1, 2")
        #expect(first.keepAlive)
        #expect(second.response.status == 201)
        #expect(second.response.body == Array("wikipedia".utf8))
        #expect(third.response.status == 204)
        #expect(third.response.body.isEmpty)
    }

    @Test("interim 100 responses are skipped unless asked for")
    func interim() throws {
        let stream = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        var skipping = ResponseReader(source: CannedBytes(stream, pieceSize: 5))
        #expect(try skipping.readResponse(method: "POST").response.status == 200)

        var asking = ResponseReader(source: CannedBytes(stream, pieceSize: 5))
        #expect(try asking.readResponse(method: "POST", interim: true).response.status == 100)
        #expect(try asking.readResponse(method: "POST", interim: true).response.body == Array("ok".utf8))
    }

    @Test("a body without length runs to the end of the stream and ends keep-alive")
    func closeDelimited() throws {
        var reader = ResponseReader(source: CannedBytes("HTTP/1.0 200 OK\r\n\r\nall of it", pieceSize: 4))
        let parsed = try reader.readResponse(method: "GET")

        #expect(parsed.response.body == Array("all of it".utf8))
        #expect(!parsed.keepAlive)
    }

    @Test("Connection: close ends keep-alive")
    func connectionClose() throws {
        let stream = "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        var reader = ResponseReader(source: CannedBytes(stream, pieceSize: 3))
        #expect(try !reader.readResponse(method: "POST").keepAlive)
    }

    @Test(
        "malformed or cut-off responses throw",
        arguments: [
            ("SSH-2.0-OpenSSH\r\n\r\n", HTTPClientError.Kind.malformedResponse),
            ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", .malformedResponse),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedResponse),
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", .connectionClosed),
            ("HTTP/1.1 200 OK\r\nContent-Le", .connectionClosed),
            ("", .connectionClosed),
        ])
    func malformed(stream: String, kind: HTTPClientError.Kind) {
        var reader = ResponseReader(source: CannedBytes(stream, pieceSize: 8))
        let error = #expect(throws: HTTPClientError.self) { _ = try reader.readResponse(method: "GET") }
        #expect(error?.kind == kind)
    }
}
