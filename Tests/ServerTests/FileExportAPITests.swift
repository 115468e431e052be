import Foundation
import JSONParsing
import TesseraCore
import TesseraTesting
import Testing

@testable import Server

/// File destinations through the server: an audience activated to a CSV directory is written in
/// full, entries after it are appended (incremental), and a scheduled full sync writes every
/// member again.
@Suite struct FileExportAPITests {
    @Test("CSV export: full at activation, incremental entries, then a scheduled full export")
    func csvFullIncrementalScheduled() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let exports = server.directory.path + "/exports"
        let now = Timestamp.now()
        for user in ["u-1", "u-2"] {
            try await server.identify(
                user, at: now, traits: ["email": .string("\(user)@example.com"), "tier": "gold"], emailConsent: nil)
        }
        let destination: JSONValue = [
            "name": "nightly", "kind": "file", "directory": .string(exports), "format": "csv",
            "marketingActions": ["data-science"], "lingerMs": 0,
            "mapping": [
                ["field": "email", "path": "identities.email"], ["field": "tier", "path": "attributes.tier"],
            ],
        ]
        let created = try await server.send("POST", "/v1/destinations", body: destination.serialized, auth: .admin)
        let destinationID = try #require(created.json["id"]?.intValue)
        let audience = try await server.send(
            "POST", "/v1/audiences", body: #"{"name": "Gold", "rule": "attribute tier = \"gold\""}"#, auth: .admin)
        let audienceID = try #require(audience.json["id"]?.intValue)
        let activation = try await server.send(
            "POST", "/v1/audiences/\(audienceID)/activations",
            body: #"{"destinationId": \#(destinationID), "fullSyncEveryMinutes": 60}"#, auth: .admin)
        #expect(activation.status == 201 && activation.json["queued"] == 2, "\(activation.text)")
        #expect(activation.json["fullSyncEveryMinutes"] == 60)
        try await server.identify(
            "u-3", at: now, traits: ["email": "u-3@example.com", "tier": "gold"], emailConsent: nil)

        let file = "\(exports)/nightly-\(Timestamp.now().iso8601.prefix(10)).csv"
        func rows() async throws -> [String] {
            for _ in 0..<200 {
                let lines = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n")
                if lines.count >= 4 { return lines.map(String.init) }
                try await Task.sleep(for: .milliseconds(25))
            }
            return []
        }
        let first = try await rows()
        #expect(first.first == "idempotency_key,reason,profile_id,created_at,email,tier")
        #expect(first.count == 4, "a header, two members synced and one entry")
        #expect(first.contains { $0.contains("audience entered: Gold") && $0.contains("u-3@example.com") })

        #expect(try await server.server.runScheduledSyncs(at: now.adding(milliseconds: 30 * 60_000)) == 0)
        #expect(try await server.server.runScheduledSyncs(at: now.adding(milliseconds: 61 * 60_000)) == 3)
        #expect(try await server.server.runScheduledSyncs(at: now.adding(milliseconds: 62 * 60_000)) == 0)
        var lines: [Substring] = []
        for _ in 0..<200 where lines.count < 7 {
            lines = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n")
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(lines.count == 7, "three more rows, one per member")
        #expect(lines.filter { $0.contains("audience sync: Gold") }.count == 5)
        let bad = try await server.send(
            "POST", "/v1/audiences/\(audienceID)/activations",
            body: #"{"destinationId": \#(destinationID), "fullSyncEveryMinutes": -5}"#, auth: .admin)
        #expect(bad.status == 400 && bad.json["error"]?["field"] == "fullSyncEveryMinutes")
    }
}
