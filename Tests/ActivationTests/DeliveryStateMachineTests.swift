import Activation
import Testing
import TesseraCore

@Suite struct DeliveryStateMachineTests {
    let now = Timestamp(milliseconds: 1_000_000)
    let policy = RetryPolicy(maxAttempts: 4, baseDelayMilliseconds: 100, maxDelayMilliseconds: 1_000)

    @Test(
        "classifies answers: 2xx delivered, 408/429/5xx and network failures retried, other statuses refused",
        arguments: [
            (DeliveryOutcome.response(status: 200, body: []), DeliveryOutcome.Verdict.success),
            (.response(status: 201, body: []), .success),
            (.response(status: 204, body: []), .success),
            (.response(status: 299, body: []), .success),
            (.response(status: 400, body: []), .rejected),
            (.response(status: 401, body: []), .rejected),
            (.response(status: 404, body: []), .rejected),
            (.response(status: 408, body: []), .retryable),
            (.response(status: 413, body: []), .rejected),
            (.response(status: 422, body: []), .rejected),
            (.response(status: 429, body: []), .retryable),
            (.response(status: 500, body: []), .retryable),
            (.response(status: 502, body: []), .retryable),
            (.response(status: 503, body: []), .retryable),
            (.response(status: 599, body: []), .retryable),
            (.response(status: 101, body: []), .rejected),
            (.response(status: 301, body: []), .rejected),
            (.timeout, .retryable),
            (.connectionFailed(reason: "connect_failed"), .retryable),
        ])
    func verdicts(outcome: DeliveryOutcome, verdict: DeliveryOutcome.Verdict) {
        #expect(outcome.verdict == verdict)
    }

    /// Every state against every event: the expected next state, or nil when the event is refused.
    static let transitions: [(DeliveryState, DeliveryEvent, DeliveryState?)] = {
        let events: [DeliveryEvent] = [
            .claim, .finish(.response(status: 200, body: [])), .finish(.response(status: 400, body: [])),
            .finish(.response(status: 503, body: [])), .finish(.timeout), .recover, .replay,
            .skip(reason: "no_consent"),
        ]
        let expected: [DeliveryState: [DeliveryState?]] = [
            .pending: [.inFlight, nil, nil, nil, nil, nil, nil, nil],
            .retry: [.inFlight, nil, nil, nil, nil, nil, nil, nil],
            .inFlight: [nil, .delivered, .dead, .retry, .retry, .pending, nil, .skipped],
            .delivered: [nil, nil, nil, nil, nil, nil, nil, nil],
            .dead: [nil, nil, nil, nil, nil, nil, .pending, nil],
            .skipped: [nil, nil, nil, nil, nil, nil, nil, nil],
        ]
        return DeliveryState.allCases.flatMap { state in
            zip(events, expected[state]!).map { (state, $0, $1) }
        }
    }()

    @Test("allows exactly the documented transitions", arguments: transitions)
    func transition(from state: DeliveryState, event: DeliveryEvent, to expected: DeliveryState?) {
        let machine = DeliveryStateMachine(policy: policy)
        var generator = SeededGenerator(state: 7)
        let status = DeliveryStatus(state: state, attempts: 1, nextAttemptAt: now)
        let next = machine.next(after: status, on: event, at: now, using: &generator)
        #expect(next?.state == expected)
    }

    @Test("a claim counts an attempt; a retry is claimed only once due")
    func claimCountsAttempts() throws {
        let machine = DeliveryStateMachine(policy: policy)
        var generator = SeededGenerator(state: 1)
        let pending = DeliveryStatus(state: .pending, attempts: 0, nextAttemptAt: now)
        #expect(machine.next(after: pending, on: .claim, at: now, using: &generator)?.attempts == 1)
        let early = DeliveryStatus(state: .retry, attempts: 2, nextAttemptAt: now.adding(milliseconds: 1))
        #expect(machine.next(after: early, on: .claim, at: now, using: &generator) == nil)
        let due = try #require(
            machine.next(after: early, on: .claim, at: now.adding(milliseconds: 1), using: &generator))
        #expect(due.state == .inFlight)
        #expect(due.attempts == 3)
    }

    @Test(
        "backoff ceilings double from the base up to the cap",
        arguments: [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1_000), (6, 1_000), (64, 1_000), (10_000, 1_000)])
    func ceilings(attempt: Int, ceiling: Int64) {
        #expect(policy.ceiling(afterAttempt: attempt) == ceiling)
    }

    @Test("large bases and attempt counts never overflow")
    func ceilingsNeverOverflow() {
        let huge = RetryPolicy(maxAttempts: 100, baseDelayMilliseconds: .max / 4, maxDelayMilliseconds: .max)
        #expect(huge.ceiling(afterAttempt: 1) == .max / 4)
        #expect(huge.ceiling(afterAttempt: 3) == (.max / 4) * 4)
        #expect(huge.ceiling(afterAttempt: 4) == .max)
        #expect(huge.ceiling(afterAttempt: 90) == .max)
    }

    @Test(
        "a retryable failure waits a jittered time between 0 and the ceiling",
        arguments: [1, 2, 3])
    func jitterBounds(attempts: Int) throws {
        let machine = DeliveryStateMachine(policy: policy)
        let status = DeliveryStatus(state: .inFlight, attempts: attempts, nextAttemptAt: now)
        var seeded = SeededGenerator(state: UInt64(attempts))
        var waits: Set<Int64> = []
        for _ in 0..<200 {
            let next = try #require(machine.next(after: status, on: .finish(.timeout), at: now, using: &seeded))
            let wait = next.nextAttemptAt.milliseconds - now.milliseconds
            #expect((0...policy.ceiling(afterAttempt: attempts)).contains(wait))
            waits.insert(wait)
        }
        #expect(waits.count > 20, "full jitter spreads the waits")
        #expect(waits.min()! < policy.ceiling(afterAttempt: attempts) / 10, "full jitter reaches down to no wait")
        #expect(waits.max()! > policy.ceiling(afterAttempt: attempts) * 9 / 10, "and up to the ceiling")
    }

    @Test(
        "the last allowed attempt makes a retryable failure dead; a refusal is dead at once",
        arguments: [
            (3, DeliveryOutcome.response(status: 503, body: []), DeliveryState.retry, "status"),
            (4, .response(status: 503, body: []), .dead, "attempts_exhausted"),
            (4, .timeout, .dead, "attempts_exhausted"),
            (3, .timeout, .retry, "timeout"),
            (3, .connectionFailed(reason: "connect_failed"), .retry, "connect_failed"),
            (1, .response(status: 400, body: []), .dead, "rejected"),
            (4, .response(status: 200, body: []), .delivered, nil),
        ] as [(Int, DeliveryOutcome, DeliveryState, String?)])
    func lastAttempt(attempts: Int, outcome: DeliveryOutcome, state: DeliveryState, detail: String?) throws {
        let machine = DeliveryStateMachine(policy: policy)
        var generator = SeededGenerator(state: 3)
        let status = DeliveryStatus(state: .inFlight, attempts: attempts, nextAttemptAt: now)
        let next = try #require(machine.next(after: status, on: .finish(outcome), at: now, using: &generator))
        #expect(next.state == state)
        #expect(next.detail == detail)
        #expect(next.attempts == attempts)
    }

    @Test("replay resets attempts; recovery keeps them; skip keeps the reason")
    func replayRecoverSkip() throws {
        let machine = DeliveryStateMachine(policy: policy)
        var generator = SeededGenerator(state: 5)
        let later = now.adding(milliseconds: 500)
        let dead = DeliveryStatus(state: .dead, attempts: 4, nextAttemptAt: now, detail: "rejected")
        let replayed = try #require(machine.next(after: dead, on: .replay, at: later, using: &generator))
        #expect(replayed == DeliveryStatus(state: .pending, attempts: 0, nextAttemptAt: later, detail: "replayed"))
        let flying = DeliveryStatus(state: .inFlight, attempts: 2, nextAttemptAt: now)
        let recovered = try #require(machine.next(after: flying, on: .recover, at: later, using: &generator))
        #expect(recovered == DeliveryStatus(state: .pending, attempts: 2, nextAttemptAt: later, detail: "recovered"))
        let skipped = try #require(
            machine.next(after: flying, on: .skip(reason: "policy:ads"), at: later, using: &generator))
        #expect(skipped.state == .skipped)
        #expect(skipped.detail == "policy:ads")
    }

    @Test("a walk from pending through failures to delivery follows the policy")
    func fullWalk() throws {
        let machine = DeliveryStateMachine(policy: policy)
        var generator = SeededGenerator(state: 17)
        var status = DeliveryStatus(state: .pending, attempts: 0, nextAttemptAt: now)
        var time = now
        var waits: [Int64] = []
        for outcome in [DeliveryOutcome.timeout, .response(status: 500, body: []), .response(status: 429, body: [])] {
            status = try #require(machine.next(after: status, on: .claim, at: time, using: &generator))
            status = try #require(machine.next(after: status, on: .finish(outcome), at: time, using: &generator))
            #expect(status.state == .retry)
            waits.append(status.nextAttemptAt.milliseconds - time.milliseconds)
            time = status.nextAttemptAt
        }
        status = try #require(machine.next(after: status, on: .claim, at: time, using: &generator))
        status = try #require(
            machine.next(after: status, on: .finish(.response(status: 204, body: [])), at: time, using: &generator))
        #expect(zip(waits, [100, 200, 400]).allSatisfy { (0...$1).contains($0) }, "each wait under its ceiling")
        #expect(waits.count == 3)
        #expect(status.state == .delivered)
        #expect(status.attempts == 4)
    }
}
