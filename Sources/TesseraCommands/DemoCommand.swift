import Foundation
import HTTPServer
import Server
import Synchronization
import TesseraCore

/// `tessera demo`: sends a synthetic customer history to a running server through `/v1/batch`.
///
/// Several connections send at once, each a batch of 100 messages at a time, so that a million
/// people load in minutes; the history itself is generated person by person in constant memory.
enum DemoCommand {
    static let batchSize = 100

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words, options: ServerConnection.options.union(["people", "days", "seed", "write-key", "connections"]))
        let connection = try ServerConnection(arguments)
        let writeKey =
            try arguments.options["write-key"]
            ?? connection.secret(named: "default-write-key", hint: "pass --write-key or --data")
        let people = try arguments.integer("people", default: 1_000, in: 1...100_000_000)
        let days = try arguments.integer("days", default: 30, in: 1...3650)
        // A new history each run unless a seed is given: the same seed makes the same messageIds,
        // which the server would acknowledge as duplicates and not store again.
        let seed = try arguments.integer("seed", default: Int(Timestamp.now().milliseconds), in: 0...Int.max)
        let connections = try arguments.integer("connections", default: 4, in: 1...64)

        let history = DemoHistory(
            configuration: DemoHistory.Configuration(people: people, days: days, seed: UInt64(seed)))
        let started = Timestamp.now()
        let sent = try send(history, to: connection, writeKey: writeKey, connections: connections)
        let seconds = Double(Timestamp.now().milliseconds - started.milliseconds) / 1000
        print(
            "Sent \(sent) messages for \(people) people over \(days) days in \(String(format: "%.1f", seconds)) s"
                + " (seed \(seed); pass --seed \(seed) to send the same history again)")
        return 0
    }

    /// Sends the whole history and returns how many messages the server acknowledged.
    static func send(_ history: DemoHistory, to connection: ServerConnection, writeKey: String, connections: Int) throws
        -> Int
    {
        let authorization = "Basic " + Data((writeKey + ":").utf8).base64EncodedString()
        let progress = ProgressBar(total: history.estimatedMessageCount, label: "demo")
        let shared = Shared(DemoFeed(history: history, progress: progress))
        let failure = Shared<(any Error)?>(nil)
        let group = DispatchGroup()
        for _ in 0..<connections {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let client = connection.client()
                while failure.withLock({ $0 == nil }), let messages = shared.withLock({ $0.next(batchSize) }) {
                    do {
                        let response = try client.send(
                            method: "POST", path: "/v1/batch",
                            headers: [("Authorization", authorization), ("Content-Type", "application/json")],
                            body: batchBody(messages))
                        guard response.status == 200 else {
                            throw ServerError("the server answered \(response.status) to a demo batch")
                        }
                        shared.withLock { $0.acknowledge(messages.count) }
                    } catch {
                        failure.withLock { $0 = $0 ?? error }
                    }
                }
            }
        }
        group.wait()
        if let error = failure.withLock({ $0 }) { throw error }
        return shared.withLock { feed in
            feed.progress.finish()
            return feed.acknowledged
        }
    }

    static func batchBody(_ messages: [[UInt8]]) -> [UInt8] {
        var body = Array("{\"batch\":[".utf8)
        body.reserveCapacity(messages.reduce(16) { $0 + $1.count + 1 })
        for (index, message) in messages.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: message)
        }
        body.append(contentsOf: "]}".utf8)
        return body
    }
}

/// A value several threads share under a lock.
final class Shared<Value>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: sending Value) {
        mutex = Mutex(value)
    }

    func withLock<Result>(_ body: (inout sending Value) throws -> sending Result) rethrows -> sending Result {
        try mutex.withLock(body)
    }
}

/// The generator and progress shared by the sending threads.
struct DemoFeed: Sendable {
    var history: DemoHistory
    var progress: ProgressBar
    var acknowledged = 0

    mutating func next(_ count: Int) -> [[UInt8]]? {
        history.next(maxMessages: count)
    }

    mutating func acknowledge(_ count: Int) {
        acknowledged += count
        progress.advance(by: count)
    }
}
