@testable import Activation
import Foundation
import Testing
import TesseraCore
import TesseraTesting

@Suite(.timeLimit(.minutes(1))) struct FileExportTests {
    func fileDestination(
        _ fixture: Fixture, format: DestinationSettings.FileFormat, directory: String
    ) async throws -> Destination {
        var settings = DestinationSettings(
            name: "warehouse", target: .file(directory: directory, format: format),
            marketingActions: ["analytics"],
            mapping: try PayloadMapping(["email": "identities.email", "note": "attributes.note"]))
        settings.batchSize = 10
        settings.lingerMilliseconds = 0
        return try await fixture.destinations.create(settings).destination
    }

    func enqueue(_ fixture: Fixture, _ destination: Destination, notes: [JSONValue]) async throws {
        let outbox = fixture.outbox
        let mapping = destination.settings.mapping
        let entries = notes.enumerated().map { index, note in
            OutboxEntry(
                destinationID: destination.id, idempotencyKey: "file-\(index)-\(note.serialized.count)",
                reason: OutboxEntry.reason(trigger: "checkout"), profileID: Int64(index),
                payload: mapping.payload(
                    for: MappingInput(
                        profileID: Int64(index), identities: ["email": ["p\(index)@example.com"]],
                        attributes: ["note": note])),
                createdAt: fixture.clock.now())
        }
        try await fixture.store.transaction { connection in
            for entry in entries { try outbox.enqueue(entry, in: connection) }
        }
    }

    func deliverAll(_ fixture: Fixture) async throws {
        let engine = fixture.engine()
        try await engine.recover()
        try await engine.dispatchDue()
        await engine.waitUntilIdle()
        await engine.stop()
    }

    @Test("appends JSONL lines to <directory>/<name>-<date>.jsonl and marks them delivered")
    func jsonLines() async throws {
        let clock = ManualClock(Timestamp(milliseconds: 1_764_720_000_000))
        let fixture = try await Fixture(clock: clock)
        defer { fixture.remove() }
        let directory = fixture.directory.path + "/exports"
        let destination = try await fileDestination(fixture, format: .jsonl, directory: directory)
        try await enqueue(fixture, destination, notes: ["first", "second"])
        try await deliverAll(fixture)
        try await enqueue(fixture, destination, notes: ["first", "third"])
        try await deliverAll(fixture)

        let path = directory + "/warehouse-2025-12-03.jsonl"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map { try? JSONValue(parsing: Array($0.utf8)) }
        #expect(lines.count == 3, "the second run appends; a key already stored is not enqueued twice")
        #expect(lines.first??["reason"] == "trigger: checkout")
        #expect(lines.first??["data"] == ["email": "p0@example.com", "note": "first"])
        #expect(lines.last??["data"]?["note"] == "third")
        #expect(try fixture.outbox.counts()[.delivered] == 3)
    }

    @Test("writes CSV with one header, quoting commas, quotes and line breaks")
    func csv() async throws {
        let clock = ManualClock(Timestamp(milliseconds: 1_764_720_000_000))
        let fixture = try await Fixture(clock: clock)
        defer { fixture.remove() }
        let directory = fixture.directory.path + "/exports"
        let destination = try await fileDestination(fixture, format: .csv, directory: directory)
        try await enqueue(fixture, destination, notes: ["plain", "a, b", "say \"hi\""])
        try await deliverAll(fixture)
        try await enqueue(fixture, destination, notes: ["x", "y", "z", "two\nlines"])
        try await deliverAll(fixture)

        let text = try String(contentsOfFile: directory + "/warehouse-2025-12-03.csv", encoding: .utf8)
        let rows: [(index: Int, note: String, cell: String)] = [
            (0, "plain", "plain"), (1, "a, b", "\"a, b\""), (2, "say \"hi\"", "\"say \"\"hi\"\"\""),
            (0, "x", "x"), (1, "y", "y"), (2, "z", "z"), (3, "two\nlines", "\"two\nlines\""),
        ]
        var expected = "idempotency_key,reason,profile_id,created_at,email,note\n"
        for row in rows {
            let key = "file-\(row.index)-\(JSONValue.string(row.note).serialized.count)"
            expected += "\(key),trigger: checkout,\(row.index),2025-12-03T00:00:00.000Z,p\(row.index)@example.com,"
            expected += row.cell + "\n"
        }
        #expect(text == expected)
    }

    @Test("a changed mapping starts a new CSV file instead of mixing columns")
    func changedMapping() async throws {
        let clock = ManualClock(Timestamp(milliseconds: 1_764_720_000_000))
        let fixture = try await Fixture(clock: clock)
        defer { fixture.remove() }
        let directory = fixture.directory.path + "/exports"
        var destination = try await fileDestination(fixture, format: .csv, directory: directory)
        try await enqueue(fixture, destination, notes: ["one"])
        try await deliverAll(fixture)
        var settings = destination.settings
        settings.mapping = try PayloadMapping(["email": "identities.email"])
        destination = try await fixture.destinations.update(id: destination.id, settings)
        try await enqueue(fixture, destination, notes: ["two", "three"])
        try await deliverAll(fixture)

        let first = try String(contentsOfFile: directory + "/warehouse-2025-12-03.csv", encoding: .utf8)
        let second = try String(contentsOfFile: directory + "/warehouse-2025-12-03.2.csv", encoding: .utf8)
        #expect(first.split(separator: "\n").count == 2)
        #expect(second.hasPrefix("idempotency_key,reason,profile_id,created_at,email\n"))
        #expect(second.split(separator: "\n").count == 2, "only the delivery with a new key is exported")
    }

    @Test("an unwritable directory is retried like a network failure")
    func unwritable() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let blocker = fixture.directory.path + "/not-a-directory"
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        let destination = try await fileDestination(fixture, format: .jsonl, directory: blocker + "/exports")
        try await enqueue(fixture, destination, notes: ["one"])
        try await deliverAll(fixture)
        let delivery = try #require(try fixture.outbox.deliveries().first)
        #expect(delivery.status.state == .retry)
        #expect(delivery.status.detail == "file_mkdir_failed")
    }
}
