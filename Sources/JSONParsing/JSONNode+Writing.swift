internal import CSimdJSON
public import TesseraCore

extension JSONNode {
    /// Writes the subtree as compact JSON: original member order, duplicate keys kept.
    ///
    /// Strings are escaped as `JSONWriter` does (quotes, backslashes and control characters).
    /// Doubles keep a fraction or an exponent (`1.0`, `1e+20`) so that reading the output back gives
    /// the same kinds of numbers.
    ///
    /// - Complexity: O(n) in the size of the subtree; the walk keeps its open containers in a
    ///   buffer as deep as the subtree, not on the call stack.
    public func write(to writer: inout JSONWriter) {
        let nodes = storage.nodes
        let stop = end
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(height, 1)) { open in
            var depth = 0
            for position in index..<stop {
                while depth > 0, Int(nodes[open[depth - 1]].end) == position {
                    closeContainer(nodes[open[depth - 1]], in: &writer)
                    depth -= 1
                }
                let node = nodes[position]
                if depth > 0 {
                    let parent = open[depth - 1]
                    if position != parent + 1 { writer.writeComma() }
                    if JSONKind(tapeInfo: nodes[parent].info) == .object { writeKey(of: node, to: &writer) }
                }
                if writeOpening(node, to: &writer), Int(node.end) > position + 1 {
                    open[depth] = position
                    depth += 1
                } else {
                    closeContainer(node, in: &writer)
                }
            }
            while depth > 0 {
                closeContainer(nodes[open[depth - 1]], in: &writer)
                depth -= 1
            }
        }
    }

    /// Writes this object with some top-level members replaced, removed or added.
    ///
    /// A member whose key is in `overrides` is written once, where its first occurrence was, with the
    /// override's value, or left out when that value is nil. Overrides for keys the object lacks are
    /// appended in the order given, nil ones skipped. When a key appears more than once in
    /// `overrides`, its last value is used. A node that is not an object is written unchanged.
    ///
    /// - Parameters:
    ///   - writer: the writer to append to.
    ///   - overrides: keys with their new values, or nil to remove the member.
    /// - Complexity: O(n + m × k) for a subtree of n values with m members and k overrides.
    public func write(to writer: inout JSONWriter, overriding overrides: [(key: String, value: JSONValue?)]) {
        guard kind == .object else { return write(to: &writer) }

        var keys: [[UInt8]] = []
        var values: [JSONValue?] = []
        for (key, value) in overrides {
            let bytes = Array(key.utf8)
            if let existing = keys.firstIndex(of: bytes) {
                values[existing] = value
            } else {
                keys.append(bytes)
                values.append(value)
            }
        }

        var written = [Bool](repeating: false, count: keys.count)
        var isFirst = true
        writer.beginObject()
        for child in members.indices.lazy.map({ JSONNode(storage: storage, index: $0.position) }) {
            let key = child.node.key
            let match = keys.firstIndex { bytes in bytes.withUnsafeBytes { storage.bytes(of: key, equal: $0) } }
            guard let match else {
                if !isFirst { writer.writeComma() }
                isFirst = false
                writeKey(of: child.node, to: &writer)
                child.write(to: &writer)
                continue
            }
            guard !written[match] else { continue }
            written[match] = true
            guard let value = values[match] else { continue }
            if !isFirst { writer.writeComma() }
            isFirst = false
            writeKey(of: child.node, to: &writer)
            writer.write(value)
        }
        for (match, bytes) in keys.enumerated() where !written[match] {
            guard let value = values[match] else { continue }
            if !isFirst { writer.writeComma() }
            isFirst = false
            bytes.withUnsafeBytes { writer.writeString(utf8: $0) }
            writer.writeRaw(CollectionOfOne(UInt8(ascii: ":")))
            writer.write(value)
        }
        writer.endObject()
    }

    /// Writes `"key":` for a member node.
    private func writeKey(of node: tj_node, to writer: inout JSONWriter) {
        storage.withBytes(of: node.key) { writer.writeString(utf8: $0) }
        writer.writeRaw(CollectionOfOne(UInt8(ascii: ":")))
    }

    /// Writes a scalar, or the opening bracket of a container; returns whether it was a container.
    private func writeOpening(_ node: tj_node, to writer: inout JSONWriter) -> Bool {
        switch JSONKind(tapeInfo: node.info) {
        case .null: writer.writeNull()
        case .bool: writer.writeBool(node.payload.int_value != 0)
        case .int: writer.writeInt(node.payload.int_value)
        case .uint: writer.writeUInt(node.payload.uint_value)
        case .double: writer.writeRaw(JSONNode.text(of: node.payload.double_value).utf8)
        case .string: storage.withBytes(of: node.payload.string) { writer.writeString(utf8: $0) }
        case .array:
            writer.beginArray()
            return true
        case .object:
            writer.beginObject()
            return true
        }
        return false
    }

    /// Writes the closing bracket of a container; does nothing for a scalar.
    private func closeContainer(_ node: tj_node, in writer: inout JSONWriter) {
        switch JSONKind(tapeInfo: node.info) {
        case .array: writer.endArray()
        case .object: writer.endObject()
        default: break
        }
    }

    /// A double as JSON that reads back as a double: Swift's shortest round-trip form, which always
    /// has a fraction or an exponent (`1.0`, `0.1`, `1e-05`, `1e+20`). Parsed doubles are finite.
    static func text(of number: Double) -> String {
        number.isFinite ? number.description : "null"
    }
}
