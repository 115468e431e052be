import TesseraCore

/// A complete HTTP response: status, headers and body.
///
/// The server computes `Content-Length` itself; `Content-Length` and `Transfer-Encoding` headers set here are
/// ignored. A `Connection: close` header makes the server close the connection after the response.
public struct HTTPResponse: Sendable {
    /// The status code, such as 200 or 413.
    public var status: Int

    /// The response headers in the order they are sent.
    public var headers: [(String, String)]

    /// The response body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is `value` serialised as JSON, with `Content-Type: application/json`.
    public static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")], body: value.serializedBytes)
    }

    /// A response whose body is `text` in UTF-8.
    public static func text(
        _ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8"
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// The JSON error the server sends for requests it rejects itself, shaped `{"error":{"code","message"}}`.
    static func error(_ status: Int, code: String, message: String) -> HTTPResponse {
        .json(status, ["error": ["code": .string(code), "message": .string(message)]])
    }
}
