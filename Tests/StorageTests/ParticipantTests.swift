import Foundation
import Storage
import Synchronization
import Testing

/// Writes one audit row per stored record inside the commit, and can be told to fail.
private final class AuditParticipant: CommitParticipant {
    let failing = Mutex(false)
    let calls = Mutex<[[Int64]]>([])

    struct Refused: Error {}

    func apply(stored: [StoredRecordReference], in connection: SQLiteConnection) throws {
        calls.withLock { $0.append(stored.map(\.sequence)) }
        let insert = try connection.prepare("INSERT INTO audit (sequence, message_id) VALUES (?1, ?2)")
        for reference in stored {
            try insert.bind(reference.sequence, at: 1)
            try insert.bind(reference.record.messageID, at: 2)
            try insert.run()
        }
        if failing.withLock({ $0 }) {
            throw Refused()
        }
    }
}

/// Prepares each record as its message id with a tag of its own, and keeps what `apply` received.
private final class PreparingParticipant: CommitParticipant {
    let tag: String
    let preparedOnWriter = Mutex(false)
    let received = Mutex<[String?]>([])

    init(tag: String) {
        self.tag = tag
    }

    func prepare(_ record: IncomingRecord) -> (any Sendable)? {
        if Thread.current.name == "tessera-writer" { preparedOnWriter.withLock { $0 = true } }
        return "\(tag):\(record.messageID)"
    }

    func apply(stored: [StoredRecordReference], in connection: SQLiteConnection) throws {
        received.withLock { $0 += stored.map { $0.prepared as? String } }
    }
}

@Suite("Commit participants")
struct ParticipantTests {
    private func auditRows(_ store: Store) throws -> [String] {
        try store.read { connection in
            try connection.prepare("SELECT message_id FROM audit ORDER BY sequence").query { $0.string(at: 0) }
        }
    }

    @Test("participants see the records just stored, without duplicates, and write in the same transaction")
    func calledInsideTransaction() async throws {
        let audit = AuditParticipant()
        try await withStore(participants: [audit]) { store, _ in
            try await store.transaction { connection in
                try connection.execute("CREATE TABLE audit (sequence INTEGER PRIMARY KEY, message_id TEXT NOT NULL)")
            }
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let receipt = try await store.submit(
                CommitBatch(records: [
                    record("a", source: source.id), record("a", source: source.id), record("b", source: source.id),
                ]))
            let sequences = receipt.outcomes.compactMap { outcome -> Int64? in
                guard case .stored(let sequence) = outcome else { return nil }
                return sequence
            }
            #expect(audit.calls.withLock { $0 } == [sequences])
            #expect(try auditRows(store) == ["a", "b"])

            // A commit of duplicates only stores nothing, so participants are not called.
            _ = try await store.submit(CommitBatch(records: [record("a", source: source.id)]))
            #expect(audit.calls.withLock { $0.count } == 1)
        }
    }

    @Test("each participant gets what it prepared of each stored record, prepared before the writer")
    func preparedRecords() async throws {
        let first = PreparingParticipant(tag: "first")
        let second = PreparingParticipant(tag: "second")
        try await withStore(participants: [first, second]) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            _ = try await store.submit(CommitBatch(records: [record("a", source: source.id)]))
            // The duplicate of "a" is left out; the records after it keep their own preparations.
            _ = try await store.submit(
                CommitBatch(records: [
                    record("a", source: source.id), record("b", source: source.id), record("c", source: source.id),
                ]))
            #expect(first.received.withLock { $0 } == ["first:a", "first:b", "first:c"])
            #expect(second.received.withLock { $0 } == ["second:a", "second:b", "second:c"])
            #expect(!first.preparedOnWriter.withLock { $0 })
        }
    }

    @Test("a participant that throws rolls the whole commit back and fails every caller; the writer goes on")
    func failureRollsBack() async throws {
        let audit = AuditParticipant()
        var configuration = Store.Configuration.forTests
        configuration.commitWindow = .milliseconds(100)
        try await withStore(configuration: configuration, participants: [audit]) { store, _ in
            try await store.transaction { connection in
                try connection.execute("CREATE TABLE audit (sequence INTEGER PRIMARY KEY, message_id TEXT NOT NULL)")
            }
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            audit.failing.withLock { $0 = true }
            let completions = Completions()
            store.submit(CommitBatch(records: [record("a", source: source.id)]), completion: completions.handler(0))
            store.submit(CommitBatch(records: [record("b", source: source.id)]), completion: completions.handler(1))
            let results = await completions.wait(for: 2)
            for index in 0..<2 {
                guard case .failure(let error) = results[index] else {
                    Issue.record("batch \(index) succeeded")
                    continue
                }
                #expect(error.kind == .participant)
                #expect(error.underlying is AuditParticipant.Refused)
            }
            #expect(try store.eventCount() == 0)
            #expect(try auditRows(store).isEmpty)

            audit.failing.withLock { $0 = false }
            let receipt = try await store.submit(CommitBatch(records: [record("a", source: source.id)]))
            #expect(receipt.outcomes.first != .duplicate)  // the rolled-back key was forgotten too
            #expect(try auditRows(store) == ["a"])
        }
    }
}
