import TesseraCore

/// Where a delivery is in its life: waiting, being sent, done, or given up.
///
/// `pending → inFlight → delivered | retry (due at a time) | dead`, and `skipped` when a
/// ``DeliveryFilter`` keeps it from being sent. Stored as the raw value in the outbox's `state` column.
public enum DeliveryState: String, Sendable, CaseIterable {
    /// Waiting for its first attempt, or moved back after a restart or a replay.
    case pending
    /// Claimed by the delivery engine and being sent.
    case inFlight = "in_flight"
    /// Failed in a way worth trying again, at `nextAttemptAt`.
    case retry
    /// Accepted by the destination (a 2xx answer, or written and synced to the export file).
    case delivered
    /// Given up: rejected by the destination, or out of attempts. Can be replayed.
    case dead
    /// Not sent because a delivery filter said so (consent, policy).
    case skipped

    /// Whether the delivery is waiting to be claimed once due.
    public var isWaiting: Bool { self == .pending || self == .retry }

    /// Whether nothing more will happen to the delivery unless someone replays it.
    public var isFinal: Bool { self == .delivered || self == .dead || self == .skipped }
}

/// What happened when a delivery (or its batch) was sent.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The destination answered with `status` and `body`.
    case response(status: Int, body: [UInt8])
    /// No complete answer within the destination's timeout.
    case timeout
    /// The request could not be sent: connection refused, reset, a file that cannot be written.
    /// `reason` is a short code such as `connect_failed`, never a value from the payload.
    case connectionFailed(reason: String)

    /// The HTTP status, when there was an answer.
    public var status: Int? {
        if case .response(let status, _) = self { return status }
        return nil
    }

    /// How the state machine treats the outcome.
    public var verdict: Verdict {
        switch self {
        case .response(let status, _):
            switch status {
            case 200..<300: return .success
            // 408 is the receiver's own timeout, so it is treated like ours.
            case 408, 429, 500..<600: return .retryable
            default: return .rejected
            }
        case .timeout, .connectionFailed: return .retryable
        }
    }

    /// A short code for the `detail` column and metrics labels: `status`, `timeout` or the reason.
    public var code: String {
        switch self {
        case .response: "status"
        case .timeout: "timeout"
        case .connectionFailed(let reason): reason
        }
    }

    /// How an outcome counts.
    public enum Verdict: Sendable, Equatable {
        /// Delivered.
        case success
        /// Worth another attempt later: 408, 429, 5xx, timeouts, connection failures.
        case retryable
        /// The destination refused the content (other 4xx, and 1xx/3xx which the client never follows).
        case rejected
    }
}

/// Something that happens to a delivery.
public enum DeliveryEvent: Sendable, Equatable {
    /// The engine claimed it for sending.
    case claim
    /// The attempt finished with an outcome.
    case finish(DeliveryOutcome)
    /// The engine restarted while the delivery was in flight.
    case recover
    /// A user asked to send a dead delivery again.
    case replay
    /// A delivery filter kept it from being sent, for `reason` (a short code).
    case skip(reason: String)
}

/// A delivery's position as the state machine reads and writes it.
public struct DeliveryStatus: Sendable, Equatable {
    /// The state.
    public var state: DeliveryState
    /// Attempts started so far, including one in flight.
    public var attempts: Int
    /// When a waiting delivery becomes due.
    public var nextAttemptAt: Timestamp
    /// Why the delivery is dead or skipped, or how its last attempt failed; `nil` otherwise.
    public var detail: String?

    /// Creates a status.
    public init(state: DeliveryState, attempts: Int, nextAttemptAt: Timestamp, detail: String? = nil) {
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.detail = detail
    }
}
