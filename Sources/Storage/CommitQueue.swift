/// The writer's pending work and the decision of what to do next: a state machine without locks,
/// threads, clocks or I/O, so that its rules can be tested directly.
///
/// Batches that arrive close together form one group commit: the writer commits the batches at the
/// head of the queue once the oldest has waited `window`, or at once when they reach `maxWeight`,
/// when an admin transaction waits behind them, or when the queue is closing. A batch is never split,
/// so a group holds at least one batch even when that batch alone exceeds `maxWeight`. Admin
/// transactions run alone, in queue order.
struct CommitQueue<Batch, Job> {
    /// What the writer should do next.
    enum Action {
        /// Commit these batches together in one transaction.
        case commit([Batch])
        /// Run this admin transaction on its own.
        case runTransaction(Job)
        /// Nothing is ready before this instant; wait for it (or for a wake-up).
        case wait(until: ContinuousClock.Instant)
        /// Nothing is queued; wait for work.
        case idle
        /// The queue is closed and drained; the writer can stop.
        case stop
    }

    /// The result of offering work to the queue.
    enum Admission: Equatable {
        /// Queued; `wake` says whether the writer must be signalled to notice it promptly.
        case queued(wake: Bool)
        /// Refused because the queue is closed.
        case closed
    }

    private enum Entry {
        case batch(Batch, weight: Int, arrival: ContinuousClock.Instant)
        case transaction(Job)
    }

    /// How long the oldest batch may wait for company.
    let window: Duration
    /// The most records (and dead letters) one group commit takes.
    let maxWeight: Int

    private var entries: [Entry] = []
    private var queuedWeight = 0
    private(set) var isClosed = false

    init(window: Duration, maxWeight: Int) {
        self.window = window
        self.maxWeight = max(1, maxWeight)
    }

    /// Whether anything is waiting.
    var isEmpty: Bool { entries.isEmpty }

    /// Queues a batch of `weight` that arrived at `arrival`.
    ///
    /// The writer needs a signal only when it may be idle (the queue was empty) or when this batch
    /// fills a group; otherwise it is already waiting for the window and will see the batch then.
    mutating func enqueue(batch: Batch, weight: Int, arrival: ContinuousClock.Instant) -> Admission {
        guard !isClosed else { return .closed }
        let wasEmpty = entries.isEmpty
        let weightBefore = queuedWeight
        entries.append(.batch(batch, weight: weight, arrival: arrival))
        queuedWeight += weight
        return .queued(wake: wasEmpty || (weightBefore < maxWeight && queuedWeight >= maxWeight))
    }

    /// Queues an admin transaction behind everything already queued.
    mutating func enqueue(transaction job: Job) -> Admission {
        guard !isClosed else { return .closed }
        let wasEmpty = entries.isEmpty
        entries.append(.transaction(job))
        return .queued(wake: wasEmpty)
    }

    /// Refuses new work from now on; what is queued still drains.
    mutating func close() {
        isClosed = true
    }

    /// Decides the writer's next step at `now`, removing the work it hands out.
    ///
    /// - Complexity: O(*b*) where *b* is the number of batches in the next group.
    mutating func next(now: ContinuousClock.Instant) -> Action {
        guard let head = entries.first else { return isClosed ? .stop : .idle }
        let oldestArrival: ContinuousClock.Instant
        switch head {
        case .transaction(let job):
            entries.removeFirst()
            return .runTransaction(job)
        case .batch(_, _, let arrival):
            oldestArrival = arrival
        }

        let group = leadingGroup()
        let deadline = oldestArrival.advanced(by: window)
        guard group.isComplete || isClosed || now >= deadline else {
            return .wait(until: deadline)
        }
        return .commit(removeBatches(group.count, weight: group.weight))
    }

    /// The batches at the head that fit one group, and whether the group can take no more: it is
    /// full, the next batch would not fit, or an admin transaction waits behind it.
    private func leadingGroup() -> (count: Int, weight: Int, isComplete: Bool) {
        var count = 0
        var weight = 0
        for entry in entries {
            guard case .batch(_, let entryWeight, _) = entry else { return (count, weight, true) }
            if count > 0 && weight + entryWeight > maxWeight {
                return (count, weight, true)
            }
            count += 1
            weight += entryWeight
            if weight >= maxWeight {
                return (count, weight, true)
            }
        }
        return (count, weight, false)
    }

    private mutating func removeBatches(_ count: Int, weight: Int) -> [Batch] {
        var batches: [Batch] = []
        batches.reserveCapacity(count)
        for entry in entries.prefix(count) {
            guard case .batch(let batch, _, _) = entry else { fatalError("a group holds only batches") }
            batches.append(batch)
        }
        entries.removeFirst(count)
        queuedWeight -= weight
        return batches
    }
}
