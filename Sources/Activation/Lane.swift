import TesseraCore

/// The delivery engine's running state for one destination: its settings and secret, requests in
/// flight, circuit breaker and rate limiter.
struct Lane: Sendable {
    private(set) var destination: Destination
    private(set) var secret: String
    var inFlight = 0
    private(set) var breaker: CircuitBreaker
    private(set) var limiter: RateLimiter

    init(_ destination: Destination, _ secret: String, _ breaker: CircuitBreaker.Configuration) {
        self.destination = destination
        self.secret = secret
        self.breaker = CircuitBreaker(configuration: breaker)
        self.limiter = RateLimiter(ratePerSecond: destination.settings.rateLimitPerSecond)
    }

    /// Takes new settings; the rate limiter restarts only when the rate changed.
    mutating func update(_ destination: Destination, _ secret: String) {
        if destination.settings.rateLimitPerSecond != limiter.ratePerSecond {
            limiter = RateLimiter(ratePerSecond: destination.settings.rateLimitPerSecond)
        }
        self.destination = destination
        self.secret = secret
    }

    /// How many batches may start at `now`: free concurrency, bounded by the breaker and the rate limit.
    func allowance(at now: Timestamp) -> Int {
        let free = destination.settings.concurrency - inFlight
        return max(0, min(free, breaker.allowance(at: now), limiter.available(at: now)))
    }

    /// When a lane with no allowance may have some again without a batch finishing, if ever.
    func readyAt(_ now: Timestamp) -> Timestamp? {
        if let reopens = breaker.reopensAt() { return reopens }
        if limiter.available(at: now) == 0 { return limiter.nextTokenAt(now) }
        return nil
    }

    /// Notes that a batch starts now: one more in flight, a breaker permit and a rate token taken.
    mutating func begin(at now: Timestamp) {
        inFlight += 1
        _ = breaker.permitsRequest(at: now)
        _ = limiter.take(at: now)
    }

    /// Notes that a started batch sent nothing (a filter skipped all of it), returning a probe permit.
    mutating func sentNothing() {
        breaker.returnProbe()
    }

    /// Tells the breaker how a request went.
    mutating func note(_ outcome: DeliveryOutcome, at now: Timestamp) {
        if outcome.verdict == .retryable {
            breaker.recordFailure(at: now)
        } else {
            breaker.recordSuccess()
        }
    }
}
