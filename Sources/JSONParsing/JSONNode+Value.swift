internal import CSimdJSON
public import TesseraCore

extension JSONNode {
    /// The subtree as a `JSONValue`.
    ///
    /// Integers become `.int` when they fit in `Int64`, else `.double`. With duplicate object keys the
    /// first member wins, as with `self[key]`.
    ///
    /// - Complexity: O(n) in the size of the subtree, plus building every String and collection; the
    ///   walk keeps its open containers on the heap, not on the call stack.
    public var value: JSONValue {
        var open: [OpenContainer] = []
        var position = index
        while true {
            let node = storage.nodes[position]
            var finished: JSONValue
            var finishedPosition = position
            switch JSONKind(tapeInfo: node.info) {
            case .array where Int(node.end) > position + 1, .object where Int(node.end) > position + 1:
                open.append(OpenContainer(position: position, isObject: JSONKind(tapeInfo: node.info) == .object))
                position += 1
                continue
            default:
                finished = scalarValue(of: node)
            }

            while let last = open.indices.last {
                open[last].adopt(finished, key: storage.nodes[finishedPosition].key, from: storage)
                let parentEnd = Int(storage.nodes[open[last].position].end)
                position = Int(storage.nodes[finishedPosition].end)
                guard position == parentEnd else { break }
                let parent = open.removeLast()
                finished = parent.value
                finishedPosition = parent.position
            }
            if open.isEmpty { return finished }
        }
    }

    /// The value of a scalar or an empty container.
    private func scalarValue(of node: tj_node) -> JSONValue {
        switch JSONKind(tapeInfo: node.info) {
        case .null: return .null
        case .bool: return .bool(node.payload.int_value != 0)
        case .int: return .int(node.payload.int_value)
        case .uint:
            let number = node.payload.uint_value
            return Int64(exactly: number).map { .int($0) } ?? .double(Double(number))
        case .double: return .double(node.payload.double_value)
        case .string: return .string(storage.string(of: node.payload.string))
        case .array: return .array([])
        case .object: return .object([:])
        }
    }
}

/// An array or object whose children are being converted to `JSONValue`.
private struct OpenContainer {
    let position: Int
    let isObject: Bool
    var elements: [JSONValue] = []
    var members: [String: JSONValue] = [:]

    init(position: Int, isObject: Bool) {
        self.position = position
        self.isObject = isObject
    }

    var value: JSONValue { isObject ? .object(members) : .array(elements) }

    /// Adds a converted child; for objects a key already present keeps its first value.
    mutating func adopt(_ child: JSONValue, key: tj_span, from storage: DocumentStorage) {
        if isObject {
            let name = storage.string(of: key)
            if members[name] == nil { members[name] = child }
        } else {
            elements.append(child)
        }
    }
}

/// Parsers for `JSONValue(parsing:)`, shared by every caller in the process.
private let sharedParsers = JSONParserPool()

extension JSONValue {
    /// Parses bytes into a `JSONValue` tree.
    ///
    /// A convenience for configuration and admin bodies; hot paths read a `JSONDocument` instead.
    ///
    /// - Throws: `JSONParseError` when the bytes are not one valid JSON value in UTF-8.
    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        let result = sharedParsers.withParser { parser in
            Result { () throws(JSONParseError) in try parser.parse(bytes).root.value }
        }
        self = try result.get()
    }
}
