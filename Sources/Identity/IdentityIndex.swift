/// Interns identities to dense node numbers, so that the graph works on `Int32`s instead of strings.
///
/// Hand-written rather than a `Dictionary<Identity, Int32>`, because interning is where observing a
/// record spends its cache misses. Each identity is stored once, as a key record in one byte arena:
/// its node number (4 bytes), its namespace number and value length (LEB128, one byte each in
/// practice), then the value's UTF-8 bytes. An open-addressing table of `UInt64` slots packs 24 bits
/// of the identity's hash with the offset of its key record, so a lookup reads one slot and one key
/// record, which holds both what to compare and the node to return. A `Dictionary` would read its
/// bitmap, keys (two `String`s, whose longer values live in heap objects of their own) and values.
///
/// Values are hashed by `KeyHash`, a seeded multiply-mix over 8-byte words, instead of `Hasher`:
/// the standard library hashes a `String` through its Unicode-normalised form, several times slower
/// on the short ASCII identifiers this table holds. Identities are compared byte for byte, as the
/// normaliser already put them in one canonical form.
///
/// Nodes are numbered from 0 in the order identities were first interned and are never reused.
/// A node costs its key record (6 bytes plus the value), 8 bytes for the record's offset, and 11 to
/// 21 bytes of slots.
package struct IdentityIndex {
    private var namespaceNumbers: [String: Int32] = [:]
    /// The namespace interned last, compared first: records often repeat a namespace.
    private var lastNamespace: Int32?
    /// Namespace names by number.
    package private(set) var namespaces: [String] = []
    /// The key records, from offset 1 (a slot holding 0 is empty).
    private var keys: [UInt8] = [0]
    /// The offset of each node's key record.
    private var keyOffsets: [UInt64] = []
    /// `hash >> 40 << 40 | offset`, or 0 for an empty slot; the count is a power of two.
    private var slots: [UInt64] = Array(repeating: 0, count: 1024)
    private let hasher = KeyHash()

    /// Slot bits holding the key record's offset; the rest hold the top of the hash.
    private static let offsetBits: UInt64 = 40
    private static let offsetMask: UInt64 = (1 << offsetBits) - 1

    /// Creates an empty index.
    package init() {}

    /// The number of nodes.
    package var count: Int { keyOffsets.count }

    /// The bytes the index holds (array capacities; namespace names not counted).
    package var bytes: Int { keys.capacity + keyOffsets.capacity * 8 + slots.count * 8 }

    /// The node of `identity`, or nil when it was never interned.
    ///
    /// - Complexity: O(1) expected: a hash and about one probe.
    package func node(of identity: Identity) -> Int32? {
        guard let namespace = namespaceNumber(identity.namespace) else { return nil }
        return Self.withBytes(of: identity.value) { value in
            find(namespace: namespace, value: value, hash: hasher.hash(namespace: namespace, value: value)).node
        }
    }

    /// The node of `identity`, created when new.
    ///
    /// - Returns: the node and whether it was created by this call.
    /// - Complexity: amortised O(1) expected.
    package mutating func intern(_ identity: Identity) -> (node: Int32, isNew: Bool) {
        let namespace = internNamespace(identity.namespace)
        return Self.withBytes(of: identity.value) { value in
            let hash = hasher.hash(namespace: namespace, value: value)
            let (existing, slot) = find(namespace: namespace, value: value, hash: hash)
            if let existing { return (existing, false) }
            return (append(namespace: namespace, value: value, hash: hash, slot: slot), true)
        }
    }

    /// Where an identity is, or would go, in the index: what `probe(_:)` found, for `intern(_:probe:)`.
    package struct Probe {
        fileprivate var namespace: Int32
        fileprivate var hash: UInt64
        /// The identity's node, or nil when it is new.
        package var node: Int32?
        fileprivate var slot: Int
        /// The node count when probed: once nodes were added, the slot may be stale.
        fileprivate var count: Int
    }

    /// Looks an identity up without adding it (its namespace is added when new).
    ///
    /// Probing every identity of a record before interning any lets their cache misses overlap:
    /// the lookups are independent, so the processor runs them side by side.
    ///
    /// - Parameters:
    ///   - identity: the identity to look up.
    ///   - given: its `hash(_:)`, when already computed.
    /// - Complexity: O(1) expected.
    package mutating func probe(_ identity: Identity, hash given: UInt64? = nil) -> Probe {
        let namespace = internNamespace(identity.namespace)
        return Self.withBytes(of: identity.value) { value in
            let hash = given ?? hasher.hash(namespace: namespace, value: value)
            let (node, slot) = find(namespace: namespace, value: value, hash: hash)
            return Probe(namespace: namespace, hash: hash, node: node, slot: slot, count: count)
        }
    }

    /// The hash `probe(_:)` would compute, for reading ahead (the namespace is added when new).
    package mutating func hash(_ identity: Identity) -> UInt64 {
        let namespace = internNamespace(identity.namespace)
        return Self.withBytes(of: identity.value) { hasher.hash(namespace: namespace, value: $0) }
    }

    /// Asks the processor to fetch the slot where a lookup of `hash` starts (first step of reading ahead).
    @inline(__always)
    package func prefetchSlot(_ hash: UInt64) {
        slots.withUnsafeBufferPointer { slots in
            Prefetch.read(slots.baseAddress! + (Int(truncatingIfNeeded: hash) & (slots.count - 1)))
        }
    }

    /// Asks the processor to fetch the key record that the slot of `hash` points at (second step;
    /// the slot should be in cache by now).
    @inline(__always)
    package func prefetchKey(_ hash: UInt64) {
        let slot = slots[Int(truncatingIfNeeded: hash) & (slots.count - 1)]
        guard slot != 0 else { return }
        keys.withUnsafeBytes { Prefetch.read($0.baseAddress! + Int(slot & Self.offsetMask)) }
    }

    /// The node named by the key record that the slot of `hash` points at, unverified (it may be
    /// another identity's), or nil when the slot is empty (third step, for reading node records ahead).
    @inline(__always)
    package func guessNode(_ hash: UInt64) -> Int32? {
        let slot = slots[Int(truncatingIfNeeded: hash) & (slots.count - 1)]
        guard slot != 0 else { return nil }
        return keys.withUnsafeBytes { keys in
            let node = keys.loadUnaligned(fromByteOffset: Int(slot & Self.offsetMask), as: UInt32.self)
            return Int32(bitPattern: UInt32(littleEndian: node))
        }
    }

    /// The node of `identity`, created when new, using what `probe(_:)` found.
    ///
    /// - Parameters:
    ///   - identity: the identity probed.
    ///   - probe: what `probe(identity)` returned, on this index.
    /// - Returns: the node and whether it was created by this call.
    /// - Complexity: amortised O(1); a second lookup only when nodes were added since the probe.
    package mutating func intern(_ identity: Identity, probe: Probe) -> (node: Int32, isNew: Bool) {
        if let node = probe.node { return (node, false) }
        return Self.withBytes(of: identity.value) { value in
            var slot = probe.slot
            if probe.count != count {
                let (existing, empty) = find(namespace: probe.namespace, value: value, hash: probe.hash)
                if let existing { return (existing, false) }
                slot = empty
            }
            return (append(namespace: probe.namespace, value: value, hash: probe.hash, slot: slot), true)
        }
    }

    /// The number of a namespace name, created when new.
    package mutating func internNamespace(_ name: String) -> Int32 {
        if let number = namespaceNumber(name) {
            lastNamespace = number
            return number
        }
        let number = Int32(namespaces.count)
        namespaceNumbers[name] = number
        namespaces.append(name)
        return number
    }

    /// The number of a namespace name; a scan while there are few (comparing short strings is cheaper
    /// than hashing them), the dictionary beyond.
    @inline(__always)
    private func namespaceNumber(_ name: String) -> Int32? {
        if let last = lastNamespace, namespaces[Int(last)] == name { return last }
        guard namespaces.count > 16 else { return namespaces.firstIndex(of: name).map { Int32($0) } }
        return namespaceNumbers[name]
    }

    /// The identity of a node.
    package func identity(_ node: Int32) -> Identity {
        let offset = Int(keyOffsets[Int(node)])
        return keys.withUnsafeBytes { keys in
            let key = KeyRecord(keys, at: offset)
            let value = String(decoding: UnsafeRawBufferPointer(rebasing: keys[key.valueRange]), as: UTF8.self)
            return Identity(namespace: namespaces[Int(key.namespace)], value: value)
        }
    }

    /// The namespace number of a node.
    package func namespace(of node: Int32) -> Int32 {
        keys.withUnsafeBytes { KeyRecord($0, at: Int(keyOffsets[Int(node)])).namespace }
    }

    /// Reserves room for `count` nodes.
    package mutating func reserveCapacity(_ count: Int) {
        keyOffsets.reserveCapacity(count)
        if count * 4 > slots.count * 3 { rehash(minimumCount: count) }
    }

    /// Calls `body` with the UTF-8 bytes of `value`, in place when the string is contiguous.
    @inline(__always)
    private static func withBytes<Result>(of value: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let result = value.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(value.utf8).withUnsafeBytes(body)
    }

    /// The node holding the identity, or the empty slot where it would go.
    @inline(__always)
    private func find(namespace: Int32, value: UnsafeRawBufferPointer, hash: UInt64) -> (node: Int32?, slot: Int) {
        let mask = slots.count - 1
        let tag = hash >> Self.offsetBits
        var position = Int(truncatingIfNeeded: hash) & mask
        return keys.withUnsafeBytes { keys in
            slots.withUnsafeBufferPointer { slots in
                while true {
                    let slot = slots[position]
                    if slot == 0 { return (nil, position) }
                    if slot >> Self.offsetBits == tag {
                        let key = KeyRecord(keys, at: Int(slot & Self.offsetMask))
                        if key.namespace == namespace && key.matches(value, in: keys) { return (key.node, position) }
                    }
                    position = (position + 1) & mask
                }
            }
        }
    }

    /// Writes the key record of a new node and points `slot` at it.
    private mutating func append(namespace: Int32, value: UnsafeRawBufferPointer, hash: UInt64, slot: Int) -> Int32 {
        precondition(keyOffsets.count < Int(Int32.max), "the identity index holds at most 2^31 - 1 identities")
        let node = Int32(keyOffsets.count)
        let offset = UInt64(keys.count)
        precondition(offset + UInt64(value.count) + 16 < Self.offsetMask, "the identity index holds at most 1 TiB")
        withUnsafeBytes(of: UInt32(bitPattern: node).littleEndian) { keys.append(contentsOf: $0) }
        Self.appendVarint(UInt64(UInt32(bitPattern: namespace)), to: &keys)
        Self.appendVarint(UInt64(value.count), to: &keys)
        keys.append(contentsOf: value)
        keyOffsets.append(offset)
        slots[slot] = (hash >> Self.offsetBits) << Self.offsetBits | offset
        if keyOffsets.count * 4 > slots.count * 3 { rehash(minimumCount: keyOffsets.count) }
        return node
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Resizes the slots to the smallest power of two that keeps `minimumCount` nodes under 3/4 full,
    /// and doubles at least once; re-places every node by hashing its key record again, reading the
    /// arena in order.
    private mutating func rehash(minimumCount: Int) {
        var size = slots.count * 2
        while minimumCount * 4 > size * 3 { size *= 2 }
        var bigger = [UInt64](repeating: 0, count: size)
        let mask = size - 1
        keys.withUnsafeBytes { keys in
            bigger.withUnsafeMutableBufferPointer { bigger in
                for offset in keyOffsets {
                    let key = KeyRecord(keys, at: Int(offset))
                    let value = UnsafeRawBufferPointer(rebasing: keys[key.valueRange])
                    let hash = hasher.hash(namespace: key.namespace, value: value)
                    var position = Int(truncatingIfNeeded: hash) & mask
                    while bigger[position] != 0 { position = (position + 1) & mask }
                    bigger[position] = (hash >> Self.offsetBits) << Self.offsetBits | offset
                }
            }
        }
        slots = bigger
    }
}

/// One key record read from the arena: node, namespace and where the value's bytes are.
private struct KeyRecord {
    var node: Int32
    var namespace: Int32
    var valueRange: Range<Int>

    @inline(__always)
    init(_ keys: UnsafeRawBufferPointer, at offset: Int) {
        node = Int32(bitPattern: UInt32(littleEndian: keys.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        var position = offset + 4
        namespace = Int32(truncatingIfNeeded: Self.varint(keys, &position))
        let length = Int(Self.varint(keys, &position))
        valueRange = position..<(position + length)
    }

    @inline(__always)
    private static func varint(_ keys: UnsafeRawBufferPointer, _ position: inout Int) -> UInt64 {
        var byte = keys[position]
        position += 1
        guard byte >= 0x80 else { return UInt64(byte) }
        var value = UInt64(byte & 0x7F)
        var shift: UInt64 = 7
        repeat {
            byte = keys[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            shift += 7
        } while byte >= 0x80
        return value
    }

    /// Whether the record's value is `value`, compared eight bytes at a time.
    @inline(__always)
    func matches(_ value: UnsafeRawBufferPointer, in keys: UnsafeRawBufferPointer) -> Bool {
        let count = value.count
        guard valueRange.count == count else { return false }
        let start = valueRange.lowerBound
        var position = 0
        while position + 8 <= count {
            let stored = keys.loadUnaligned(fromByteOffset: start + position, as: UInt64.self)
            if stored != value.loadUnaligned(fromByteOffset: position, as: UInt64.self) { return false }
            position += 8
        }
        while position < count {
            if keys[start + position] != value[position] { return false }
            position += 1
        }
        return true
    }
}

/// A fast seeded hash of a namespace number and a value's bytes, for `IdentityIndex`.
///
/// Each step multiplies two 64-bit words to 128 bits and folds the halves together, reading the value
/// 16 bytes at a time, so a typical identifier costs two or three multiplications. The secrets come
/// from the system's random generator per index, so that senders cannot precompute values that
/// collide (they never see a hash); it is not a cryptographic hash.
struct KeyHash {
    private let seed: UInt64
    private let first: UInt64
    private let second: UInt64

    init() {
        var generator = SystemRandomNumberGenerator()
        // Odd multipliers with both halves populated keep every bit in play.
        seed = generator.next()
        first = generator.next() | 0x0100_0000_0000_0001
        second = generator.next() | 0x0100_0000_0000_0001
    }

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    @inline(__always)
    func hash(namespace: Int32, value: UnsafeRawBufferPointer) -> UInt64 {
        let count = value.count
        var state = seed ^ UInt64(UInt32(bitPattern: namespace)) &* 0x9E37_79B9_7F4A_7C15
        var position = 0
        while count - position > 16 {
            let low = value.loadUnaligned(fromByteOffset: position, as: UInt64.self)
            let high = value.loadUnaligned(fromByteOffset: position + 8, as: UInt64.self)
            state = Self.fold(low ^ first, high ^ state)
            position += 16
        }
        let remaining = count - position
        var low: UInt64 = 0
        var high: UInt64 = 0
        if remaining >= 8 {
            low = value.loadUnaligned(fromByteOffset: position, as: UInt64.self)
            high = value.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        } else if remaining >= 4 {
            low = UInt64(value.loadUnaligned(fromByteOffset: position, as: UInt32.self))
            high = UInt64(value.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
        } else if remaining > 0 {
            low =
                UInt64(value[position]) << 16 | UInt64(value[position + remaining / 2]) << 8
                | UInt64(value[count - 1])
        }
        state = Self.fold(low ^ first, high ^ state)
        return Self.fold(state ^ second, UInt64(count) ^ first)
    }
}
