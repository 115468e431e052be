/// Disjoint sets over dense `Int32` nodes: union by size, path halving.
///
/// The graph keeps its own parents inside its node records; this standalone form is what the
/// benchmark measures the graph against.
///
/// - Complexity: `find` and `union` take amortised O(α(n)), effectively constant.
package struct UnionFind {
    private var parent: [Int32] = []
    private var size: [Int32] = []

    /// Creates an empty set of sets.
    package init() {}

    /// The number of nodes.
    package var count: Int { parent.count }

    /// Adds a node in a set of its own and returns it.
    @discardableResult
    package mutating func add() -> Int32 {
        let node = Int32(parent.count)
        parent.append(node)
        size.append(1)
        return node
    }

    /// Reserves room for `count` nodes.
    package mutating func reserveCapacity(_ count: Int) {
        parent.reserveCapacity(count)
        size.reserveCapacity(count)
    }

    /// The root of `node`'s set, halving the path on the way.
    @inline(__always)
    package mutating func find(_ node: Int32) -> Int32 {
        var node = Int(node)
        parent.withUnsafeMutableBufferPointer { parent in
            while parent[node] != Int32(node) {
                let grandparent = parent[Int(parent[node])]
                parent[node] = grandparent
                node = Int(grandparent)
            }
        }
        return Int32(node)
    }

    /// Joins the sets of two roots; the larger one's root becomes the root of both.
    ///
    /// - Returns: the new root.
    @inline(__always)
    package mutating func union(roots first: Int32, _ second: Int32) -> Int32 {
        guard first != second else { return first }
        let (big, small) = size[Int(first)] >= size[Int(second)] ? (first, second) : (second, first)
        parent[Int(small)] = big
        size[Int(big)] += size[Int(small)]
        return big
    }
}
