import Audiences
import Dispatch
import Foundation
import JSONParsing
import Synchronization
import Segmentation
import Storage
import TesseraCore
import Unification

/// Streaming audience evaluation: the writer's time per event with 1,000 active audiences, beside
/// the same records with no audience engine and with an engine that has no audiences.
///
/// Every record goes through the real commit path (store, profile engine, audience engine) in
/// batches of 100. The cost of audiences is measured twice: as the difference in wall time between
/// the runs, and as the time the writer spent inside the audience engine (applying records to
/// streaming state, evaluating, writing memberships, history and schedule).
enum StreamingBenchmark {
    static func run(arguments: [String]) throws -> [String: JSONValue] {
        let events = arguments.first.flatMap(Int.init) ?? 50_000
        let audiences = arguments.count > 1 ? Int(arguments[1]) ?? 1_000 : 1_000
        let people = max(1, events / 10)
        let records = makeRecords(events: events, people: people)
        let evaluation = try evaluateInMemory(records, audiences: audiences)
        let plain = try measure(records, audiences: nil)
        let empty = try measure(records, audiences: 0)
        let full = try measure(records, audiences: audiences)
        let perEvent = { (seconds: Double) in seconds / Double(events) * 1e6 }
        return [
            "benchmark": "streaming-audiences", "events": .int(Int64(events)), "people": .int(Int64(people)),
            "audiences": .int(Int64(audiences)),
            "microsecondsPerEventWithoutAudienceEngine": .double(perEvent(plain.seconds)),
            "microsecondsPerEventWithNoAudiences": .double(perEvent(empty.seconds)),
            "microsecondsPerEventWithAudiences": .double(perEvent(full.seconds)),
            "audienceMicrosecondsPerEvent": .double(perEvent(full.seconds - plain.seconds)),
            "engineMicrosecondsPerEvent": .double(perEvent(full.engineSeconds)),
            "evaluationMicrosecondsPerEvent": .double(perEvent(evaluation.seconds)),
            "inMemoryEvaluationsPerEvent": .double(Double(evaluation.evaluations) / Double(events)),
            "evaluationsPerEvent": .double(Double(full.evaluations) / Double(events)),
            "membershipChanges": .int(Int64(full.changes)),
        ]
    }

    /// `events` track records spread over `people`, with 50 event names and a few properties.
    static func makeRecords(events: Int, people: Int) -> [IncomingRecord] {
        var random = SystemRandomNumberGenerator()
        let start = Timestamp.now().adding(milliseconds: -Int64(events) * 1_000)
        return (0..<events).map { index in
            let person = Int.random(in: 0..<people, using: &random)
            let name = "Event \(Int.random(in: 0..<50, using: &random))"
            let time = start.adding(milliseconds: Int64(index) * 1_000)
            let body: JSONValue = [
                "type": "track", "userId": .string("user-\(person)"), "event": .string(name),
                "messageId": .string("m-\(index)"), "timestamp": .string(time.iso8601),
                "properties": [
                    "value": .int(Int64.random(in: 0...1_000, using: &random)),
                    "category": .string(["shoes", "bags", "hats"][index % 3]),
                ],
            ]
            return IncomingRecord(
                sourceID: 1, messageID: "m-\(index)", kind: "track", eventName: name, userID: "user-\(person)",
                timestamp: time, receivedAt: time, body: body.serializedBytes)
        }
    }

    /// 1,000 varied rules over the same 50 event names: filtered events in windows, counts, sums,
    /// attributes with events, sequences, and audiences of audiences.
    static func rules(_ count: Int) throws -> [(String, AudienceRule)] {
        try (0..<count).map { index in
            let event = "Event \(index % 50)"
            let other = "Event \((index * 7 + 3) % 50)"
            let text: String
            switch index % 6 {
            case 0: text = #"did "\#(event)" where properties.value > \#(index % 900) within \#(1 + index % 30) days"#
            case 1: text = #"count of "\#(event)" within 7 days >= \#(2 + index % 3)"#
            case 2: text = #"sum of properties.value for "\#(event)" within 30 days > \#(500 + index)"#
            case 3: text = #"did "\#(event)" then "\#(other)" within 1 hour"#
            case 4: text = #"did "\#(event)" where properties.category = "bags" and not did "\#(other)" within 1 day"#
            default: text = #"in audience "a\#(index - 5)" and did "\#(other)" at least 2 times"#
            }
            return ("a\(index)", try AudienceParser.parse(text))
        }
    }

    /// The evaluation alone, in memory: each event is taken into its profile's streaming state and
    /// the audiences it can affect are evaluated, with memberships kept in a dictionary. No store.
    static func evaluateInMemory(
        _ records: [IncomingRecord], audiences: Int
    ) throws -> (seconds: Double, evaluations: Int) {
        let definitions = try rules(audiences).enumerated().map {
            AudienceDefinition(id: Int64($0 + 1), name: $1.0, rule: $1.1)
        }
        let plan = try StreamingPlan(audiences: definitions)
        let events = records.enumerated().map { index, record in
            let properties = (try? JSONValue(parsing: record.body))?["properties"] ?? [:]
            return (
                record.userID ?? "",
                AudienceEvent(
                    name: record.eventName ?? "", time: record.timestamp, sequence: Int64(index), properties: properties
                )
            )
        }
        var states: [String: StreamingState] = [:]
        var memberships: [String: AudienceFlags] = [:]
        var evaluations = 0
        let started = DispatchTime.now().uptimeNanoseconds
        for (person, event) in events {
            var change = StreamingPlan.Change()
            change.events = [event.name]
            change.created = states[person] == nil
            states[person, default: StreamingState()].observe(event, plan: plan, at: event.time)
            let state = states[person]!
            let facts = ProfileFacts(history: state.history(plan: plan))
            var members = memberships[person] ?? AudienceFlags(count: plan.ordered.count)
            let positions = plan.affected(by: change)
            evaluations += positions.count
            for position in positions {
                let holds = plan.compiled[position].holds(
                    for: facts, members: members, state: state, plan: plan, at: event.time)
                members.set(position, holds)
            }
            memberships[person] = members
        }
        return (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, evaluations)
    }

    /// Stores the records in batches of 100 into a fresh store and returns the seconds taken.
    static func measure(
        _ records: [IncomingRecord], audiences: Int?
    ) throws -> (seconds: Double, changes: Int, engineSeconds: Double, evaluations: Int) {
        let directory = NSTemporaryDirectory() + "tessera-streaming-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let profiles = ProfileEngine(logger: Logger(label: "bench", level: .critical))
        var configuration = Store.Configuration()
        configuration.logger = Logger(label: "bench", level: .critical)
        let store = try Store(directory: directory, configuration: configuration, participants: [profiles])
        defer { store.close() }
        let engine = audiences.map { _ in
            AudienceEngine(store: store, profiles: profiles, logger: Logger(label: "bench", level: .critical))
        }
        try wait { try await store.transaction { connection in try profiles.load(in: connection) } }
        let source = try wait { try await store.addSource(name: "bench", writeKey: "wk_bench").id }
        let records = records.map { record in
            var record = record
            record.sourceID = source
            return record
        }
        if let engine, let audiences {
            try wait { try await store.transaction { connection in try engine.load(in: connection) } }
            for (name, rule) in try rules(audiences) {
                _ = try wait { try await engine.create(name: name, rule: rule) }
            }
        }
        let engineBefore = engine?.statistics.nanoseconds.load(ordering: .relaxed) ?? 0
        let evaluationsBefore = engine?.statistics.evaluations.load(ordering: .relaxed) ?? 0
        let started = DispatchTime.now().uptimeNanoseconds
        let group = DispatchGroup()
        let failures = Mutex(0)
        for first in stride(from: 0, to: records.count, by: 100) {
            group.enter()
            store.submit(CommitBatch(records: Array(records[first..<min(first + 100, records.count)]))) { result in
                if case .failure = result { failures.withLock { $0 += 1 } }
                group.leave()
            }
        }
        group.wait()
        guard failures.withLock({ $0 }) == 0 else { throw BenchmarkFailure("some commits failed") }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let changes = try store.read { connection in
            let count = try connection.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'audience_history'")
            guard try count.queryFirst({ $0.int64(at: 0) }) == 1 else { return 0 }
            return Int(
                try connection.prepare("SELECT count(*) FROM audience_history").queryFirst { $0.int64(at: 0) } ?? 0)
        }
        let engineSeconds = Double((engine?.statistics.nanoseconds.load(ordering: .relaxed) ?? 0) - engineBefore) / 1e9
        let evaluations = (engine?.statistics.evaluations.load(ordering: .relaxed) ?? 0) - evaluationsBefore
        return (seconds, changes, engineSeconds, evaluations)
    }

    /// Runs async work from synchronous benchmark code.
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }
}

/// A benchmark that could not measure what it set out to.
struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
