import TesseraCore

/// One webhook request, ready to send: where, which headers, what body, how long to wait.
public struct WebhookRequest: Sendable {
    /// Where to POST.
    public var url: WebhookURL
    /// Headers, in order.
    public var headers: [(String, String)]
    /// The JSON body.
    public var body: [UInt8]
    /// How long to wait for connecting and for each read or write, in milliseconds.
    public var timeoutMilliseconds: Int64

    /// Creates a request.
    public init(url: WebhookURL, headers: [(String, String)], body: [UInt8], timeoutMilliseconds: Int64) {
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// The value of header `name` (compared without case), if present.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Sends webhook requests; the delivery engine's only way to the network.
///
/// Implementations never throw: every failure is an outcome the state machine can judge. Tests may
/// supply their own transport; production uses ``HTTPClientTransport``.
public protocol DeliveryTransport: Sendable {
    /// Sends `request` and reports how it went.
    func send(_ request: WebhookRequest) async -> DeliveryOutcome

    /// Stops the transport's threads once the requests already handed over are finished.
    func shutdown()
}
