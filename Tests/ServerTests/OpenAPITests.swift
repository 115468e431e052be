import TesseraCore
import Testing

/// Keeps `/openapi.json` true: every documented operation exists and answers only documented statuses.
@Suite struct OpenAPITests {
    @Test("every documented operation is served and answers with a documented status")
    func documentMatchesServer() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let document = try await server.send("GET", "/openapi.json", auth: .none).json
        #expect(document["openapi"] == "3.0.3")
        let paths = try #require(document["paths"]?.objectValue)
        #expect(paths.count >= 17)
        for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
            for (method, operation) in try #require(item.objectValue) {
                let concrete = path.replacingOccurrences(of: "{id}", with: "1")
                    .replacingOccurrences(of: "{name}", with: "default")
                let security = operation["security"]?[0]?.objectValue?.keys.first
                let auth: RunningServer.Auth =
                    security == "apiToken" ? .admin : security == "writeKey" ? .writeKey : .none
                let body =
                    method == "post"
                    ? #"{"userId":"u","event":"e","previousId":"p","groupId":"g","batch":[],"name":"n"}"# : nil
                let answer = try await server.send(method.uppercased(), concrete, body: body, auth: auth)
                let documented = operation["responses"]?.objectValue?.keys.map { $0 } ?? []
                #expect(documented.contains(String(answer.status)), "\(method) \(path) answered \(answer.status)")
                #expect(operation["summary"]?.stringValue?.isEmpty == false)
            }
        }
    }

    @Test("scoped operations declare the bearer token and collection operations the write key")
    func securityDeclared() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let paths = try await server.send("GET", "/openapi.json", auth: .none).json["paths"]
        #expect(paths?["/v1/track"]?["post"]?["security"]?[0]?["writeKey"] != nil)
        #expect(paths?["/v1/events"]?["get"]?["security"]?[0]?["apiToken"] != nil)
        #expect(paths?["/health"]?["get"]?["security"] == [])
        #expect(try await server.send("GET", "/v1/dead-letters", auth: .none).status == 401)
    }
}
