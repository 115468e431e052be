import Storage
import Testing

@Suite("Group commits")
struct GroupCommitTests {
    @Test("many concurrent submitters share fewer commits than batches, and every outcome is right")
    func concurrentSubmitters() async throws {
        let log = CommitLog()
        var configuration = Store.Configuration.forTests
        configuration.commitWindow = .milliseconds(20)
        try await withStore(configuration: configuration, onCommit: log.handler) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let batches = 200
            let receipts = try await withThrowingTaskGroup(of: (Int, CommitReceipt).self) { group in
                for index in 0..<batches {
                    group.addTask {
                        let records = (0..<3).map { record("m-\(index)-\($0)", source: source.id) }
                        return (index, try await store.submit(CommitBatch(records: records)))
                    }
                }
                return try await group.reduce(into: [Int: CommitReceipt]()) { $0[$1.0] = $1.1 }
            }

            var sequences: [Int64] = []
            for index in 0..<batches {
                let outcomes = try #require(receipts[index]).outcomes
                #expect(outcomes.count == 3)
                for outcome in outcomes {
                    guard case .stored(let sequence) = outcome else {
                        Issue.record("batch \(index) had a duplicate")
                        continue
                    }
                    sequences.append(sequence)
                }
            }
            #expect(Set(sequences).count == batches * 3)
            #expect(try store.eventCount() == batches * 3)

            let commits = log.commits
            #expect(commits.count < batches)
            #expect(commits.reduce(0) { $0 + $1.batches } == batches)
            #expect(commits.reduce(0) { $0 + $1.records } == batches * 3)
        }
    }

    @Test("batches submitted together commit in one transaction, in submission order")
    func oneTransaction() async throws {
        let log = CommitLog()
        var configuration = Store.Configuration.forTests
        configuration.commitWindow = .milliseconds(200)
        try await withStore(configuration: configuration, onCommit: log.handler) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let completions = Completions()
            for index in 0..<50 {
                store.submit(
                    CommitBatch(records: [record("m-\(index)", source: source.id)]),
                    completion: completions.handler(index))
            }
            let results = await completions.wait(for: 50)

            var previous: Int64 = 0
            for index in 0..<50 {
                let receipt = try #require(try results[index]?.get())
                guard case .stored(let sequence) = receipt.outcomes.first else {
                    Issue.record("not stored")
                    continue
                }
                #expect(sequence > previous)
                previous = sequence
            }
            #expect(log.commits.count == 1)
            #expect(log.commits.first?.batches == 50)
        }
    }

    @Test("a group takes at most maxRecordsPerCommit records")
    func maxRecords() async throws {
        let log = CommitLog()
        var configuration = Store.Configuration.forTests
        configuration.commitWindow = .milliseconds(200)
        configuration.maxRecordsPerCommit = 10
        try await withStore(configuration: configuration, onCommit: log.handler) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let completions = Completions()
            for index in 0..<30 {
                let records = [record("a-\(index)", source: source.id), record("b-\(index)", source: source.id)]
                store.submit(CommitBatch(records: records), completion: completions.handler(index))
            }
            let results = await completions.wait(for: 30)
            #expect(results.values.allSatisfy { (try? $0.get()) != nil })
            #expect(log.commits.allSatisfy { $0.records <= 10 })
            #expect(log.commits.count >= 6)
        }
    }

    @Test("a batch that breaks a constraint fails alone; the rest of its group commits")
    func batchFailsAlone() async throws {
        let log = CommitLog()
        var configuration = Store.Configuration.forTests
        configuration.commitWindow = .milliseconds(200)
        try await withStore(configuration: configuration, onCommit: log.handler) { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let completions = Completions()
            store.submit(
                CommitBatch(records: [record("good-1", source: source.id)]), completion: completions.handler(0))
            store.submit(
                CommitBatch(records: [record("bad-ok", source: source.id), record("bad", source: 999)]),
                completion: completions.handler(1))
            store.submit(
                CommitBatch(records: [record("good-2", source: source.id)]), completion: completions.handler(2))
            let results = await completions.wait(for: 3)

            #expect((try? results[0]?.get()) != nil)
            #expect((try? results[2]?.get()) != nil)
            guard case .failure(let error) = results[1] else {
                Issue.record("the batch with an unknown source was accepted")
                return
            }
            #expect(error.kind == .constraint)

            // Nothing of the failed batch was kept, not even its valid record or its dedupe key.
            #expect(try store.eventCount() == 2)
            #expect(try store.event(messageID: "bad-ok", sourceID: source.id) == nil)
            let retry = try await store.submit(CommitBatch(records: [record("bad-ok", source: source.id)]))
            #expect(retry.outcomes.first != .duplicate)
            #expect(log.commits.first?.rejectedBatches == 1)
        }
    }

    @Test("an empty batch completes at once with an empty receipt")
    func emptyBatch() async throws {
        try await withStore { store, _ in
            let receipt = try await store.submit(CommitBatch())
            #expect(receipt.outcomes.isEmpty && receipt.deadLetterIDs.isEmpty)
        }
    }
}
