import Foundation

/// The single writer: a dedicated thread that owns the write connection and performs group commits.
///
/// Submitters append to a ``CommitQueue`` under a lock and go on; the thread takes whole groups
/// from it, hands them to the ``GroupCommitter`` outside the lock, and calls the completions after
/// the commit, on the writer thread. No actor sits on this path: one lock acquisition per submit
/// and a condition signal only when the writer may be asleep.
///
/// `@unchecked Sendable`: `queue`, `isFinished` and `writerThread` are read and written only while
/// `condition` is locked. `committer` (and through it the connection) is created before the thread
/// starts, which publishes it to the thread, and is then used only on that thread, which also
/// releases it when it stops.
final class Writer: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: CommitQueue<PendingBatch, AdminJob>
    private var isFinished = false
    private var writerThread: pthread_t?
    private var committer: GroupCommitter?
    private let onCommit: (@Sendable (CommitStatistics) -> Void)?
    private let idleCheckInterval: TimeInterval

    init(
        committer: GroupCommitter, configuration: Store.Configuration,
        onCommit: (@Sendable (CommitStatistics) -> Void)?
    ) {
        self.committer = committer
        self.queue = CommitQueue(window: configuration.commitWindow, maxWeight: configuration.maxRecordsPerCommit)
        self.onCommit = onCommit
        self.idleCheckInterval = configuration.idleCheckInterval.seconds
    }

    /// Starts the writer thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.start()
    }

    /// Queues `batch`; `completion` runs on the writer thread once it is durable or has failed.
    func submit(_ batch: CommitBatch, completion: @escaping @Sendable (Result<CommitReceipt, StorageError>) -> Void) {
        let pending = PendingBatch(batch: batch, completion: completion)
        let arrival = ContinuousClock.now
        condition.lock()
        let admission = queue.enqueue(batch: pending, weight: batch.weight, arrival: arrival)
        if admission == .queued(wake: true) {
            condition.signal()
        }
        condition.unlock()
        if admission == .closed {
            completion(.failure(.closed()))
        }
    }

    /// Queues an admin transaction; it fails with a closed error once the writer is closing.
    func enqueue(_ job: AdminJob) {
        condition.lock()
        let admission = queue.enqueue(transaction: job)
        if admission == .queued(wake: true) {
            condition.signal()
        }
        condition.unlock()
        if admission == .closed {
            job.fail(StorageError.closed())
        }
    }

    /// Refuses new work, lets the thread drain what is queued, and waits until it has stopped.
    ///
    /// Called on the writer thread itself (from a completion or participant), it only refuses new
    /// work: the thread cannot wait for itself.
    func close() {
        condition.lock()
        defer { condition.unlock() }
        queue.close()
        condition.broadcast()
        if let writerThread, pthread_equal(writerThread, pthread_self()) != 0 {
            return
        }
        while !isFinished {
            condition.wait()
        }
    }

    private func run() {
        // Set from the thread itself, Foundation also names the OS thread (for `top -H` and profilers).
        Thread.current.name = "tessera-writer"
        condition.lock()
        writerThread = pthread_self()
        while true {
            switch queue.next(now: .now) {
            case .commit(let group):
                condition.unlock()
                commit(group)
                condition.lock()
            case .runTransaction(let job):
                condition.unlock()
                committer?.run(job)
                condition.lock()
            case .wait(let deadline):
                let remaining = ContinuousClock.now.duration(to: deadline)
                _ = condition.wait(until: Date(timeIntervalSinceNow: remaining.seconds))
            case .idle:
                guard !condition.wait(until: Date(timeIntervalSinceNow: idleCheckInterval)) else { continue }
                condition.unlock()
                committer?.purgeWhileIdle()
                condition.lock()
            case .stop:
                committer = nil
                isFinished = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }

    private func commit(_ group: [PendingBatch]) {
        guard let committer else { return }
        let outcome = committer.commit(group)
        for (pending, result) in zip(group, outcome.results) {
            pending.completion(result)
        }
        if let statistics = outcome.statistics {
            onCommit?(statistics)
        }
    }
}

extension Duration {
    /// The duration in seconds, as Foundation's time intervals count them.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
