import Dispatch
import Storage
import Synchronization
import TesseraCore

/// Records every read of personal data: who (token id), when, what (route pattern and action), and
/// whose profile (id).
///
/// Reads never wait for the writer: entries go to an in-memory queue that a small job flushes through
/// the store's writer every 100 ms, or as soon as 256 are waiting, in one transaction per flush.
/// Small flushes keep each one short: at 10,000 reads a second, flushes of a thousand entries took
/// the writer long enough at a time to show in the readers' p99 on two cores.
/// Entries hold ids only; nothing a request carried is copied into them.
final class AuditLog: Sendable {
    /// How often and how full the queue is flushed.
    struct Configuration: Sendable {
        /// The longest an entry waits in memory.
        var interval: Duration = .milliseconds(100)
        /// The queue length that triggers a flush at once.
        var batchSize = 256
    }

    /// The action recorded for a read: whether the caller saw personal data unmasked.
    static func action(_ call: RouteRequest) -> String {
        call.seesPersonalData ? "read-pii" : "read"
    }

    private let store: Store
    private let clock: any WallClock
    private let configuration: Configuration
    private let logger: Logger
    private let queue = Mutex<[AuditEntry]>([])
    private let flusher = Mutex<Task<Void, Never>?>(nil)
    private let failures: Counter

    init(
        store: Store, clock: any WallClock, configuration: Configuration = .init(), logger: Logger,
        registry: MetricsRegistry
    ) {
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        failures = registry.counter(
            "tessera_audit_write_failures_total",
            help: "Audit entry writes that failed (retried at the next flush, or lost at shutdown).")
    }

    /// Notes that `call` read personal data of `profiles` (one entry each), or of no single profile
    /// when `profiles` is empty.
    func record(_ call: RouteRequest, profiles: [Int64] = [], action: String? = nil) {
        let time = clock.now()
        let tokenID = call.caller?.tokenID ?? "anonymous"
        let action = action ?? AuditLog.action(call)
        let entries =
            profiles.isEmpty
            ? [AuditEntry(time: time, tokenID: tokenID, route: call.route, action: action, profileID: nil)]
            : profiles.map {
                AuditEntry(time: time, tokenID: tokenID, route: call.route, action: action, profileID: $0)
            }
        let full = queue.withLock { queue in
            queue.append(contentsOf: entries)
            return queue.count >= configuration.batchSize
        }
        if full { Task { await flush() } }
    }

    /// Starts the job that flushes the queue every `interval`.
    func start() {
        let interval = configuration.interval
        flusher.withLock { task in
            task = Task.detached { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    await flush()
                }
            }
        }
    }

    /// Writes what is queued, in one transaction; entries that fail are counted and put back.
    func flush() async {
        let entries = queue.withLock { queue in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        guard !entries.isEmpty else { return }
        do {
            try await store.appendAudit(entries)
        } catch {
            failures.increment(by: entries.count)
            logger.error("audit entries not written", metadata: ["count": "\(entries.count)"])
            queue.withLock { $0.insert(contentsOf: entries, at: 0) }
        }
    }

    /// Stops the job and writes what is left before the store closes, waiting at most `timeout`.
    ///
    /// Called from the synchronous `TesseraServer.stop()`, possibly on a thread of the cooperative
    /// pool: the flush therefore runs on a Dispatch queue of its own (``QueueTaskExecutor``), never
    /// needing the pool this thread may be starving. Entries still queued after the timeout are
    /// counted as failures.
    func stop(timeout: Duration = .seconds(5)) {
        flusher.withLock { task in
            task?.cancel()
            task = nil
        }
        guard queue.withLock({ !$0.isEmpty }) else { return }
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: QueueTaskExecutor(label: "tessera.audit.shutdown")) { [self] in
            await flush()
            done.signal()
        }
        let milliseconds = Int(timeout.components.seconds * 1000)
        if done.wait(timeout: .now() + .milliseconds(milliseconds)) == .timedOut {
            let lost = queue.withLock { $0.count }
            failures.increment(by: lost)
            logger.error("audit entries not written at shutdown", metadata: ["count": "\(lost)"])
        }
    }
}

/// Runs tasks that prefer it on a serial Dispatch queue instead of the cooperative pool.
///
/// Written here because the toolchain offers no ready-made task executor backed by a queue.
final class QueueTaskExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
