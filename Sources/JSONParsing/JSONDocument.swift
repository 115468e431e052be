internal import CSimdJSON

/// A parsed JSON document: an immutable flat tape of values and the bytes of its strings.
///
/// Reading a document allocates nothing per value: `JSONNode`s are cursors into the tape, and only
/// asking for a `String` builds one. Copies share storage.
public struct JSONDocument: Sendable {
    let storage: DocumentStorage

    /// The document's top-level value.
    public var root: JSONNode { JSONNode(storage: storage, index: 0) }
}

/// The tape and string arena of one document, copied out of the parser.
///
/// Values are in document order; a container's descendants follow it, and its `end` is the index
/// after its last descendant, so siblings are found by hopping from `end` to `end`.
final class DocumentStorage: Sendable {
    let nodes: [tj_node]
    let strings: [UInt8]

    init(nodes: [tj_node], strings: [UInt8]) {
        self.nodes = nodes
        self.strings = strings
    }

    /// Runs `body` with the bytes of `span` in the string arena.
    @inline(__always)
    func withBytes<Result>(of span: tj_span, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        strings.withUnsafeBytes { arena in
            let start = Int(span.offset)
            return body(UnsafeRawBufferPointer(rebasing: arena[start..<start + Int(span.length)]))
        }
    }

    /// The bytes of `span` as a String; the arena holds only UTF-8 that simdjson validated.
    func string(of span: tj_span) -> String {
        withBytes(of: span) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether the bytes of `span` equal `other`.
    @inline(__always)
    func bytes(of span: tj_span, equal other: UnsafeRawBufferPointer) -> Bool {
        guard Int(span.length) == other.count else { return false }
        return withBytes(of: span) { mine in
            for index in 0..<mine.count where mine[index] != other[index] { return false }
            return true
        }
    }
}
