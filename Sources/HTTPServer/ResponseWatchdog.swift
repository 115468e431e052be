import Dispatch

/// Periodically answers requests whose handler has not responded within the response timeout.
///
/// It ticks four times per timeout, at most once a second and at least every 50 ms, so an overdue request
/// is answered within a quarter of the timeout of its deadline (or a second, for long timeouts).
final class ResponseWatchdog: @unchecked Sendable {
    // @unchecked Sendable: the only stored property is a dispatch source, whose methods libdispatch
    // documents as safe to call from any thread; `cancel()` is its only use after `init`.
    private let timer: any DispatchSourceTimer

    /// Starts ticking for `core`'s configured response timeout.
    init(core: ServerCore) {
        let quarter = core.configuration.responseTimeoutSeconds / 4
        let interval = DispatchTimeInterval.milliseconds(Int(min(max(quarter, 0.05), 1) * 1000))
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(10))
        timer.setEventHandler { [weak core] in core?.answerOverdue() }
        timer.resume()
    }

    /// Stops ticking; a tick already running finishes.
    func cancel() {
        timer.cancel()
    }
}
