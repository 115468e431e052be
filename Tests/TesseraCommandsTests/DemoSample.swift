import Foundation
import TesseraCore

@testable import TesseraCommands

/// A demo history generated once and parsed with `JSONSerialization`, shared by the demo tests.
struct DemoSample: Sendable {
    /// One generated message: its bytes, whose history it belongs to, and its parsed form.
    struct Message: Sendable {
        let person: Int
        let bytes: [UInt8]
        let json: JSONValue

        var type: String? { json["type"]?.stringValue }
        var userID: String? { json["userId"]?.stringValue }
        var anonymousID: String? { json["anonymousId"]?.stringValue }
        var event: String? { json["event"]?.stringValue }
        var channel: String? { json["channel"]?.stringValue }
        var timestamp: String? { json["timestamp"]?.stringValue }
    }

    /// 2026-01-01T00:00:00.000Z, so that expectations do not depend on the clock.
    static let now = Timestamp(milliseconds: 1_767_225_600_000)

    /// 500 people over 30 days: large enough that rare realities (shared laptops) occur.
    static let standard = DemoSample(people: 500, days: 30, seed: 42)

    let configuration: DemoHistory.Configuration
    let messages: [Message]
    let estimatedMessageCount: Int

    init(people: Int, days: Int, seed: UInt64) {
        configuration = DemoHistory.Configuration(people: people, days: days, seed: seed, now: DemoSample.now)
        let history = DemoHistory(configuration: configuration)
        estimatedMessageCount = history.estimatedMessageCount
        messages = (0..<people).flatMap { person in
            history.render(person: person).map { bytes in
                Message(person: person, bytes: bytes, json: DemoSample.parse(bytes))
            }
        }
    }

    /// The messages of one person, in the order they were generated.
    func messages(of person: Int) -> [Message] {
        messages.filter { $0.person == person }
    }

    /// The bytes parsed by Foundation, or `.null` when they are not a JSON object.
    static func parse(_ bytes: [UInt8]) -> JSONValue {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            return .null
        }
        return JSONValue(foundation: object)
    }

    /// Every message of a fresh history, read through the public chunked API.
    static func stream(_ configuration: DemoHistory.Configuration, chunk: Int) -> [[UInt8]] {
        var history = DemoHistory(configuration: configuration)
        var all: [[UInt8]] = []
        while let messages = history.next(maxMessages: chunk) { all += messages }
        return all
    }
}

extension JSONValue {
    /// A value built from what `JSONSerialization` returns; numbers become `.int` when integral.
    ///
    /// Booleans arrive as numbers on Linux and come out as `.int(0)` or `.int(1)`; the tests never
    /// depend on the difference.
    init(foundation value: Any) {
        switch value {
        case let text as String:
            self = .string(text)
        case let object as [String: Any]:
            self = .object(object.mapValues { JSONValue(foundation: $0) })
        case let array as [Any]:
            self = .array(array.map { JSONValue(foundation: $0) })
        case let number as NSNumber:
            let double = number.doubleValue
            self = double.rounded() == double && abs(double) < 1e15 ? .int(Int64(double)) : .double(double)
        default:
            self = .null
        }
    }
}
