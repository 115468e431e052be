internal import CSimdJSON

/// A cursor to one value in a `JSONDocument`.
///
/// A node is a reference to the document plus a position in its tape, so copying one is cheap and
/// reading scalars allocates nothing. Accessors that do not apply to the value's kind return `nil`
/// (or 0, or false) rather than trapping.
public struct JSONNode: Sendable {
    let storage: DocumentStorage
    let index: Int

    /// This value's entry in the tape.
    @inline(__always)
    var node: tj_node { storage.nodes[index] }

    /// The index after the last node of this value's subtree; the next sibling starts there.
    @inline(__always)
    var end: Int { Int(node.end) }

    /// The kind of the value.
    public var kind: JSONKind { JSONKind(tapeInfo: node.info) }

    /// The value of the member named `key`, or nil when this is not an object or has no such member.
    ///
    /// With duplicate keys, the first member wins.
    ///
    /// - Complexity: O(m) in the number of members.
    public subscript(key: String) -> JSONNode? {
        var key = key
        return key.withUTF8 { member(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// The element at `index`, or nil when this is not an array or the index is out of range.
    ///
    /// - Complexity: O(index): elements are reached by hopping over the subtrees before them.
    public subscript(index: Int) -> JSONNode? {
        let node = node
        guard JSONKind(tapeInfo: node.info) == .array, index >= 0, index < Int(node.payload.container.count) else {
            return nil
        }
        var position = self.index + 1
        for _ in 0..<index { position = Int(storage.nodes[position].end) }
        return JSONNode(storage: storage, index: position)
    }

    /// The value of the member named `key`, as `self[key]` but comparing bytes without a String.
    ///
    /// - Complexity: O(m) in the number of members.
    public func member(_ key: StaticString) -> JSONNode? {
        key.withUTF8Buffer { member(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// The first member whose key has the bytes `key`.
    func member(utf8 key: UnsafeRawBufferPointer) -> JSONNode? {
        let nodes = storage.nodes
        let parent = nodes[index]
        guard JSONKind(tapeInfo: parent.info) == .object else { return nil }
        var position = index + 1
        let end = Int(parent.end)
        while position < end {
            let child = nodes[position]
            if storage.bytes(of: child.key, equal: key) { return JSONNode(storage: storage, index: position) }
            position = Int(child.end)
        }
        return nil
    }

    /// The text of a string value; nil for other kinds.
    public var string: String? {
        let node = node
        guard JSONKind(tapeInfo: node.info) == .string else { return nil }
        return storage.string(of: node.payload.string)
    }

    /// Whether this is a string whose UTF-8 bytes equal `text`; compares without allocating.
    public func stringEquals(_ text: StaticString) -> Bool {
        let node = node
        guard JSONKind(tapeInfo: node.info) == .string else { return false }
        return text.withUTF8Buffer { storage.bytes(of: node.payload.string, equal: UnsafeRawBufferPointer($0)) }
    }

    /// The UTF-8 byte count of a string value; nil for other kinds.
    public var stringByteCount: Int? {
        let node = node
        guard JSONKind(tapeInfo: node.info) == .string else { return nil }
        return Int(node.payload.string.length)
    }

    /// The value as an integer: an `.int`, a `.uint` that fits, or an integral `.double` that fits.
    public var int64: Int64? {
        let node = node
        switch JSONKind(tapeInfo: node.info) {
        case .int: return node.payload.int_value
        case .uint: return Int64(exactly: node.payload.uint_value)
        case .double: return Int64(exactly: node.payload.double_value)
        default: return nil
        }
    }

    /// The value of any number kind as a double (large integers round to the nearest double).
    public var double: Double? {
        let node = node
        switch JSONKind(tapeInfo: node.info) {
        case .int: return Double(node.payload.int_value)
        case .uint: return Double(node.payload.uint_value)
        case .double: return node.payload.double_value
        default: return nil
        }
    }

    /// The value of a `true` or `false`; nil for other kinds.
    public var bool: Bool? {
        let node = node
        guard JSONKind(tapeInfo: node.info) == .bool else { return nil }
        return node.payload.int_value != 0
    }

    /// Whether the value is `null`.
    public var isNull: Bool { JSONKind(tapeInfo: node.info) == .null }

    /// The number of members of an object or elements of an array; 0 for scalars.
    public var count: Int {
        let node = node
        guard isContainer(node) else { return 0 }
        return Int(node.payload.container.count)
    }

    /// How deeply arrays and objects nest in this subtree: 0 for a scalar, 1 for `{}` or `[1]`,
    /// 2 for `{"a":{}}`.
    public var height: Int { Int(node.info >> 8) }

    /// The number of values in this subtree, itself included; a scalar counts 1.
    public var nodeCount: Int { end - index }

    /// The byte length of the longest string value or object key anywhere in this subtree.
    public var longestString: Int {
        let node = node
        switch JSONKind(tapeInfo: node.info) {
        case .string: return Int(node.payload.string.length)
        case .array, .object: return Int(node.payload.container.longest_string)
        default: return 0
        }
    }

    /// The key of this value when its parent is an object.
    var key: String { storage.string(of: node.key) }

    @inline(__always)
    private func isContainer(_ node: tj_node) -> Bool {
        let kind = JSONKind(tapeInfo: node.info)
        return kind == .array || kind == .object
    }
}
