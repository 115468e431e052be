@testable import Storage
import Testing

@Suite("Commit queue decisions")
struct CommitQueueTests {
    private typealias Queue = CommitQueue<String, String>
    private let start = ContinuousClock.now

    private func commits(_ action: Queue.Action) -> [String]? {
        guard case .commit(let batches) = action else { return nil }
        return batches
    }

    @Test("an empty queue is idle, and stops once closed")
    func idleAndStop() {
        var queue = Queue(window: .milliseconds(1), maxWeight: 10)
        guard case .idle = queue.next(now: start) else { Issue.record("expected idle"); return }
        queue.close()
        guard case .stop = queue.next(now: start) else { Issue.record("expected stop"); return }
    }

    @Test("batches wait for the window from the oldest arrival, then commit together")
    func window() {
        var queue = Queue(window: .milliseconds(5), maxWeight: 100)
        #expect(queue.enqueue(batch: "a", weight: 1, arrival: start) == .queued(wake: true))
        #expect(queue.enqueue(batch: "b", weight: 1, arrival: start + .milliseconds(1)) == .queued(wake: false))
        guard case .wait(let deadline) = queue.next(now: start + .milliseconds(2)) else {
            Issue.record("expected a wait")
            return
        }
        #expect(deadline == start + .milliseconds(5))
        #expect(commits(queue.next(now: start + .milliseconds(5))) == ["a", "b"])
        #expect(queue.isEmpty)
    }

    @Test("a full group commits at once and the next batch that does not fit waits for the next group")
    func fullGroup() {
        var queue = Queue(window: .seconds(1), maxWeight: 10)
        _ = queue.enqueue(batch: "a", weight: 4, arrival: start)
        _ = queue.enqueue(batch: "b", weight: 4, arrival: start)
        #expect(queue.enqueue(batch: "c", weight: 4, arrival: start) == .queued(wake: true))
        #expect(commits(queue.next(now: start)) == ["a", "b"])
        guard case .wait = queue.next(now: start) else { Issue.record("expected c to wait"); return }
        #expect(commits(queue.next(now: start + .seconds(1))) == ["c"])
    }

    @Test("a batch heavier than the limit still commits whole, on its own")
    func oversizedBatch() {
        var queue = Queue(window: .seconds(1), maxWeight: 10)
        _ = queue.enqueue(batch: "huge", weight: 50, arrival: start)
        _ = queue.enqueue(batch: "small", weight: 1, arrival: start)
        #expect(commits(queue.next(now: start)) == ["huge"])
    }

    @Test("an admin transaction runs alone, after the batches queued before it, which commit at once")
    func transactionOrder() {
        var queue = Queue(window: .seconds(1), maxWeight: 10)
        _ = queue.enqueue(batch: "a", weight: 1, arrival: start)
        #expect(queue.enqueue(transaction: "admin") == .queued(wake: false))
        _ = queue.enqueue(batch: "b", weight: 1, arrival: start)
        #expect(commits(queue.next(now: start)) == ["a"])
        guard case .runTransaction("admin") = queue.next(now: start) else {
            Issue.record("expected the transaction")
            return
        }
        guard case .wait = queue.next(now: start) else { Issue.record("expected b to wait"); return }
    }

    @Test("closing refuses new work but drains queued batches without waiting for the window")
    func closeDrains() {
        var queue = Queue(window: .seconds(10), maxWeight: 10)
        _ = queue.enqueue(batch: "a", weight: 1, arrival: start)
        queue.close()
        #expect(queue.enqueue(batch: "late", weight: 1, arrival: start) == .closed)
        #expect(queue.enqueue(transaction: "late") == .closed)
        #expect(commits(queue.next(now: start)) == ["a"])
        guard case .stop = queue.next(now: start) else { Issue.record("expected stop"); return }
    }
}
