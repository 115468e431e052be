import Audiences
import Storage
public import TesseraCore

/// Exits (and entries) that happen because time passed: a sliding window lets an event go, or a
/// consent answer expires.
extension AudienceEngine {
    /// Evaluates every profile due at or before `now` at the moment it was due, so an exit is
    /// recorded at the instant its window expired even when the server was down then.
    ///
    /// - Returns: how many profiles were evaluated.
    @discardableResult
    public func runDue(at now: Timestamp, limit: Int = 1_000) async throws -> Int {
        try await store.transaction { connection in
            try self.begin(in: connection)
            let select = try connection.prepare(
                "SELECT profile_id, due FROM audience_schedule WHERE due <= ?1 ORDER BY due LIMIT ?2")
            try select.bind(now.milliseconds, at: 1)
            try select.bind(Int64(limit), at: 2)
            let due = try select.query { ($0.int64(at: 0), Timestamp(milliseconds: $0.int64(at: 1))) }
            var change = StreamingPlan.Change()
            change.time = true
            change.consent = true
            for (profile, time) in due {
                try self.schedule(profile, due: nil, in: connection)
                try self.evaluate(profile, change: change, at: time, cause: "time", in: connection)
            }
            try self.saveChangedStates(in: connection)
            return due.count
        }
    }

    /// The earliest moment any profile is due, or `nil` when none is.
    public func nextDue() throws -> Timestamp? {
        try store.read { connection in
            let select = try connection.prepare("SELECT min(due) FROM audience_schedule")
            return try select.queryFirst { $0.optionalInt64(at: 0) }.flatMap { $0 }.map(Timestamp.init(milliseconds:))
        }
    }

    /// Runs due evaluations until the task is cancelled: sleeps until the earliest due moment, at
    /// most `poll` at a time so that moments scheduled meanwhile are not missed by more than that.
    public func runScheduler(poll: Duration = .milliseconds(250)) async {
        while !Task.isCancelled {
            do {
                let now = clock.now()
                if let due = try nextDue(), due <= now {
                    while try await runDue(at: now) == 1_000 {}
                    continue
                }
                let wait = try nextDue().map { Duration.milliseconds(max(1, $0.milliseconds - now.milliseconds)) }
                try await Task.sleep(for: min(wait ?? poll, poll))
            } catch is CancellationError {
                return
            } catch {
                logger.error("audience scheduler failed; retrying", metadata: ["error": "\(type(of: error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
