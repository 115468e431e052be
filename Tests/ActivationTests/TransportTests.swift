@testable import Activation
import Foundation
import TesseraCore
import Testing

/// Both webhook transports against the same receiver: the same outcomes for an answer, a refusal,
/// a hang and a port nobody listens on, and the request as sent.
@Suite(.timeLimit(.minutes(1))) struct TransportTests {
    static let transports: [@Sendable () -> any DeliveryTransport] = [
        { HTTPClientTransport(threads: 2) }, { CurlTransport(threads: 2) },
    ]

    @Test("answers, refusals and hangs become the same outcomes", arguments: [0, 1])
    func outcomes(transport index: Int) async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        receiver.script(.status(200, #"{"ok":true}"#), .status(503, "busy"), .hang)
        let transport = Self.transports[index]()
        defer { transport.shutdown() }
        let request = WebhookRequest(
            url: try WebhookURL(parsing: receiver.url), headers: [("Idempotency-Key", "k-1"), ("X-Test", "yes")],
            body: Array(#"[{"a":1}]"#.utf8), timeoutMilliseconds: 300)

        #expect(await transport.send(request) == .response(status: 200, body: Array(#"{"ok":true}"#.utf8)))
        #expect(await transport.send(request) == .response(status: 503, body: Array("busy".utf8)))
        #expect(await transport.send(request) == .timeout)
        let sent = try #require(receiver.requests.first)
        #expect(sent.method == "POST" && sent.path == "/hooks/tessera" && sent.body == Array(#"[{"a":1}]"#.utf8))
        #expect(sent.headers["idempotency-key"] == "k-1" && sent.headers["x-test"] == "yes")

        let nobody = WebhookRequest(
            url: WebhookURL(host: "127.0.0.1", port: 1, target: "/"), headers: [], body: [], timeoutMilliseconds: 300)
        #expect(await transport.send(nobody).verdict == .retryable)
    }
}
