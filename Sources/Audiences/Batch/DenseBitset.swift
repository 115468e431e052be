/// A set of snapshot rows as one bit per row of the snapshot: the batch evaluator's working set.
///
/// Evaluation fills and combines sets that span every profile, and many of them hold a large share
/// of the base. For that a plain array of 64-bit words is the better tool on this machine: the
/// Debian build of CRoaring has no SIMD (not even POPCNT), and on two results of about 4 M members
/// out of 10 M, `tessera-bench audiences` measured AND + OR + AND NOT at 0.57 ms here against
/// 1.8 ms for CRoaring; filling a set from a column scan is one store per 64 rows, and `in audience`
/// reads one word per 64 rows. `MembershipBitmap` stays the form for results, because it compresses
/// the sparse sets most audiences are (100 results over 10 M profiles: 67 MB instead of 125 MB).
public struct DenseBitset: Sendable, Hashable {
    /// The bits, row `r` at bit `r % 64` of word `r / 64`; bits past `universe` are always zero.
    public private(set) var words: [UInt64]
    /// The number of rows the set ranges over (`0..<universe`).
    public let universe: Int32

    /// Creates an empty set over `0..<universe`, or the full set when `filled` is true.
    public init(universe: Int32, filled: Bool = false) {
        precondition(universe >= 0, "a universe has 0 or more rows")
        self.universe = universe
        words = [UInt64](repeating: filled ? ~0 : 0, count: Self.wordCount(universe))
        clearTail()
    }

    /// Creates a set from its words; bits past `universe` are cleared.
    public init(universe: Int32, words: [UInt64]) {
        precondition(words.count == Self.wordCount(universe), "one word per 64 rows of the universe")
        self.universe = universe
        self.words = words
        clearTail()
    }

    /// Creates the dense form of a membership bitmap; members at or past `universe` are dropped.
    ///
    /// - Complexity: O(universe / 64 + members).
    public init(_ bitmap: MembershipBitmap, universe: Int32) {
        self.init(universe: universe)
        let page = 65_536
        var offset = 0
        while true {
            let rows = bitmap.members(offset: offset, limit: page)
            for row in rows where row < universe { insert(row) }
            guard rows.count == page else { break }
            offset += page
        }
    }

    /// The number of words needed for `universe` rows.
    public static func wordCount(_ universe: Int32) -> Int { (Int(universe) + 63) / 64 }

    /// Whether `row` is a member.
    public func contains(_ row: Int32) -> Bool {
        guard row >= 0, row < universe else { return false }
        return words[Int(row) >> 6] & (1 << UInt64(row & 63)) != 0
    }

    /// Adds `row`, which must be inside the universe.
    public mutating func insert(_ row: Int32) {
        precondition(row >= 0 && row < universe, "row outside the universe")
        words[Int(row) >> 6] |= 1 << UInt64(row & 63)
    }

    /// The number of members.
    ///
    /// - Complexity: O(universe / 64).
    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Keeps only the rows also in `other`.
    public mutating func formIntersection(_ other: DenseBitset) {
        precondition(universe == other.universe, "sets over different universes")
        combine(other) { $0 & $1 }
    }

    /// Adds the rows of `other`.
    public mutating func formUnion(_ other: DenseBitset) {
        precondition(universe == other.universe, "sets over different universes")
        combine(other) { $0 | $1 }
    }

    /// Removes the rows of `other`.
    public mutating func subtract(_ other: DenseBitset) {
        precondition(universe == other.universe, "sets over different universes")
        combine(other) { $0 & ~$1 }
    }

    /// The rows of the universe that are not members.
    public func complement() -> DenseBitset {
        var result = self
        result.words.withUnsafeMutableBufferPointer { words in
            for index in words.indices { words[index] = ~words[index] }
        }
        result.clearTail()
        return result
    }

    /// The members in increasing order.
    public func members() -> [Int32] {
        var rows: [Int32] = []
        rows.reserveCapacity(count)
        forEachMember { rows.append($0) }
        return rows
    }

    /// Calls `body` with every member in increasing order.
    public func forEachMember(_ body: (Int32) -> Void) {
        for (index, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                body(Int32(index << 6 | bits.trailingZeroBitCount))
                bits &= bits &- 1
            }
        }
    }

    /// The compressed form, for storing and returning results.
    ///
    /// - Complexity: O(universe / 64).
    public func membershipBitmap() -> MembershipBitmap { MembershipBitmap(words: words) }

    private mutating func combine(_ other: DenseBitset, _ operation: (UInt64, UInt64) -> UInt64) {
        other.words.withUnsafeBufferPointer { theirs in
            words.withUnsafeMutableBufferPointer { ours in
                for index in ours.indices { ours[index] = operation(ours[index], theirs[index]) }
            }
        }
    }

    private mutating func clearTail() {
        let used = Int(universe) & 63
        guard used != 0, !words.isEmpty else { return }
        words[words.count - 1] &= (1 << UInt64(used)) - 1
    }
}
