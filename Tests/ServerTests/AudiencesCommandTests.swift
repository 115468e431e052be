import Foundation
import TesseraCore
import TesseraTesting
import Testing

@testable import TesseraCommands

/// `tessera audiences …` against a running server: every subcommand succeeds or fails as a user
/// would expect, and `why` renders the explanation as a readable tree.
@Suite struct AudiencesCommandTests {
    @Test("create, list, show, members, history, evaluate, why, update and delete from the command line")
    func subcommands() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try RunningServer.adminToken.write(
            toFile: server.directory.path + "/admin-token", atomically: true, encoding: .utf8)
        let now = Timestamp.now()
        try await server.track("u-1", "Order Completed", at: now, properties: ["total": 150])
        let connection = ["--server", "http://127.0.0.1:\(server.port)", "--data", server.directory.path]
        func run(_ words: String...) async -> Int32 {
            await runTool(["audiences"] + words + connection)
        }

        #expect(await run("create", "Buyers", "--rule", #"did "Order Completed""#, "--description", "all buyers") == 0)
        #expect(await run("create", "Buyers", "--rule", "has email") == 1, "a taken name fails")
        #expect(await run("create", "Broken", "--rule", "has") == 1, "an invalid rule fails")
        #expect(await run("create", "Missing") == 64, "no rule is a usage error")
        #expect(await run("list") == 0)
        #expect(await run("show", "Buyers") == 0)
        #expect(await run("members", "Buyers", "--limit", "10") == 0)
        #expect(await run("history", "Buyers") == 0)
        #expect(await run("evaluate", "Buyers") == 0)
        #expect(await run("evaluate") == 0)
        #expect(await run("why", "Buyers", "userId:u-1") == 0)
        #expect(await run("update", "Buyers", "--name", "Customers") == 0)
        #expect(await run("show", "Buyers") == 1, "renamed")
        #expect(await run("delete", "Customers") == 0)
        let list = try await server.send("GET", "/v1/audiences", auth: .admin)
        #expect(list.json["audiences"]?.arrayValue?.isEmpty == true)
    }

    @Test("why renders each condition with a mark, its value, its events and when it changes")
    func whyTree() {
        let answer: JSONValue = [
            "profileId": 12, "member": false,
            "rule": [
                "condition": "(attribute tier = \"gold\" and has email)", "holds": false,
                "conditions": [
                    ["condition": "attribute tier = \"gold\"", "holds": true, "value": "gold"],
                    [
                        "condition": "did \"A\" within 7 days", "holds": true, "value": 1,
                        "changesAt": "2026-12-10T18:00:00.000Z",
                        "events": [["event": "A", "timestamp": "2026-12-03T18:00:00.000Z", "sequence": 41]],
                    ],
                    ["condition": "has email", "holds": false],
                ],
            ],
        ]
        let lines = AudiencesCommand.renderWhy(answer).split(separator: "\n").map(String.init)
        #expect(lines[0] == "Profile 12 is not a member.")
        #expect(lines[1] == "  ✗ (attribute tier = \"gold\" and has email)")
        #expect(lines[2] == "    ✓ attribute tier = \"gold\"   (value: gold)")
        #expect(lines[3] == "    ✓ did \"A\" within 7 days   (value: 1)   changes at 2026-12-10T18:00:00.000Z")
        #expect(lines[4] == "        · A at 2026-12-03T18:00:00.000Z (#41)")
        #expect(lines[5] == "    ✗ has email")
    }
}
