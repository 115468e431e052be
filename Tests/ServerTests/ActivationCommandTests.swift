import Foundation
import JSONParsing
import TesseraCore
import TesseraTesting
import Testing

@testable import TesseraCommands

/// `tessera destinations`, `deliveries` and `triggers` against a running server: each subcommand
/// changes what the API shows, and mistakes end with the exit status a user expects.
@Suite struct ActivationCommandTests {
    @Test("destinations, triggers and deliveries from the command line, with a replay of a dead delivery")
    func subcommands() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let refuser = try WebhookReceiver(status: 400)
        defer { refuser.stop() }
        let server = try await RunningServer()
        defer { server.finish() }
        try RunningServer.adminToken.write(
            toFile: server.directory.path + "/admin-token", atomically: true, encoding: .utf8)
        let connection = ["--server", "http://127.0.0.1:\(server.port)", "--data", server.directory.path]
        // The commands block while they wait for the server: run them on threads of their own, or
        // they would hold the cooperative threads the server's own tasks need.
        func run(_ command: String, _ words: String...) async -> Int32 {
            let arguments = words + connection
            return await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: Self.exitStatus(command, arguments)) }
            }
        }
        for command in ["destinations", "deliveries", "triggers"] {
            #expect(await CommandLineTool.run(arguments: [command] + connection) == 64, "the tool knows \(command)")
        }

        let hook = "http://127.0.0.1:\(receiver.port)/hook"
        #expect(
            await run(
                "destinations", "create", "offers", "--kind", "webhook", "--url", hook, "--mapping",
                "email=identities.email,event=event", "--marketing-actions", "onsite-personalization", "--linger-ms",
                "0",
                "--batch-size", "1") == 0)
        #expect(await run("destinations", "create", "bad", "--kind", "fax") == 1, "the server refuses it")
        #expect(await run("destinations", "create") == 64)
        #expect(
            await run(
                "destinations", "create", "refuser", "--kind", "webhook", "--url",
                "http://127.0.0.1:\(refuser.port)/", "--mapping", "email=identities.email", "--marketing-actions",
                "onsite-personalization", "--linger-ms", "0") == 0)
        #expect(await run("destinations", "list") == 0)
        #expect(await run("destinations", "show", "offers") == 0)
        #expect(await run("destinations", "update", "offers", "--concurrency", "3") == 0)
        let list = try await server.send("GET", "/v1/destinations", auth: .admin)
        let offers = try #require(list.json["destinations"]?.arrayValue?.first { $0["name"] == "offers" })
        #expect(offers["concurrency"] == 3 && offers["batchSize"] == 1, "update keeps the other settings")

        let event = #"did "Location Updated" where properties.zone = "duty-free""#
        #expect(await run("triggers", "create", "voucher", "--destination", "offers", "--event", event) == 0)
        #expect(await run("triggers", "create", "refused", "--destination", "refuser", "--event", event) == 0)
        #expect(await run("triggers", "create", "nothing", "--destination", "offers") == 64)
        #expect(await run("triggers", "create", "lost", "--destination", "offers", "--on-exit", "Nobody") == 1)
        #expect(await run("triggers", "list") == 0)
        try await server.track("u-1", "Location Updated", at: .now(), properties: ["zone": "duty-free"])
        let requests = try await receiver.waitFor(count: 1)
        #expect(requests.count == 1)

        let refuserID = try #require(list.json["destinations"]?.arrayValue?.first { $0["name"] == "refuser" }?["id"])
        let dead = try await server.deliveries(of: refuserID.intValue ?? 0, state: "dead")
        let deadID = try #require(dead.first?["id"]?.intValue)
        #expect(await run("deliveries", "list", "refuser", "--state", "dead") == 0)
        #expect(await run("deliveries", "list", "offers") == 0)
        #expect(await run("deliveries", "replay", String(deadID)) == 0)
        #expect(await run("deliveries", "replay", "nine") == 64)
        #expect(await run("deliveries", "list", "nobody") == 1)

        #expect(await run("triggers", "delete", "voucher") == 0)
        #expect(await run("triggers", "delete", "voucher") == 1)
        #expect(await run("destinations", "delete", "offers") == 0)
        let after = try await server.send("GET", "/v1/triggers", auth: .admin)
        #expect(after.json["triggers"]?.arrayValue?.map { $0["name"] } == ["refused"])
    }

    /// The exit status `CommandLineTool` gives a command: 0, 64 for a usage error, 1 otherwise.
    private static func exitStatus(_ command: String, _ words: [String]) -> Int32 {
        do {
            switch command {
            case "destinations": return try DestinationsCommand.run(words)
            case "deliveries": return try DeliveriesCommand.run(words)
            default: return try TriggersCommand.run(words)
            }
        } catch is UsageError {
            return 64
        } catch {
            return 1
        }
    }

    @Test("a trigger renders on one line with when it fires and its condition")
    func triggerLine() {
        let trigger: JSONValue = [
            "id": 4, "name": "welcome-home", "on": "audience_exited", "audience": "Travellers",
            "condition": "has email", "destinationId": 2,
        ]
        #expect(
            TriggersCommand.render(trigger)
                == #"4  welcome-home  on audience_exited "Travellers"  if has email  → destination 2"#)
    }
}
