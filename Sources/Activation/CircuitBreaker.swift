import TesseraCore

/// Stops sending to a destination that keeps failing, and probes it again after a cool-down.
///
/// Closed: requests flow, consecutive failures are counted. After `failureThreshold` of them the
/// breaker opens: no requests until `coolDown` has passed. Then it is half-open: one probe request
/// may go; its success closes the breaker, its failure opens it for another cool-down. Pure: the
/// engine passes the time in, one breaker per destination.
public struct CircuitBreaker: Sendable, Equatable {
    /// When the breaker opens and for how long.
    public struct Configuration: Sendable, Equatable {
        /// Consecutive failed requests that open the breaker.
        public var failureThreshold: Int = 5
        /// How long an open breaker refuses requests before letting a probe through, in milliseconds.
        public var coolDownMilliseconds: Int64 = 30_000

        /// The defaults: open after 5 consecutive failures, probe again after 30 s.
        public init() {}

        /// Creates a configuration.
        public init(failureThreshold: Int, coolDownMilliseconds: Int64) {
            self.failureThreshold = failureThreshold
            self.coolDownMilliseconds = coolDownMilliseconds
        }
    }

    /// Where the breaker is.
    public enum State: Sendable, Equatable {
        /// Requests flow; `failures` consecutive requests failed so far.
        case closed(failures: Int)
        /// No requests until `until`.
        case open(until: Timestamp)
        /// One probe may go; `probing` says whether it has gone and not yet returned.
        case halfOpen(probing: Bool)
    }

    /// The settings.
    public let configuration: Configuration
    /// The current state.
    public private(set) var state: State = .closed(failures: 0)

    /// Creates a closed breaker.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Asks to start a request at `now`; `true` means go (and, when half-open, marks the probe as sent).
    public mutating func permitsRequest(at now: Timestamp) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until) where now >= until:
            state = .halfOpen(probing: true)
            return true
        case .open:
            return false
        case .halfOpen(let probing):
            guard !probing else { return false }
            state = .halfOpen(probing: true)
            return true
        }
    }

    /// How many requests the breaker would let start at `now`: `Int.max` when closed, 1 when a probe may
    /// go, 0 while open or while the probe is out.
    public func allowance(at now: Timestamp) -> Int {
        switch state {
        case .closed: Int.max
        case .open(let until): now >= until ? 1 : 0
        case .halfOpen(let probing): probing ? 0 : 1
        }
    }

    /// When the breaker will next let a request through, or `nil` when it does now or a probe is out.
    public func reopensAt() -> Timestamp? {
        if case .open(let until) = state { return until }
        return nil
    }

    /// Gives back a probe permit that was not used, so another request may probe.
    public mutating func returnProbe() {
        if case .halfOpen(true) = state { state = .halfOpen(probing: false) }
    }

    /// Records a request the destination answered acceptably (any status but 408, 429 and 5xx).
    public mutating func recordSuccess() {
        state = .closed(failures: 0)
    }

    /// Records a failed request (timeout, connection failure, 408, 429, 5xx) that ended at `now`.
    public mutating func recordFailure(at now: Timestamp) {
        switch state {
        case .closed(let failures) where failures + 1 >= configuration.failureThreshold:
            state = .open(until: now.adding(milliseconds: configuration.coolDownMilliseconds))
        case .closed(let failures):
            state = .closed(failures: failures + 1)
        case .halfOpen:
            state = .open(until: now.adding(milliseconds: configuration.coolDownMilliseconds))
        case .open:
            // A request started before the breaker opened; the cool-down already runs.
            break
        }
    }
}
