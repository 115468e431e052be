internal import CSimdJSON
import Glibc
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
        var arena: [UInt8] = []
        var ranges: [Range<Int>] = []
        for (key, _) in overrides {
            ranges.append(arena.count..<arena.count + key.utf8.count)
            arena.append(contentsOf: key.utf8)
        }
        arena.withUnsafeBytes { base in
            let entries = zip(overrides, ranges).map { override, range in
                JSONOverride.Entry(
                    key: UnsafeRawBufferPointer(rebasing: base[range]), value: override.value.map { .value($0) })
            }
            write(to: &writer, entries: entries)
        }
    }

    /// Writes this object with some top-level members replaced, removed or added, as
    /// `write(to:overriding:)` does, for overrides whose keys are literals: the hot path of collection,
    /// where building key and value Strings per record would cost more than the writing itself.
    ///
    /// - Complexity: O(n + m × k) for a subtree of n values with m members and k overrides.
    public func write(to writer: inout JSONWriter, overriding overrides: [JSONOverride]) {
        let entries = overrides.map { override in
            JSONOverride.Entry(
                key: UnsafeRawBufferPointer(start: override.key.utf8Start, count: override.key.utf8CodeUnitCount),
                value: override.value)
        }
        write(to: &writer, entries: entries)
    }

    private func write(to writer: inout JSONWriter, entries: [JSONOverride.Entry]) {
        guard kind == .object else { return write(to: &writer) }
        var latest = entries
        for (position, entry) in entries.enumerated() {
            if let first = latest.firstIndex(where: { $0.key.elementsEqual(entry.key) }), first != position {
                latest[first].value = entry.value
                latest[position].isActive = false
            }
        }

        var written = [Bool](repeating: false, count: latest.count)
        var isFirst = true
        let nodes = storage.nodes
        writer.beginObject()
        var position = index + 1
        while position < end {
            let node = nodes[position]
            let child = JSONNode(storage: storage, index: position)
            position = Int(node.end)
            let match = storage.withBytes(of: node.key) { key in
                latest.firstIndex { entry in
                    entry.isActive && entry.key.count == key.count
                        && (key.count == 0 || memcmp(entry.key.baseAddress!, key.baseAddress!, key.count) == 0)
                }
            }
            if let match {
                guard !written[match] else { continue }
                written[match] = true
                guard let value = latest[match].value else { continue }
                if !isFirst { writer.writeComma() }
                isFirst = false
                writeKey(of: node, to: &writer)
                value.write(to: &writer)
            } else {
                if !isFirst { writer.writeComma() }
                isFirst = false
                writeKey(of: node, to: &writer)
                child.write(to: &writer)
            }
        }
        for (match, entry) in latest.enumerated() where !written[match] && entry.isActive {
            guard let value = entry.value else { continue }
            if !isFirst { writer.writeComma() }
            isFirst = false
            writer.writeString(utf8: entry.key)
            writer.writeByte(UInt8(ascii: ":"))
            value.write(to: &writer)
        }
        writer.endObject()
    }

    /// Writes `"key":` for a member node.
    private func writeKey(of node: tj_node, to writer: inout JSONWriter) {
        storage.withBytes(of: node.key) { writer.writeString(utf8: $0) }
        writer.writeByte(UInt8(ascii: ":"))
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

/// One top-level member to replace, remove or add when writing an object; see
/// `JSONNode.write(to:overriding:)`.
public struct JSONOverride: Sendable {
    /// The new value of a member.
    public enum Value: Sendable {
        case string(String)
        /// A time, written as an ISO-8601 string with milliseconds.
        case timestamp(Timestamp)
        case value(JSONValue)

        func write(to writer: inout JSONWriter) {
            switch self {
            case .string(let text): writer.writeString(text)
            case .timestamp(let time): writer.writeTimestamp(time)
            case .value(let value): writer.write(value)
            }
        }
    }

    public let key: StaticString
    /// The new value, or nil to leave the member out.
    public let value: Value?

    public init(_ key: StaticString, _ value: Value?) {
        self.key = key
        self.value = value
    }

    /// An override with its key as bytes, so that String and literal keys share one writer. The
    /// bytes are a literal's static storage or a buffer the caller keeps alive while writing.
    struct Entry {
        var key: UnsafeRawBufferPointer
        var value: Value?
        var isActive = true
    }
}
