/// A small blocking HTTP/1.1 client over one keep-alive TCP connection, for the CLI, tests and benchmarks.
///
/// Not thread-safe: use one client per thread. When the server has closed the kept-alive connection
/// (idle timeout, `Connection: close`), the request is sent once more on a new connection; that retry
/// can repeat a request the server received but did not answer, which the collection API tolerates
/// because records carry a `messageId` for de-duplication.
///
/// Written on POSIX sockets because URLSession manages about 1.3k requests per second here. Basic auth
/// is a header the caller sets.
public final class HTTPClient {
    /// The host to connect to: a name, an IPv4 literal or an IPv6 literal.
    public let host: String

    /// The TCP port.
    public let port: Int

    /// Seconds to wait for the connection and for each read or write.
    public let timeoutSeconds: Double

    /// How many TCP connections the client has opened so far; 1 while keep-alive holds.
    public private(set) var connectionsOpened = 0

    private var connection: ResponseReader<ClientSocket>?

    /// Creates a client; it connects on the first request.
    public init(host: String, port: Int, timeoutSeconds: Double = 30) {
        self.host = host
        self.port = port
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends one request and waits for its response.
    ///
    /// `Host` and `Content-Length` are added unless `headers` has them.
    /// - Parameters:
    ///   - method: The request method, such as `POST`.
    ///   - path: The request target, with its query string if any: `/v1/batch`.
    ///   - headers: Extra request headers.
    ///   - body: The request body.
    /// - Returns: The response, its body de-chunked.
    /// - Throws: `HTTPClientError` when connecting, sending or reading fails.
    public func send(
        method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws(HTTPClientError) -> HTTPClientResponse {
        let request = try encode(method: method, path: path, headers: headers, body: body)
        return try exchange(request, method: method)
    }

    /// Closes the connection; the next request opens a new one.
    public func close() {
        connection = nil
    }

    /// Sends `request` as given, bytes and all, and reads the response; for tests of malformed input.
    func exchange(_ request: [UInt8], method: String) throws(HTTPClientError) -> HTTPClientResponse {
        var attempt = 0
        while true {
            attempt += 1
            let reused = connection != nil
            do {
                if let early = try write(request, method: method) { return early }
                return try readResponse(method: method)
            } catch  where reused && attempt == 1 && error.isStaleConnection && !(connection?.receivedAny ?? false) {
                connection = nil
            } catch {
                connection = nil
                throw error
            }
        }
    }

    /// Writes `request`; returns `nil` once it went out whole. A server may answer before it has read
    /// the whole body (a 413 for a body too large) and close: when sending fails that way, its answer
    /// is already in the socket, and it is what the caller needs.
    private func write(_ request: [UInt8], method: String) throws(HTTPClientError) -> HTTPClientResponse? {
        do {
            try writeRaw(request)
            return nil
        } catch {
            guard error.kind == .sendFailed, connection != nil, let early = try? readResponse(method: method) else {
                throw error
            }
            connection = nil
            return early
        }
    }

    /// Writes `bytes` on the connection, opening it first if needed.
    func writeRaw(_ bytes: [UInt8]) throws(HTTPClientError) {
        if connection == nil {
            connection = ResponseReader(
                source: try ClientSocket(host: host, port: port, timeoutSeconds: timeoutSeconds))
            connectionsOpened += 1
        }
        try connection!.source.write(bytes)
    }

    /// Reads the next response on the connection.
    ///
    /// - Parameter interim: Whether to return a 1xx interim response instead of skipping it.
    func readResponse(method: String, interim: Bool = false) throws(HTTPClientError) -> HTTPClientResponse {
        guard connection != nil else { throw HTTPClientError(.connectionClosed, "no open connection") }
        let parsed = try connection!.readResponse(method: method, interim: interim)
        if !parsed.keepAlive { connection = nil }
        return parsed.response
    }

    private func encode(
        method: String, path: String, headers: [(String, String)], body: [UInt8]
    ) throws(HTTPClientError) -> [UInt8] {
        let lines = [method, path] + headers.flatMap { [$0.0, $0.1] }
        guard !lines.contains(where: { $0.contains(where: { $0 == "\r" || $0 == "\n" }) }) else {
            throw HTTPClientError(.invalidRequest, "line break in the method, path or a header")
        }
        let names = Set(headers.map { $0.0.lowercased() })
        var head = "\(method) \(path) HTTP/1.1\r\n"
        if !names.contains("host") {
            let hostText = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
            head += "Host: \(hostText):\(port)\r\n"
        }
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        if !names.contains("content-length") && !names.contains("transfer-encoding")
            && (!body.isEmpty || !["GET", "HEAD", "DELETE", "OPTIONS"].contains(method))
        {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: body)
        return bytes
    }
}
