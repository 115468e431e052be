import TesseraCore

/// The rules of a delivery's life, with no I/O: given where a delivery is and what happened, where it goes.
///
/// The engine performs the I/O and stores what this returns; tests drive it with tables, a manual
/// time and a seeded random source.
public struct DeliveryStateMachine: Sendable {
    /// When to retry and when to give up.
    public var policy: RetryPolicy

    /// Creates a state machine.
    public init(policy: RetryPolicy = RetryPolicy()) {
        self.policy = policy
    }

    /// The status after `event`, or `nil` when the event cannot happen in the current state.
    ///
    /// - `claim`: a pending delivery, or a retry that is due at `now`, goes in flight; attempts + 1.
    /// - `finish`: an in-flight delivery becomes delivered (2xx), dead (refused, or a retryable
    ///   failure on its last attempt) or retry at `now` + a jittered backoff.
    /// - `recover`: an in-flight delivery goes back to pending (the restart may send it once more).
    /// - `replay`: a dead delivery goes back to pending with its attempts reset.
    /// - `skip`: an in-flight delivery a filter refused becomes skipped.
    ///
    /// - Parameters:
    ///   - status: The delivery's current status.
    ///   - event: What happened.
    ///   - now: The current time.
    ///   - generator: The random source for jitter.
    /// - Returns: The new status, or `nil` for an event the state does not allow.
    public func next(
        after status: DeliveryStatus, on event: DeliveryEvent, at now: Timestamp,
        using generator: inout some RandomNumberGenerator
    ) -> DeliveryStatus? {
        switch (status.state, event) {
        case (.pending, .claim):
            return DeliveryStatus(
                state: .inFlight, attempts: status.attempts + 1, nextAttemptAt: status.nextAttemptAt,
                detail: status.detail)
        case (.retry, .claim) where status.nextAttemptAt <= now:
            return DeliveryStatus(
                state: .inFlight, attempts: status.attempts + 1, nextAttemptAt: status.nextAttemptAt,
                detail: status.detail)
        case (.inFlight, .finish(let outcome)):
            return finished(status, outcome, now, &generator)
        case (.inFlight, .recover):
            return DeliveryStatus(state: .pending, attempts: status.attempts, nextAttemptAt: now, detail: "recovered")
        case (.dead, .replay):
            return DeliveryStatus(state: .pending, attempts: 0, nextAttemptAt: now, detail: "replayed")
        case (.inFlight, .skip(let reason)):
            return DeliveryStatus(state: .skipped, attempts: status.attempts, nextAttemptAt: now, detail: reason)
        default:
            return nil
        }
    }

    private func finished(
        _ status: DeliveryStatus, _ outcome: DeliveryOutcome, _ now: Timestamp,
        _ generator: inout some RandomNumberGenerator
    ) -> DeliveryStatus {
        switch outcome.verdict {
        case .success:
            return DeliveryStatus(state: .delivered, attempts: status.attempts, nextAttemptAt: now)
        case .rejected:
            return DeliveryStatus(state: .dead, attempts: status.attempts, nextAttemptAt: now, detail: "rejected")
        case .retryable where status.attempts >= policy.maxAttempts:
            return DeliveryStatus(
                state: .dead, attempts: status.attempts, nextAttemptAt: now, detail: "attempts_exhausted")
        case .retryable:
            let wait = policy.delay(afterAttempt: status.attempts, using: &generator)
            return DeliveryStatus(
                state: .retry, attempts: status.attempts, nextAttemptAt: now.adding(milliseconds: wait),
                detail: outcome.code)
        }
    }
}
