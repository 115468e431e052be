/// Writes compact binary records: LEB128 varints (signed ones zig-zag coded), little-endian
/// doubles, and length-prefixed UTF-8 strings.
///
/// Hand-written because the formats it serves (stored engine state) are a few fields each and
/// read on hot paths, where a general serialisation library would add a dependency and a copy.
public struct BinaryWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// Appends an unsigned varint.
    public mutating func unsigned(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Appends a signed varint, zig-zag coded so that small negative numbers stay short.
    public mutating func signed(_ value: Int64) {
        unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends a count or an index.
    public mutating func count(_ value: Int) { unsigned(UInt64(value)) }

    /// Appends a double as its 8 little-endian bytes.
    public mutating func double(_ value: Double) {
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
    }

    /// Appends a string as its UTF-8 length and bytes.
    public mutating func string(_ value: String) {
        count(value.utf8.count)
        bytes.append(contentsOf: value.utf8)
    }
}

/// Reads what `BinaryWriter` wrote, refusing truncated or overlong input.
public struct BinaryReader {
    private let bytes: [UInt8]
    /// Where the next read starts.
    public private(set) var position = 0

    /// The input ran out or held a value too large for its type.
    public struct Malformed: Error, Sendable, Equatable {
        /// How far reading got.
        public var position: Int
    }

    /// Reads `bytes` from the start.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether every byte was read.
    public var isAtEnd: Bool { position == bytes.count }

    /// Reads one byte.
    public mutating func byte() throws(Malformed) -> UInt8 {
        guard position < bytes.count else { throw Malformed(position: position) }
        defer { position += 1 }
        return bytes[position]
    }

    /// Reads an unsigned varint.
    public mutating func unsigned() throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64, shift < 63 || next <= 1 else { throw Malformed(position: position) }
            value |= UInt64(next & 0x7F) << shift
            if next < 0x80 { return value }
            shift += 7
        }
    }

    /// Reads a zig-zag coded signed varint.
    public mutating func signed() throws(Malformed) -> Int64 {
        let raw = try unsigned()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads a count or an index, refusing one larger than the input could hold.
    public mutating func count() throws(Malformed) -> Int {
        let value = try unsigned()
        guard value <= UInt64(bytes.count) else { throw Malformed(position: position) }
        return Int(value)
    }

    /// Reads 8 little-endian bytes as a double.
    public mutating func double() throws(Malformed) -> Double {
        guard position + 8 <= bytes.count else { throw Malformed(position: position) }
        var bits: UInt64 = 0
        for offset in 0..<8 { bits |= UInt64(bytes[position + offset]) << (8 * UInt64(offset)) }
        position += 8
        return Double(bitPattern: bits)
    }

    /// Reads a length-prefixed UTF-8 string.
    public mutating func string() throws(Malformed) -> String {
        let length = try count()
        guard position + length <= bytes.count else { throw Malformed(position: position) }
        defer { position += length }
        return String(decoding: bytes[position..<(position + length)], as: UTF8.self)
    }
}
