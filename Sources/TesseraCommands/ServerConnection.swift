import Foundation
import HTTPServer
import Server
import TesseraCore

/// How CLI commands reach a running server: its address and the credentials they need.
struct ServerConnection {
    let host: String
    let port: Int
    let dataDirectory: String

    static let options: Set<String> = ["server", "data"]

    /// Reads `--server http://HOST:PORT` (default `http://127.0.0.1:8080`) and `--data DIR`.
    init(_ arguments: Arguments) throws {
        let address = arguments.options["server"] ?? "http://127.0.0.1:8080"
        guard address.hasPrefix("http://") else { throw UsageError("--server must be an http:// address") }
        let (host, port) = try ServeCommand.parse(listen: String(address.dropFirst(7)).trimmingSuffix("/"))
        self.host = host
        self.port = port
        dataDirectory = arguments.options["data"] ?? ServerConfiguration().dataDirectory
    }

    /// The admin token from `TESSERA_ADMIN_TOKEN`, or the one saved in the data directory.
    func adminToken() throws -> String {
        if let token = ProcessInfo.processInfo.environment["TESSERA_ADMIN_TOKEN"], !token.isEmpty { return token }
        return try secret(named: "admin-token", hint: "set TESSERA_ADMIN_TOKEN or pass --data")
    }

    /// A secret file's first line.
    func secret(named name: String, hint: String) throws -> String {
        let path = dataDirectory + "/" + name
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ServerError("cannot read \(path); \(hint)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func client() -> HTTPClient {
        HTTPClient(host: host, port: port)
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
