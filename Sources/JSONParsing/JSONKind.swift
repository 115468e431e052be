internal import CSimdJSON

/// The kind of a JSON value as parsed.
///
/// Numbers keep the form simdjson read them in: integers that fit in `Int64` are `.int`, larger
/// positive integers up to `UInt64.max` are `.uint`, and everything else (fractions, exponents,
/// integers beyond 64 bits) is `.double`.
public enum JSONKind: Sendable {
    case null, bool, int, uint, double, string, array, object

    /// The kind stored in the low byte of a tape node's `info`.
    @inline(__always)
    init(tapeInfo info: UInt32) {
        switch info & 0xFF {
        case UInt32(TJ_KIND_NULL): self = .null
        case UInt32(TJ_KIND_BOOL): self = .bool
        case UInt32(TJ_KIND_INT): self = .int
        case UInt32(TJ_KIND_UINT): self = .uint
        case UInt32(TJ_KIND_DOUBLE): self = .double
        case UInt32(TJ_KIND_STRING): self = .string
        case UInt32(TJ_KIND_ARRAY): self = .array
        default: self = .object
        }
    }
}
