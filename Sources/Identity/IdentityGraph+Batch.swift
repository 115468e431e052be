/// One record's identities and provenance, as `IdentityGraph.observe(_:)` takes them in a batch.
public struct Observation: Sendable {
    /// The record's normalised identities (see `IdentityNormalizer`).
    public var identities: [Identity]
    /// The record's sequence, source, extraction rule and event time.
    public var provenance: Provenance

    /// Creates an observation.
    public init(identities: [Identity], provenance: Provenance) {
        self.identities = identities
        self.provenance = provenance
    }
}

extension IdentityGraph {
    /// Takes in many records in order: the same decisions, entries and resolutions as calling
    /// `observe(_:provenance:)` on each, faster on large graphs.
    ///
    /// On a graph larger than the processor's caches, observing a record is a chain of dependent
    /// memory reads (slot, key record, node, root, links), each a cache miss; one record at a time,
    /// they happen one after the other. Here, while one record is decided, the cache lines of the
    /// records a few places later are fetched step by step with prefetch instructions, so the misses
    /// of several records overlap.
    ///
    /// - Parameter records: the records, each as `observe(_:provenance:)` takes it.
    /// - Returns: one resolution per record, in order.
    /// - Complexity: that of `observe(_:provenance:)` per record.
    public func observe(_ records: [Observation]) -> [Resolution] {
        core.observe(batch: records)
    }
}

extension GraphState {
    /// Records between two read-ahead steps: a record's slots are fetched four records before
    /// its key records, and so on, so each step has a few hundred nanoseconds to land.
    static let readAheadDistance = 2
    /// The identities of a record that are read ahead (records rarely carry more).
    static let readAheadIdentities = 4
    /// Records in the ring of read-ahead hashes: a power of two above the farthest step.
    static let readAheadRecords = 16

    /// See `IdentityGraph.observe(_:)`.
    mutating func observe(batch records: [Observation]) -> [Resolution] {
        if readAheadHashes.isEmpty {
            readAheadHashes = Array(repeating: 0, count: Self.readAheadRecords * Self.readAheadIdentities)
        }
        var resolutions: [Resolution] = []
        resolutions.reserveCapacity(records.count)
        let step = Self.readAheadDistance
        for position in -4 * step..<records.count {
            hashAhead(records, at: position + 4 * step)
            prefetchKeys(at: position + 3 * step, count: records.count)
            prefetchNodes(at: position + 2 * step, count: records.count)
            prefetchRoots(at: position + step, count: records.count)
            guard position >= 0 else { continue }
            resolutions.append(observe(records[position].identities, provenance: records[position].provenance))
        }
        return resolutions
    }

    /// First step: hashes a record's identities (0 for blocked ones) and prefetches their slots.
    private mutating func hashAhead(_ records: [Observation], at position: Int) {
        guard position >= 0 && position < records.count else { return }
        let base = ringBase(position)
        let identities = records[position].identities
        for offset in 0..<Self.readAheadIdentities {
            var hash: UInt64 = 0
            if offset < identities.count && !isBlocked(identities[offset].value) {
                hash = index.hash(identities[offset])
                index.prefetchSlot(hash)
            }
            readAheadHashes[base + offset] = hash
        }
    }

    /// Second step: prefetches the key records the slots point at.
    private func prefetchKeys(at position: Int, count: Int) {
        guard position >= 0 && position < count else { return }
        let base = ringBase(position)
        for offset in 0..<Self.readAheadIdentities where readAheadHashes[base + offset] != 0 {
            index.prefetchKey(readAheadHashes[base + offset])
        }
    }

    /// Third step: prefetches the node records and times of the nodes the key records name.
    private func prefetchNodes(at position: Int, count: Int) {
        forEachGuess(at: position, count: count) { node in
            nodes.withUnsafeBufferPointer { Prefetch.read($0.baseAddress! + node) }
            times.withUnsafeBufferPointer { Prefetch.read($0.baseAddress! + node) }
        }
    }

    /// Last step: prefetches the parents (usually the roots) and first links of those nodes.
    private func prefetchRoots(at position: Int, count: Int) {
        forEachGuess(at: position, count: count) { node in
            let record = nodes[node]
            nodes.withUnsafeBufferPointer { Prefetch.read($0.baseAddress! + Int(record.parent)) }
            if record.head >= 0 { edges.withUnsafeBufferPointer { Prefetch.read($0.baseAddress! + Int(record.head)) } }
        }
    }

    /// Calls `body` with each node guessed for a record's identities that exists.
    @inline(__always)
    private func forEachGuess(at position: Int, count: Int, _ body: (Int) -> Void) {
        guard position >= 0 && position < count else { return }
        let base = ringBase(position)
        for offset in 0..<Self.readAheadIdentities where readAheadHashes[base + offset] != 0 {
            guard let node = index.guessNode(readAheadHashes[base + offset]), node >= 0, Int(node) < nodes.count
            else { continue }
            body(Int(node))
        }
    }

    @inline(__always)
    private func ringBase(_ position: Int) -> Int {
        (position & (Self.readAheadRecords - 1)) * Self.readAheadIdentities
    }
}
