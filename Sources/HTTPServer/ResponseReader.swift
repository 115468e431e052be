/// A source of bytes for `ResponseReader`: a socket, or canned bytes in tests.
protocol ByteSource {
    /// Reads up to `buffer.count` bytes; returns 0 at the end of the stream.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int
}

/// Parses HTTP/1.x responses from a byte stream: status line, headers, and a body framed by
/// `Content-Length`, chunked encoding or the end of the stream.
///
/// Hand-written rather than borrowed because the toolchain has no HTTP parser short of URLSession,
/// which is about 60 times slower here on loopback.
struct ResponseReader<Source: ByteSource> {
    /// One parsed response and whether the connection can carry another request.
    struct Parsed {
        var response: HTTPClientResponse
        var keepAlive: Bool
    }

    private static var maxHeaderBytes: Int { 1 << 20 }

    private(set) var source: Source

    /// Received bytes live in `buffer[position..<end]`; the rest of `buffer` is room for the next read.
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var position = 0
    private var end = 0

    /// Whether any byte of the response being read has arrived.
    private(set) var receivedAny = false

    init(source: Source) {
        self.source = source
    }

    /// Reads one response to a request with `method`.
    ///
    /// - Parameter interim: Whether to return a 1xx interim response (such as `100 Continue`) instead of
    ///   skipping it.
    /// - Throws: `HTTPClientError` of kind `connectionClosed` if the stream ends early, `malformedResponse`,
    ///   or whatever the source throws.
    mutating func readResponse(method: String, interim: Bool = false) throws(HTTPClientError) -> Parsed {
        receivedAny = position < end
        while true {
            let (status, version) = try readStatusLine()
            let headers = try readHeaders()
            if (100..<200).contains(status) && status != 101 && !interim { continue }

            let closeRequested = headers["connection"]?.lowercased().contains("close") ?? false
            let keepAliveRequested = headers["connection"]?.lowercased().contains("keep-alive") ?? false
            var keepAlive = version == "HTTP/1.1" ? !closeRequested : keepAliveRequested
            let body: [UInt8]
            if method == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304 {
                body = []
            } else if headers["transfer-encoding"]?.lowercased().contains("chunked") ?? false {
                body = try readChunkedBody()
            } else if let lengthText = headers["content-length"] {
                guard let length = Int(lengthText), length >= 0 else {
                    throw HTTPClientError(.malformedResponse, "invalid Content-Length")
                }
                body = try readBytes(count: length)
            } else {
                body = try readToEnd()
                keepAlive = false
            }
            return Parsed(
                response: HTTPClientResponse(status: status, headers: headers, body: body), keepAlive: keepAlive)
        }
    }

    private mutating func readStatusLine() throws(HTTPClientError) -> (status: Int, version: String) {
        let line = try readLine()
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].starts(with: Array("HTTP/1.".utf8)),
            parts[1].count == 3, let status = Int(String(decoding: parts[1], as: UTF8.self))
        else {
            throw HTTPClientError(.malformedResponse, "invalid status line")
        }
        return (status, String(decoding: parts[0], as: UTF8.self))
    }

    private mutating func readHeaders() throws(HTTPClientError) -> [String: String] {
        var headers: [String: String] = [:]
        var total = 0
        while true {
            let line = try readLine()
            total += line.count
            guard total <= Self.maxHeaderBytes else { throw HTTPClientError(.malformedResponse, "headers too large") }
            if line.isEmpty { return headers }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw HTTPClientError(.malformedResponse, "header line without a colon")
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingASCIISpaces()
            headers[name] = headers[name].map { $0 + ", " + value } ?? String(value)
        }
    }

    private mutating func readChunkedBody() throws(HTTPClientError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine()
            let digits = line.prefix { $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: " ") }
            guard let size = Int(String(decoding: digits, as: UTF8.self), radix: 16), size >= 0 else {
                throw HTTPClientError(.malformedResponse, "invalid chunk size")
            }
            if size == 0 {
                while try !readLine().isEmpty {}  // trailers
                return body
            }
            body.append(contentsOf: try readBytes(count: size))
            guard try readLine().isEmpty else {
                throw HTTPClientError(.malformedResponse, "chunk not followed by CRLF")
            }
        }
    }

    /// The next line without its CRLF (or bare LF).
    private mutating func readLine() throws(HTTPClientError) -> [UInt8] {
        var scanned = 0
        while true {
            if let newline = buffer[(position + scanned)..<end].firstIndex(of: UInt8(ascii: "\n")) {
                var lineEnd = newline
                if lineEnd > position && buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                let line = Array(buffer[position..<lineEnd])
                position = newline + 1
                return line
            }
            scanned = end - position
            guard scanned <= Self.maxHeaderBytes else { throw HTTPClientError(.malformedResponse, "line too long") }
            guard try fill() else { throw HTTPClientError(.connectionClosed, "connection closed mid-response") }
        }
    }

    private mutating func readBytes(count: Int) throws(HTTPClientError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while true {
            let available = min(end - position, count - bytes.count)
            bytes.append(contentsOf: buffer[position..<(position + available)])
            position += available
            if bytes.count == count { return bytes }
            guard try fill() else { throw HTTPClientError(.connectionClosed, "connection closed mid-body") }
        }
    }

    private mutating func readToEnd() throws(HTTPClientError) -> [UInt8] {
        var bytes: [UInt8] = []
        repeat {
            bytes.append(contentsOf: buffer[position..<end])
            position = end
        } while try fill()
        return bytes
    }

    /// Reads more bytes after the unread ones, moving those to the front or growing the buffer when it is
    /// full; `false` at the end of the stream.
    private mutating func fill() throws(HTTPClientError) -> Bool {
        if position == end {
            position = 0
            end = 0
        } else if end == buffer.count && position > 0 {
            let unread = end - position
            buffer.withUnsafeMutableBytes { bytes in
                bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + position, byteCount: unread)
            }
            position = 0
            end = unread
        } else if end == buffer.count {
            buffer.append(contentsOf: repeatElement(0, count: buffer.count))
        }

        var failure: HTTPClientError?
        let start = end
        let count = buffer.withUnsafeMutableBytes { bytes -> Int in
            do throws(HTTPClientError) {
                return try source.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[start...]))
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        end += count
        if count > 0 { receivedAny = true }
        return count > 0
    }
}
