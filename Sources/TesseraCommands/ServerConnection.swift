import Foundation
import HTTPServer
import JSONParsing
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

/// Percent-encoding for path segments and query values.
enum QueryText {
    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~@")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension ServerConnection {
    /// GETs an admin route and returns its JSON body, or throws with the server's error message.
    func adminGet(_ path: String) throws -> JSONValue {
        try admin("GET", path, body: [])
    }

    /// Sends an admin request and returns its JSON body, or throws with the server's error message.
    func admin(_ method: String, _ path: String, body: [UInt8]) throws -> JSONValue {
        let headers = [("Authorization", "Bearer \(try adminToken())"), ("Content-Type", "application/json")]
        let response = try client().send(method: method, path: path, headers: headers, body: body)
        let json = (try? JSONValue(parsing: response.body)) ?? .null
        guard response.status < 300 else {
            let message = json["error"]?["message"]?.stringValue ?? "HTTP \(response.status)"
            throw ServerError("the server answered \(response.status): \(message)")
        }
        return json
    }
}
