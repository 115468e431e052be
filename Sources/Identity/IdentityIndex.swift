/// Interns identities to dense node numbers, so that the graph works on `Int32`s instead of strings.
///
/// A hand-written open-addressing table rather than a `Dictionary<Identity, Int32>`: each slot packs
/// 32 bits of the identity's hash with its node number into one `UInt64`, so a lookup costs one probe
/// into the slots and one read of the candidate's entry, where a `Dictionary` reads its occupancy
/// bitmap, key and value arrays separately. With millions of identities every one of those reads is a
/// cache miss, and interning dominates the cost of observing a record.
///
/// Nodes are numbered from 0 in the order identities were first interned and are never reused.
package struct IdentityIndex {
    /// One interned identity.
    struct Entry {
        var value: String
        var namespace: Int32
    }

    private var namespaceNumbers: [String: Int32] = [:]
    /// Namespace names by number.
    package private(set) var namespaces: [String] = []
    private(set) var entries: [Entry] = []
    /// `hash << 32 | (node + 1)`, or 0 for an empty slot; the count is a power of two.
    private var slots: [UInt64] = Array(repeating: 0, count: 1024)

    /// Creates an empty index.
    package init() {}

    /// The number of nodes.
    package var count: Int { entries.count }

    /// The node of `identity`, or nil when it was never interned.
    ///
    /// - Complexity: O(1) expected: a hash and about one probe.
    package func node(of identity: Identity) -> Int32? {
        guard let namespace = namespaceNumber(identity.namespace) else { return nil }
        return find(namespace: namespace, value: identity.value, hash: Self.hash(namespace, identity.value)).node
    }

    /// The node of `identity`, created when new.
    ///
    /// - Returns: the node and whether it was created by this call.
    /// - Complexity: amortised O(1) expected.
    package mutating func intern(_ identity: Identity) -> (node: Int32, isNew: Bool) {
        let namespace = internNamespace(identity.namespace)
        let hash = Self.hash(namespace, identity.value)
        let (existing, slot) = find(namespace: namespace, value: identity.value, hash: hash)
        if let existing { return (existing, false) }
        let node = Int32(entries.count)
        entries.append(Entry(value: identity.value, namespace: namespace))
        slots[slot] = UInt64(hash) << 32 | UInt64(UInt32(node) + 1)
        if entries.count * 4 > slots.count * 3 { grow() }
        return (node, true)
    }

    /// The number of a namespace name, created when new.
    package mutating func internNamespace(_ name: String) -> Int32 {
        if let number = namespaceNumber(name) { return number }
        let number = Int32(namespaces.count)
        namespaceNumbers[name] = number
        namespaces.append(name)
        return number
    }

    /// The number of a namespace name; a scan while there are few (comparing short strings is cheaper
    /// than hashing them), the dictionary beyond.
    @inline(__always)
    private func namespaceNumber(_ name: String) -> Int32? {
        guard namespaces.count > 16 else { return namespaces.firstIndex(of: name).map { Int32($0) } }
        return namespaceNumbers[name]
    }

    /// The identity of a node.
    package func identity(_ node: Int32) -> Identity {
        let entry = entries[Int(node)]
        return Identity(namespace: namespaces[Int(entry.namespace)], value: entry.value)
    }

    /// The namespace number of a node.
    package func namespace(of node: Int32) -> Int32 { entries[Int(node)].namespace }

    /// Reserves room for `count` nodes.
    package mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
        while count * 4 > slots.count * 3 { grow() }
    }

    private static func hash(_ namespace: Int32, _ value: String) -> UInt32 {
        var hasher = Hasher()
        hasher.combine(namespace)
        hasher.combine(value)
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// The node holding the identity, or the empty slot where it would go.
    private func find(namespace: Int32, value: String, hash: UInt32) -> (node: Int32?, slot: Int) {
        let mask = slots.count - 1
        var position = Int(hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[position]
                if slot == 0 { return (nil, position) }
                if UInt32(truncatingIfNeeded: slot >> 32) == hash {
                    let node = Int32(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                    let entry = entries[Int(node)]
                    if entry.namespace == namespace && entry.value == value { return (node, position) }
                }
                position = (position + 1) & mask
            }
        }
    }

    /// Doubles the slots and re-places every node by its stored hash bits.
    private mutating func grow() {
        var bigger = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for slot in slots where slot != 0 {
            var position = Int(UInt32(truncatingIfNeeded: slot >> 32)) & mask
            while bigger[position] != 0 { position = (position + 1) & mask }
            bigger[position] = slot
        }
        slots = bigger
    }
}

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
