import Dispatch
import Foundation
import HTTPServer
import Synchronization

/// A fixed set of threads of our own that run blocking jobs (socket requests, file appends) in order.
///
/// Blocking calls must stay off Swift's cooperative thread pool, which has one thread per core: a
/// few hung webhooks would otherwise stall every task in the process. Jobs are taken first in,
/// first out; ``shutdown()`` lets the threads finish the queued jobs and exit. Each thread hands its
/// jobs a ``WorkerContext`` of its own, where non-thread-safe resources (HTTP clients) are kept.
final class BlockingWorkers: Sendable {
    private struct Queue {
        var jobs: [@Sendable (WorkerContext) -> Void] = []
        var head = 0
        var stopping = false
    }

    private let queue = Mutex(Queue())
    private let available = DispatchSemaphore(value: 0)
    private let threadCount: Int

    /// Starts `threads` threads named `name`.
    init(threads: Int, name: String) {
        threadCount = max(1, threads)
        for index in 0..<threadCount {
            let thread = Thread { [self] in self.work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Queues `job`; it runs on one of the threads. Jobs queued after ``shutdown()`` run on the caller.
    func run(_ job: @escaping @Sendable (WorkerContext) -> Void) {
        let accepted = queue.withLock { queue -> Bool in
            guard !queue.stopping else { return false }
            queue.jobs.append(job)
            return true
        }
        if accepted { available.signal() } else { job(WorkerContext()) }
    }

    /// Runs `body` on one of the threads and returns its result.
    func perform<T: Sendable>(_ body: @escaping @Sendable (WorkerContext) -> T) async -> T {
        await withCheckedContinuation { continuation in
            run { context in continuation.resume(returning: body(context)) }
        }
    }

    /// Lets each thread exit once the queue is empty.
    func shutdown() {
        let first = queue.withLock { queue -> Bool in
            defer { queue.stopping = true }
            return !queue.stopping
        }
        guard first else { return }
        for _ in 0..<threadCount { available.signal() }
    }

    private func work() {
        let context = WorkerContext()
        while true {
            available.wait()
            let job = queue.withLock { queue -> (@Sendable (WorkerContext) -> Void)? in
                guard queue.head < queue.jobs.count else { return nil }
                let job = queue.jobs[queue.head]
                queue.head += 1
                if queue.head > 1_024 && queue.head * 2 > queue.jobs.count {
                    queue.jobs.removeFirst(queue.head)
                    queue.head = 0
                }
                return job
            }
            guard let job else { return }
            job(context)
        }
    }
}

/// What one worker thread keeps between jobs; used only on that thread, hence not `Sendable`.
final class WorkerContext {
    /// Open keep-alive clients by `host:port:timeout`.
    var clients: [String: HTTPClient] = [:]
    /// The thread's libcurl handle, for ``CurlTransport``.
    var curl: CurlEasy?
}
