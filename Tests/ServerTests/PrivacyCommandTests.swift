import Foundation
import TesseraCore
import TesseraTesting
import Testing

@testable import TesseraCommands

/// `tessera privacy …` against a running server.
@Suite struct PrivacyCommandTests {
    @Test("access writes the document to a private file, delete prints a receipt, job shows a job")
    func subcommands() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try RunningServer.adminToken.write(
            toFile: server.directory.path + "/admin-token", atomically: true, encoding: .utf8)
        let identify = #"{"userId": "cli-user", "traits": {"email": "cli@example.com"}}"#
        #expect(try await server.send("POST", "/v1/identify", body: identify).status == 200)
        let connection = ["--server", "http://127.0.0.1:\(server.port)", "--data", server.directory.path]
        func run(_ words: String...) async -> Int32 {
            await runTool(["privacy"] + words + connection)
        }
        let out = server.directory.path + "/../privacy-export-\(RandomID.uuid()).json"
        defer { try? FileManager.default.removeItem(atPath: out) }

        #expect(await run("access", "email:cli@example.com", "--out", out) == 0)
        let document = try JSONValue(parsing: Array(try #require(FileManager.default.contents(atPath: out))))
        #expect(document["identities"]?.arrayValue?.count == 2)
        let permissions = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(await run("delete", "userId:cli-user", "--regulation", "ccpa") == 0)
        #expect(try await server.send("GET", "/v1/profiles/userId/cli-user", auth: .admin).status == 404)
        #expect(await run("delete", "cli-user") == 64, "an identity needs a namespace")
        #expect(await run("job", "pj_unknown") == 1, "an unknown job fails")
        #expect(await run("erase", "email:x@y.z") == 64)
    }

    @Test("a delete's receipt renders its counts and signature")
    func renderReceipt() {
        let job: JSONValue = [
            "id": "pj_1", "action": "delete", "state": "done",
            "receipt": [
                "finishedAt": "2026-12-04T10:00:00.000Z", "counts": ["events": 3, "identities": 2],
                "signature": ["algorithm": "HMAC-SHA256", "keyId": "abcd", "value": "00ff"],
            ],
        ]
        let lines = PrivacyCommand.render(job).split(separator: "\n").map(String.init)
        #expect(lines.first == "Privacy job pj_1: delete done")
        #expect(lines.contains("  events: 3") && lines.contains("  identities: 2"))
        #expect(lines.last == "  signature: HMAC-SHA256 00ff (key abcd)")
    }
}
