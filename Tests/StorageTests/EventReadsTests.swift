import Storage
import Testing
import TesseraCore

@Suite("Reading events")
struct EventReadsTests {
    @Test("stored events keep every field")
    func fields() async throws {
        try await withStore { store, _ in
            let source = try await store.addSource(name: "web", writeKey: "key-web")
            let incoming = IncomingRecord(
                sourceID: source.id, messageID: "m-1", kind: "identify", eventName: nil, userID: nil,
                anonymousID: "anon-1", timestamp: Timestamp(milliseconds: 10), receivedAt: Timestamp(milliseconds: 20),
                body: Array(#"{"traits":{}}"#.utf8))
            let receipt = try await store.submit(CommitBatch(records: [incoming]))
            guard case .stored(let sequence) = receipt.outcomes.first else {
                Issue.record("not stored")
                return
            }
            let event = try #require(try store.event(messageID: "m-1", sourceID: source.id))
            #expect(
                event
                    == StoredEvent(
                        sequence: sequence, sourceID: source.id, messageID: "m-1", kind: "identify", eventName: nil,
                        userID: nil, anonymousID: "anon-1", timestamp: Timestamp(milliseconds: 10),
                        receivedAt: Timestamp(milliseconds: 20), body: Array(#"{"traits":{}}"#.utf8)))
            #expect(try store.event(messageID: "m-1", sourceID: source.id + 1) == nil)
            #expect(try store.event(messageID: "m-2", sourceID: source.id) == nil)
        }
    }

    @Test("events page forward in ascending order, per source or across sources")
    func paging() async throws {
        try await withStore { store, _ in
            let web = try await store.addSource(name: "web", writeKey: "key-web")
            let ios = try await store.addSource(name: "ios", writeKey: "key-ios")
            for index in 0..<25 {
                let source = index % 5 == 0 ? ios.id : web.id
                _ = try await store.submit(CommitBatch(records: [record("m-\(index)", source: source)]))
            }
            #expect(try store.eventCount() == 25)

            var all: [StoredEvent] = []
            var cursor: Int64?
            repeat {
                let page = try store.events(sourceID: nil, after: cursor, limit: 10)
                #expect(page.count <= 10)
                all += page
                cursor = page.count == 10 ? page.last?.sequence : nil
            } while cursor != nil
            #expect(all.map(\.messageID) == (0..<25).map { "m-\($0)" })
            #expect(zip(all, all.dropFirst()).allSatisfy { $0.sequence < $1.sequence })

            let iosEvents = try store.events(sourceID: ios.id, after: nil, limit: 100)
            #expect(iosEvents.map(\.messageID) == ["m-0", "m-5", "m-10", "m-15", "m-20"])
            let afterSecond = try store.events(sourceID: ios.id, after: iosEvents[1].sequence, limit: 2)
            #expect(afterSecond.map(\.messageID) == ["m-10", "m-15"])
            #expect(try store.events(sourceID: nil, after: all.last?.sequence, limit: 10).isEmpty)
            #expect(try store.events(sourceID: nil, after: nil, limit: 0).isEmpty)
        }
    }

    @Test("recent events are the newest ones, oldest of them first")
    func recent() async throws {
        try await withStore { store, _ in
            let web = try await store.addSource(name: "web", writeKey: "key-web")
            let ios = try await store.addSource(name: "ios", writeKey: "key-ios")
            _ = try await store.submit(CommitBatch(records: (0..<8).map { record("w-\($0)", source: web.id) }))
            _ = try await store.submit(CommitBatch(records: [record("i-0", source: ios.id)]))
            #expect(try store.recentEvents(sourceID: nil, limit: 3).map(\.messageID) == ["w-6", "w-7", "i-0"])
            #expect(try store.recentEvents(sourceID: web.id, limit: 2).map(\.messageID) == ["w-6", "w-7"])
        }
    }
}
