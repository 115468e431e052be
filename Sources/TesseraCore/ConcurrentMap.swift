import Dispatch
import Foundation

extension Array where Element: Sendable {
    /// The results of `transform` on every element, in order, computed on all of the machine's cores
    /// when there are at least `minimumCount` elements (below that, spreading the work costs more
    /// than it saves) and on the calling thread otherwise.
    ///
    /// The writer uses it for the per-record work that needs no ordering (parsing, extraction,
    /// encoding), so that a commit's critical path keeps only what must be sequential.
    public func concurrentMap<T: Sendable>(minimumCount: Int = 32, _ transform: @Sendable (Element) -> T) -> [T] {
        let workers = Swift.min(ProcessInfo.processInfo.activeProcessorCount, count / Swift.max(1, minimumCount / 2))
        guard count >= minimumCount, workers > 1 else { return map(transform) }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let output = Output(buffer: buffer)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in Self.share(of: worker, among: workers, count: count) {
                    output.put(transform(self[index]), at: index)
                }
            }
            initialized = count
        }
    }

    /// The contiguous slice of `count` positions that `worker` of `workers` handles.
    private static func share(of worker: Int, among workers: Int, count: Int) -> Range<Int> {
        let size = count / workers
        let extra = count % workers
        let start = worker * size + Swift.min(worker, extra)
        return start..<start + size + (worker < extra ? 1 : 0)
    }
}

/// The result buffer while workers fill it.
///
/// `@unchecked Sendable`: each worker writes only the positions of its own share, shares are
/// disjoint, and the buffer outlives `concurrentPerform`, which returns after every worker finished.
private struct Output<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>

    func put(_ value: T, at index: Int) {
        (buffer.baseAddress! + index).initialize(to: value)
    }
}
