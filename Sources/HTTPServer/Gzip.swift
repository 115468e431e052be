import CZlib

/// Gzip compression through zlib, for request bodies and for clients that send them.
///
/// Each call owns one zlib stream, kept on the heap because zlib checks that a stream never moves, and
/// ends it before returning.
public enum Gzip {
    /// Why a body could not be inflated or deflated.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The inflated bytes would exceed the caller's limit (a gzip bomb, or simply too much data).
        case tooLarge
        /// The input is not gzip, is truncated, or fails its checksum.
        case corrupt
        /// zlib could not allocate memory or rejected its parameters; carries zlib's return code.
        case zlib(Int32)

        /// A short explanation without values, fit for logs.
        public var description: String {
            switch self {
            case .tooLarge: return "inflated body exceeds the limit"
            case .corrupt: return "body is not valid gzip"
            case .zlib(let code): return "zlib failed with code \(code)"
            }
        }
    }

    /// Inflates the gzip data `compressed`, refusing to produce more than `limit` bytes.
    ///
    /// Concatenated gzip members are inflated one after another, as RFC 1952 allows. Bytes after the last
    /// member that do not start another member make the input corrupt.
    /// - Parameters:
    ///   - compressed: The gzip bytes.
    ///   - limit: The most bytes the result may hold; inflation stops as soon as it would exceed them.
    /// - Returns: The inflated bytes.
    /// - Throws: `Failure.tooLarge` past `limit`, `Failure.corrupt` for bad input, `Failure.zlib` otherwise.
    /// - Complexity: O(n) in the inflated size; memory never exceeds `limit` plus one 64 KiB window.
    public static func inflate(_ compressed: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        let stream = try ZStream.inflating()
        return try stream.inflate(compressed, limit: limit)
    }

    /// Compresses `bytes` into a single gzip member.
    ///
    /// - Parameters:
    ///   - bytes: The data to compress.
    ///   - level: zlib's compression level, 0 (store) to 9 (smallest); 6 is zlib's default balance.
    /// - Returns: The gzip bytes.
    /// - Throws: `Failure.zlib` when zlib cannot allocate its state or rejects `level`.
    public static func deflate(_ bytes: [UInt8], level: Int = 6) throws(Failure) -> [UInt8] {
        let stream = try ZStream.deflating(level: Int32(clamping: level))
        return try stream.deflate(bytes)
    }
}

/// The one owner of a zlib `z_stream`: initialises it, runs it, and ends it in `deinit`.
private final class ZStream {
    /// Window bits 15 plus 16 selects the gzip wrapper in both directions.
    private static let gzipWindowBits: Int32 = 15 + 16
    private static let chunkSize = 64 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private let isInflating: Bool

    private init(stream: UnsafeMutablePointer<z_stream>, isInflating: Bool) {
        self.stream = stream
        self.isInflating = isInflating
    }

    /// A stream ready to inflate gzip.
    static func inflating() throws(Gzip.Failure) -> ZStream {
        let stream = try initialized {
            inflateInit2_($0, gzipWindowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        }
        return ZStream(stream: stream, isInflating: true)
    }

    /// A stream ready to deflate into gzip at compression `level`.
    static func deflating(level: Int32) throws(Gzip.Failure) -> ZStream {
        let stream = try initialized {
            deflateInit2_(
                $0, level, Z_DEFLATED, gzipWindowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                Int32(MemoryLayout<z_stream>.size))
        }
        return ZStream(stream: stream, isInflating: false)
    }

    /// A heap `z_stream` set up by `initialize`, or freed again when zlib refuses.
    private static func initialized(
        _ initialize: (UnsafeMutablePointer<z_stream>) -> Int32
    ) throws(Gzip.Failure) -> UnsafeMutablePointer<z_stream> {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = initialize(stream)
        guard code == Z_OK else {
            stream.deallocate()
            throw .zlib(code)
        }
        return stream
    }

    deinit {
        if isInflating { inflateEnd(stream) } else { deflateEnd(stream) }
        stream.deallocate()
    }

    func inflate(_ input: [UInt8], limit: Int) throws(Gzip.Failure) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 4, 1024)))
        let result: Result<Void, Gzip.Failure> = input.withUnsafeBufferPointer { source in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.pointee.avail_in = uInt(source.count)
            return inflateMembers(into: &output, limit: limit)
        }
        try result.get()
        return output
    }

    func deflate(_ input: [UInt8]) throws(Gzip.Failure) -> [UInt8] {
        let bound = Int(deflateBound(stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let code: Int32 = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.pointee.avail_in = uInt(source.count)
                stream.pointee.next_out = target.baseAddress
                stream.pointee.avail_out = uInt(target.count)
                return CZlib.deflate(stream, Z_FINISH)
            }
        }
        guard code == Z_STREAM_END else { throw .zlib(code) }
        output.removeLast(Int(stream.pointee.avail_out))
        return output
    }

    /// Inflates members until the input is used up; the input must already be set on the stream.
    private func inflateMembers(into output: inout [UInt8], limit: Int) -> Result<Void, Gzip.Failure> {
        var window = [UInt8](repeating: 0, count: Self.chunkSize)
        while true {
            let code = window.withUnsafeMutableBufferPointer { chunk in
                stream.pointee.next_out = chunk.baseAddress
                stream.pointee.avail_out = uInt(chunk.count)
                return CZlib.inflate(stream, Z_NO_FLUSH)
            }
            let produced = Self.chunkSize - Int(stream.pointee.avail_out)
            guard output.count + produced <= limit else { return .failure(.tooLarge) }
            output.append(contentsOf: window[0..<produced])

            switch code {
            case Z_OK:
                continue
            case Z_STREAM_END:
                guard stream.pointee.avail_in > 0 else { return .success(()) }
                guard startsAnotherMember() else { return .failure(.corrupt) }
                inflateReset(stream)
            case Z_DATA_ERROR, Z_NEED_DICT, Z_BUF_ERROR:
                // With a fresh output window, a buffer error means the input ended inside a member.
                return .failure(.corrupt)
            default:
                return .failure(.zlib(code))
            }
        }
    }

    /// Whether the unread input begins with the gzip magic bytes `1f 8b`.
    private func startsAnotherMember() -> Bool {
        guard stream.pointee.avail_in >= 2, let next = stream.pointee.next_in else { return false }
        return next[0] == 0x1f && next[1] == 0x8b
    }
}
