internal import CSimdJSON

/// Parses bytes into `JSONDocument`s with simdjson, reusing its buffers from one parse to the next.
///
/// The parser owns a simdjson DOM parser and the flat tape the shim builds from it; each parse copies
/// the tape and its strings into the returned document, so documents outlive the next parse and the
/// parser itself. A parser is not thread-safe: keep one per thread, or borrow one from a
/// `JSONParserPool`.
///
/// Buffers grow to fit the largest document parsed so far and are kept for reuse: after a 490 KB
/// batch a parser held about ten times that in resident memory (simdjson's buffers plus the tape).
public final class JSONParser {
    /// The deepest nesting of arrays and objects accepted; deeper input fails with `.tooDeep`.
    public let maxDepth: Int

    private let handle: OpaquePointer

    /// Creates a parser.
    ///
    /// - Parameter maxDepth: the deepest nesting of arrays and objects accepted, from 1 to 1,048,576.
    ///   A scalar document has depth 0, `[]` depth 1 and `{"a":[]}` depth 2.
    public init(maxDepth: Int = 1024) {
        precondition((1...1 << 20).contains(maxDepth), "maxDepth must be between 1 and 1,048,576")
        guard let handle = tj_parser_create(maxDepth) else { fatalError("out of memory creating a JSON parser") }
        self.handle = handle
        self.maxDepth = maxDepth
    }

    deinit {
        tj_parser_destroy(handle)
    }

    /// Parses one JSON document.
    ///
    /// Integers beyond the 64-bit range are read as doubles. Duplicate object keys are kept; lookups
    /// find the first.
    ///
    /// - Parameter bytes: the document's UTF-8 bytes; they are copied, so they need no padding.
    /// - Returns: the document, holding its own copy of the parsed values.
    /// - Throws: `JSONParseError` when the bytes are not one valid JSON value in UTF-8.
    /// - Complexity: O(n) in the byte count.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONDocument {
        let start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let status = tj_parse(handle, start, bytes.count)
        guard status == TJ_OK else { throw JSONParseError(status: status) }

        let parsed = tj_parser_document(handle)
        let nodes = Array(UnsafeBufferPointer(start: parsed.nodes, count: parsed.node_count))
        let strings = Array(UnsafeBufferPointer(start: parsed.strings, count: parsed.string_length))
        return JSONDocument(storage: DocumentStorage(nodes: nodes, strings: strings))
    }

    /// Parses one JSON document held in an array.
    ///
    /// - Throws: `JSONParseError` when the bytes are not one valid JSON value in UTF-8.
    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONDocument {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) in try parse(raw) }
        }
        return try result.get()
    }
}

extension JSONParseError {
    /// The error for a failed status of the shim.
    init(status: tj_status) {
        switch status {
        case TJ_EMPTY: self.init(code: .empty, message: "empty input")
        case TJ_INVALID_UTF8: self.init(code: .invalidUTF8, message: "invalid UTF-8")
        case TJ_TOO_DEEP: self.init(code: .tooDeep, message: "nesting too deep")
        case TJ_TOO_LARGE: self.init(code: .tooLarge, message: "input too large")
        case TJ_OUT_OF_MEMORY: self.init(code: .tooLarge, message: "out of memory")
        case TJ_BAD_STRUCTURE: self.init(code: .invalidJSON, message: "unexpected character")
        case TJ_BAD_STRING: self.init(code: .invalidJSON, message: "invalid escape in string")
        case TJ_UNESCAPED_CONTROL: self.init(code: .invalidJSON, message: "unescaped control character in string")
        case TJ_UNCLOSED_STRING: self.init(code: .invalidJSON, message: "unterminated string")
        case TJ_BAD_LITERAL: self.init(code: .invalidJSON, message: "invalid literal")
        case TJ_BAD_NUMBER: self.init(code: .invalidJSON, message: "invalid number")
        default: self.init(code: .invalidJSON, message: "internal parser error")
        }
    }
}
