import Glibc

/// A response received by `HTTPClient`.
public struct HTTPClientResponse: Sendable {
    /// The status code.
    public var status: Int

    /// The response headers, names lower-cased; repeated headers are joined with `, `.
    public var headers: [String: String]

    /// The body, de-chunked when it was sent chunked.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why `HTTPClient` could not complete an exchange.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// What failed, without values.
    public enum Kind: String, Sendable {
        /// The host did not resolve or no address accepted the connection.
        case connectFailed = "connect_failed"
        /// No progress within the client's timeout.
        case timedOut = "timed_out"
        /// The server closed the connection before the response was complete.
        case connectionClosed = "connection_closed"
        /// Writing the request failed.
        case sendFailed = "send_failed"
        /// The bytes received are not an HTTP/1.x response.
        case malformedResponse = "malformed_response"
        /// The request cannot be written: a line break in the path or a header.
        case invalidRequest = "invalid_request"
    }

    /// What failed.
    public let kind: Kind

    /// The system error number, when a system call failed.
    public let errorNumber: Int32?

    /// What failed, naming the host or call and the system's reason when there is one.
    public let description: String

    init(_ kind: Kind, _ description: String, errorNumber: Int32? = nil) {
        self.kind = kind
        self.errorNumber = errorNumber
        self.description = systemErrorText(description, errorNumber: errorNumber)
    }

    /// Whether the failure shows a kept-alive connection the server had already closed, so the request
    /// can be sent again on a new connection.
    var isStaleConnection: Bool {
        switch kind {
        case .connectionClosed: return true
        case .sendFailed: return errorNumber == EPIPE || errorNumber == ECONNRESET
        default: return false
        }
    }
}
