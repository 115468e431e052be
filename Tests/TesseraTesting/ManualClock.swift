import Synchronization
import TesseraCore

/// A clock that moves only when a test moves it.
public final class ManualClock: WallClock, Sendable {
    private let current: Mutex<Timestamp>

    public init(_ start: Timestamp = Timestamp(milliseconds: 1_764_720_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Timestamp {
        current.withLock { $0 }
    }

    /// Moves the clock forward by `milliseconds`.
    public func advance(milliseconds: Int64) {
        current.withLock { $0 = $0.adding(milliseconds: milliseconds) }
    }

    public func set(_ time: Timestamp) {
        current.withLock { $0 = time }
    }
}
