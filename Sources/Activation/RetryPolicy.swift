/// How long to wait before trying a failed delivery again, and when to stop.
///
/// Exponential backoff with full jitter: after attempt `n` the wait is drawn uniformly from
/// `0...min(maxDelay, baseDelay × 2^(n-1))`. Full jitter spreads the retries of many deliveries that
/// failed together (a receiver restart) instead of sending them back in waves.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts, counting the first, after which a retryable failure makes the delivery dead.
    public var maxAttempts: Int = 10
    /// The ceiling of the first wait, in milliseconds.
    public var baseDelayMilliseconds: Int64 = 1_000
    /// The largest ceiling, in milliseconds, however many attempts were made.
    public var maxDelayMilliseconds: Int64 = 600_000

    /// The defaults: 10 attempts, 1 s doubling to at most 10 min (about an hour of retries in all).
    public init() {}

    /// Creates a policy.
    public init(maxAttempts: Int, baseDelayMilliseconds: Int64, maxDelayMilliseconds: Int64) {
        self.maxAttempts = maxAttempts
        self.baseDelayMilliseconds = baseDelayMilliseconds
        self.maxDelayMilliseconds = maxDelayMilliseconds
    }

    /// The longest wait after attempt `attempt` (counted from 1), in milliseconds.
    public func ceiling(afterAttempt attempt: Int) -> Int64 {
        let base = max(0, baseDelayMilliseconds)
        let cap = max(base, maxDelayMilliseconds)
        let doublings = max(0, attempt - 1)
        // Past 62 doublings the product overflows; any cap is reached long before.
        guard doublings < 62, base <= cap >> doublings else { return cap }
        return min(cap, base << doublings)
    }

    /// A wait after attempt `attempt` drawn uniformly from `0...ceiling(afterAttempt:)`.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Int64 {
        Int64.random(in: 0...ceiling(afterAttempt: attempt), using: &generator)
    }
}
