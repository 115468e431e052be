/// One HTTP request as the server's handler sees it: the whole body is already received.
///
/// The server builds it on a libmicrohttpd worker thread once the upload is complete, so the handler never
/// waits for the network.
public struct HTTPRequest: Sendable {
    /// The request method in upper case, such as `GET` or `POST`.
    public var method: String

    /// The percent-decoded path without the query string, such as `/v1/batch`.
    public var path: String

    /// The decoded query parameters; when a name repeats, the last value wins.
    public var query: [String: String]

    /// The request headers, names lower-cased; repeated headers are joined with `, `.
    public var headers: [String: String]

    /// The request body, already inflated when it arrived with `Content-Encoding: gzip`.
    public var body: [UInt8]

    /// The client's IP address (`127.0.0.1`, `::1`), without the port, when the server knows it.
    public var remoteAddress: String?

    /// Creates a request; the server does this, tests and in-process callers may too.
    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
        body: [UInt8] = [], remoteAddress: String? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }
}
