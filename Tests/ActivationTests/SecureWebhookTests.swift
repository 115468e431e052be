import Activation
import Foundation
import TesseraTesting
import Testing

/// `https` receivers: reached through libcurl with the receiver's certificate checked, never sent in
/// the clear, and refused when the certificate is not one the transport trusts.
@Suite(.timeLimit(.minutes(1))) struct SecureWebhookTests {
    @Test("https URLs parse with their own default port and print back")
    func parsing() throws {
        let url = try WebhookURL(parsing: "HTTPS://hooks.example.com/in?x=1")
        #expect(url.isSecure && url.port == 443 && url.target == "/in?x=1")
        #expect(url.description == "https://hooks.example.com:443/in?x=1")
        #expect(try !WebhookURL(parsing: "http://h/").isSecure)
        #expect(throws: ActivationError.self) { try WebhookURL(parsing: "ftp://h/") }
    }

    @Test("a webhook reaches an https receiver whose certificate is trusted, and only then")
    func delivery() async throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        let request = WebhookRequest(
            url: try WebhookURL(parsing: "https://127.0.0.1:\(receiver.port)/hook"),
            headers: [("Idempotency-Key", "k-tls")], body: Array(#"[{"a":1}]"#.utf8), timeoutMilliseconds: 5_000)

        let trusting = WebhookTransport(secureThreads: 1, certificateAuthorities: receiver.certificate)
        defer { trusting.shutdown() }
        #expect(await trusting.send(request) == .response(status: 200, body: Array("ok".utf8)))
        #expect(receiver.bodies() == [#"[{"a":1}]"#])

        let untrusting = WebhookTransport(secureThreads: 1)
        defer { untrusting.shutdown() }
        #expect(await untrusting.send(request) == .connectionFailed(reason: "tls_certificate_refused"))
        let plain = HTTPClientTransport(threads: 1)
        defer { plain.shutdown() }
        #expect(await plain.send(request) == .connectionFailed(reason: "tls_unsupported"))
        #expect(receiver.bodies().count == 1, "nothing reached the receiver without a trusted certificate")
    }
}

/// A TLS receiver on loopback: Python's HTTP server behind a self-signed certificate for 127.0.0.1
/// made by the `openssl` command, answering every POST with `200 ok` and keeping the bodies.
final class TLSReceiver: Sendable {
    private let directory: TemporaryDirectory
    private let process: Process
    let port: Int
    /// The receiver's certificate, to trust.
    var certificate: String { directory.path + "/cert.pem" }

    init() throws {
        directory = try TemporaryDirectory(prefix: "tessera-tls")
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", directory.path + "/key.pem",
            "-out", directory.path + "/cert.pem",
        ]
        make.standardError = FileHandle.nullDevice
        try make.run()
        make.waitUntilExit()
        let script = """
            import http.server, ssl, sys
            directory = sys.argv[1]
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                    with open(directory + "/bodies", "ab") as out:
                        out.write(body + b"\\n")
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                def log_message(self, *args):
                    pass
            server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(directory + "/cert.pem", directory + "/key.pem")
            server.socket = context.wrap_socket(server.socket, server_side=True)
            with open(directory + "/port", "w") as out:
                out.write(str(server.server_address[1]))
            server.serve_forever()
            """
        try script.write(toFile: directory.path + "/receiver.py", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", directory.path + "/receiver.py", directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var port: Int?
        for _ in 0..<200 where port == nil {
            port = (try? String(contentsOfFile: directory.path + "/port", encoding: .utf8)).flatMap { Int($0) }
            if port == nil { Thread.sleep(forTimeInterval: 0.025) }
        }
        guard let port else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw CocoaError(.fileReadNoSuchFile)
        }
        self.port = port
    }

    /// The bodies received, in order.
    func bodies() -> [String] {
        let text = (try? String(contentsOfFile: directory.path + "/bodies", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// Stops the receiver by its pid. SIGKILL, because children of the test process inherit its
    /// blocked signals, SIGTERM among them.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        directory.remove()
    }
}
