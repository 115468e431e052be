import Foundation
import Testing
import TesseraCore

@testable import TesseraCommands

@Suite("Demo history: shape, determinism and counts")
struct DemoHistoryTests {
    private let sample = DemoSample.standard

    @Test("the same configuration gives the same bytes, however the stream is chunked")
    func deterministic() {
        let configuration = DemoHistory.Configuration(people: 60, days: 30, seed: 7, now: DemoSample.now)
        let first = DemoSample.stream(configuration, chunk: 100)
        let second = DemoSample.stream(configuration, chunk: 100)
        let oddChunks = DemoSample.stream(configuration, chunk: 37)
        #expect(!first.isEmpty)
        #expect(first == second)
        #expect(first == oddChunks)
    }

    @Test("a different seed gives a different history")
    func seedMatters() {
        let base = DemoHistory.Configuration(people: 20, days: 30, seed: 1, now: DemoSample.now)
        var other = base
        other.seed = 2
        #expect(DemoSample.stream(base, chunk: 100) != DemoSample.stream(other, chunk: 100))
    }

    @Test("the stream is every person's messages in turn")
    func streamIsPersonByPerson() {
        let configuration = DemoHistory.Configuration(people: 30, days: 10, seed: 3, now: DemoSample.now)
        let history = DemoHistory(configuration: configuration)
        let expected = (0..<30).flatMap { history.render(person: $0) }
        #expect(DemoSample.stream(configuration, chunk: 100) == expected)
    }

    @Test("chunks are full until the last, then the history reports nil")
    func chunking() throws {
        var history = DemoHistory(
            configuration: DemoHistory.Configuration(people: 25, days: 30, seed: 5, now: DemoSample.now))
        var sizes: [Int] = []
        while let chunk = history.next(maxMessages: 64) { sizes.append(chunk.count) }
        let last = try #require(sizes.last)
        #expect(sizes.dropLast().allSatisfy { $0 == 64 })
        #expect(last >= 1 && last <= 64)
        #expect(history.next(maxMessages: 64) == nil)
    }

    @Test("no people means no messages")
    func empty() {
        var history = DemoHistory(configuration: DemoHistory.Configuration(people: 0, now: DemoSample.now))
        #expect(history.estimatedMessageCount == 0)
        #expect(history.next(maxMessages: 100) == nil)
    }

    @Test("every message is a JSON object with the fields its type requires")
    func requiredFields() {
        #expect(!sample.messages.isEmpty)
        for message in sample.messages {
            let json = message.json
            #expect(json.objectValue != nil, "not a JSON object: \(String(decoding: message.bytes, as: UTF8.self))")
            #expect(json["messageId"]?.stringValue?.count == 36)
            #expect(message.timestamp?.count == 24)
            #expect(json["context"]?["library"]?["name"]?.stringValue != nil)
            #expect(json["context"]?["library"]?["version"]?.stringValue != nil)
            #expect(!(message.userID ?? "").isEmpty || !(message.anonymousID ?? "").isEmpty)
            switch message.type {
            case "track": #expect(!(message.event ?? "").isEmpty)
            case "page", "screen": #expect(json["name"]?.stringValue != nil)
            case "identify": #expect(json["traits"]?.objectValue != nil)
            case "group":
                #expect(json["groupId"]?.stringValue != nil)
                #expect(json["traits"]?["name"]?.stringValue != nil)
            case "alias":
                #expect(json["previousId"]?.stringValue != nil)
                #expect(message.userID != nil)
            default: Issue.record("unexpected type \(message.type ?? "nil")")
            }
        }
    }

    @Test("orders follow e-commerce v2: id, amounts, currency and product lines")
    func ordersFollowTheSpec() {
        let orders = sample.messages.filter { $0.event == "Order Completed" }
        #expect(orders.count > 20)
        for order in orders {
            let properties = order.json["properties"]
            #expect(properties?["order_id"]?.stringValue != nil)
            #expect((properties?["total"]?.doubleValue ?? 0) > 0)
            #expect(properties?["revenue"]?.doubleValue != nil)
            #expect(["USD", "GBP"].contains(properties?["currency"]?.stringValue ?? ""))
            let lines = properties?["products"]?.arrayValue ?? []
            #expect(!lines.isEmpty)
            for line in lines {
                for key in ["product_id", "sku", "name", "category"] { #expect(line[key]?.stringValue != nil) }
                #expect((line["price"]?.doubleValue ?? 0) > 0)
                #expect((line["quantity"]?.intValue ?? 0) >= 1)
            }
        }
    }

    @Test("message ids are unique")
    func uniqueMessageIDs() {
        let ids = sample.messages.compactMap { $0.json["messageId"]?.stringValue }
        #expect(ids.count == sample.messages.count)
        #expect(Set(ids).count == ids.count)
    }

    @Test("timestamps lie within the last days before now and never go back for one person")
    func timestampsInRangeAndOrdered() {
        let earliest = DemoSample.now.adding(milliseconds: -30 * 86_400_000).iso8601
        let latest = DemoSample.now.iso8601
        var previous: (person: Int, timestamp: String) = (-1, "")
        for message in sample.messages {
            let timestamp = message.timestamp ?? ""
            #expect(timestamp >= earliest && timestamp <= latest, "out of range: \(timestamp)")
            if message.person == previous.person {
                #expect(timestamp >= previous.timestamp, "person \(message.person) went back in time")
            }
            previous = (message.person, timestamp)
        }
    }

    @Test("the estimate is exact for small histories: the renderer follows the plan")
    func estimateExactForSmallHistories() {
        #expect(sample.estimatedMessageCount == sample.messages.count)
    }

    @Test("the estimate for large histories is within 20% of the planned total", arguments: [(6_000, 30), (4_000, 7)])
    func estimateCloseForLargeHistories(people: Int, days: Int) {
        let history = DemoHistory(
            configuration: DemoHistory.Configuration(people: people, days: days, seed: 11, now: DemoSample.now))
        let planned = (0..<people).reduce(0) { $0 + history.plannedMessageCount(person: $1) }
        let ratio = Double(history.estimatedMessageCount) / Double(planned)
        #expect(ratio > 0.8 && ratio < 1.2, "estimate \(history.estimatedMessageCount), planned \(planned)")
    }

    @Test("longer histories hold more activity")
    func activityGrowsWithDays() {
        let short = DemoSample.stream(
            DemoHistory.Configuration(people: 40, days: 3, seed: 9, now: DemoSample.now), chunk: 500)
        let long = DemoSample.stream(
            DemoHistory.Configuration(people: 40, days: 90, seed: 9, now: DemoSample.now), chunk: 500)
        #expect(long.count > 2 * short.count)
    }
}
