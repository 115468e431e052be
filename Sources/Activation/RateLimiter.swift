import TesseraCore

/// A token bucket that paces requests to one destination: at most `ratePerSecond` on average, with
/// bursts of up to one second's worth (at least one request).
///
/// Pure: the engine passes the time in.
public struct RateLimiter: Sendable, Equatable {
    /// Requests per second; 0 or less means no limit.
    public let ratePerSecond: Double
    /// Refills add up in floating point; a token short by less than this counts as whole.
    private static let tolerance = 1e-9
    private var tokens: Double
    private var refilledAt: Timestamp?

    /// Creates a full bucket.
    public init(ratePerSecond: Double) {
        self.ratePerSecond = ratePerSecond
        self.tokens = max(1, ratePerSecond)
    }

    /// Takes one token at `now` when there is one.
    ///
    /// - Returns: Whether a request may start now.
    public mutating func take(at now: Timestamp) -> Bool {
        guard ratePerSecond > 0 else { return true }
        refill(at: now)
        guard tokens + Self.tolerance >= 1 else { return false }
        tokens = max(0, tokens - 1)
        return true
    }

    /// How many requests could start at `now`: `Int.max` without a limit, otherwise the whole tokens.
    public func available(at now: Timestamp) -> Int {
        guard ratePerSecond > 0 else { return Int.max }
        var copy = self
        copy.refill(at: now)
        return Int((copy.tokens + Self.tolerance).rounded(.down))
    }

    /// When the next token will be there, at or after `now`.
    public func nextTokenAt(_ now: Timestamp) -> Timestamp {
        guard ratePerSecond > 0 else { return now }
        var copy = self
        copy.refill(at: now)
        guard copy.tokens + Self.tolerance < 1 else { return now }
        let waitMilliseconds = ((1 - copy.tokens) / ratePerSecond * 1000).rounded(.up)
        return now.adding(milliseconds: Int64(waitMilliseconds))
    }

    private mutating func refill(at now: Timestamp) {
        defer { refilledAt = max(refilledAt ?? now, now) }
        guard let refilledAt, now > refilledAt else { return }
        let elapsed = Double(now.milliseconds - refilledAt.milliseconds) / 1000
        tokens = min(max(1, ratePerSecond), tokens + elapsed * ratePerSecond)
    }
}
