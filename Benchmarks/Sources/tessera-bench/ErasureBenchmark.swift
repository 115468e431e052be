import Foundation
import Synchronization
import Identity
import Storage
import TesseraCore
import Unification

/// How long a privacy delete holds the writer: loads PROFILES people through the profile engine
/// (an `identify` with a user id, an anonymous id and an e-mail address, then a `track`), then
/// erases ten of them, one transaction each, as the privacy cascade does for the engine and the
/// event log, and empties the WAL.
enum ErasureBenchmark {
    static func run(arguments: [String]) throws -> [String: JSONValue] {
        let people = arguments.first.flatMap(Int.init) ?? 100_000
        let directory = NSTemporaryDirectory() + "/tessera-erasure-bench-\(RandomID.uuid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = Store.Configuration()
        configuration.synchronous = .off
        configuration.logger = Logger(label: "bench", level: .critical)
        let engine = ProfileEngine(logger: Logger(label: "bench", level: .critical))
        let store = try Store(directory: directory, configuration: configuration, participants: [engine])
        defer { store.close() }
        let source = try wait { try await store.addSource(name: "bench", writeKey: "wk_bench").id }

        let loadStarted = DispatchTime.now().uptimeNanoseconds
        let now = Timestamp.now()
        for first in stride(from: 0, to: people, by: 2_500) {
            var records: [IncomingRecord] = []
            for person in first..<min(first + 2_500, people) {
                let identify =
                    #"{"type":"identify","userId":"user-\#(person)","anonymousId":"anon-\#(person)","#
                    + #""traits":{"email":"person\#(person)@example.com","plan":"pro"}}"#
                let track = #"{"type":"track","userId":"user-\#(person)","event":"Order Completed"}"#
                records.append(
                    IncomingRecord(
                        sourceID: source, messageID: "i-\(person)", kind: "identify", userID: "user-\(person)",
                        timestamp: now, receivedAt: now, body: Array(identify.utf8)))
                records.append(
                    IncomingRecord(
                        sourceID: source, messageID: "t-\(person)", kind: "track", eventName: "Order Completed",
                        userID: "user-\(person)", timestamp: now, receivedAt: now, body: Array(track.utf8)))
            }
            let batch = CommitBatch(records: records)
            _ = try wait { try await store.submit(batch) }
        }
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStarted) / 1e9
        let logEntries = try store.read { connection in
            try connection.prepare("SELECT COUNT(*) FROM identity_log").queryFirst { $0.int64(at: 0) } ?? 0
        }

        // Half the people are erased as the privacy job does it (a plan prepared outside the writer,
        // then the writer's part), half by the writer alone.
        var writerWithPlan: [Double] = []
        var preparing: [Double] = []
        var writerAlone: [Double] = []
        for (index, person) in stride(from: 0, to: people, by: max(1, people / 10)).prefix(10).enumerated() {
            let identity = Identity(namespace: "userId", value: "user-\(person)")
            var plan: ErasurePlan?
            if index % 2 == 0 {
                let started = DispatchTime.now().uptimeNanoseconds
                let profile = try store.read { connection in
                    try connection.prepare("SELECT profile_id FROM identities WHERE namespace = ?1 AND value = ?2")
                        .bound(identity).queryFirst { $0.int64(at: 0) }
                }
                plan = try profile.flatMap { try engine.prepareErasure(of: [$0], store: store) }
                preparing.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            }
            let chosen = plan
            let started = DispatchTime.now().uptimeNanoseconds
            let erased = try wait {
                try await store.transaction { connection -> Int in
                    guard let profile = engine.profile(of: identity) else { return 0 }
                    let erasure = try engine.erase([profile], plan: chosen, in: connection)
                    return try store.eraseEvents(erasure.events, in: connection).events
                }
            }
            guard erased == 2 else { throw BenchError("person \(person) was not erased whole") }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            if chosen == nil { writerAlone.append(elapsed) } else { writerWithPlan.append(elapsed) }
        }
        let checkpointStarted = DispatchTime.now().uptimeNanoseconds
        try store.checkpointAndTruncate()
        let checkpoint = Double(DispatchTime.now().uptimeNanoseconds - checkpointStarted) / 1e6
        func median(_ values: [Double]) -> JSONValue { .double(values.sorted()[values.count / 2]) }
        return [
            "benchmark": "erasure", "profiles": .int(Int64(people)), "log_entries": .int(logEntries),
            "load_seconds": .double(loadSeconds), "writer_ms_median_without_plan": median(writerAlone),
            "writer_ms_median_with_plan": median(writerWithPlan), "plan_ms_median": median(preparing),
            "checkpoint_ms": .double(checkpoint),
        ]
    }

    /// Runs `body` to completion from synchronous code.
    private static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await body())
            } catch {
                outcome = .failure(error)
            }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }

    struct BenchError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

extension SQLiteStatement {
    /// The statement with an identity's namespace and value bound to ?1 and ?2.
    fileprivate func bound(_ identity: Identity) throws -> SQLiteStatement {
        try bind(identity.namespace, at: 1)
        try bind(identity.value, at: 2)
        return self
    }
}
