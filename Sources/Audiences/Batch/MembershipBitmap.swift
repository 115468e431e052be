internal import CRoaring

/// The members of an audience as a compressed set of snapshot rows (a CRoaring bitmap).
///
/// This is the one type that touches CRoaring's pointers: it owns its `roaring_bitmap_t`, frees it
/// when the last copy goes away, and copies it before a change when the storage is shared, so it
/// behaves as a value. Rows are `Int32` positions in an `AudienceSnapshot`; negative rows are refused.
///
/// Roaring compresses sparse sets and long runs well, which matters for storing memberships. For
/// combining whole columns during evaluation the batch evaluator uses `DenseBitset`, which measures
/// as fast or faster on this machine (Debian's CRoaring is built without SIMD; see `DenseBitset`).
public struct MembershipBitmap: Sendable {
    private var storage: Storage

    /// Creates an empty set.
    public init() {
        storage = Storage(Storage.allocate())
    }

    /// Creates the set of the given rows, in any order.
    ///
    /// - Complexity: O(n log n) when unsorted, about O(n) when sorted.
    public init(_ rows: some Sequence<Int32>) {
        self.init()
        var batch: [UInt32] = []
        batch.reserveCapacity(4096)
        for row in rows {
            batch.append(Self.index(row))
            if batch.count == 4096 {
                storage.addMany(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        storage.addMany(batch)
    }

    /// Creates the set of every row in `rows`.
    public init(range rows: Range<Int32>) {
        self.init()
        guard !rows.isEmpty else { return }
        roaring_bitmap_add_range_closed(storage.pointer, Self.index(rows.lowerBound), UInt32(rows.upperBound - 1))
    }

    /// Reads a set written by `serialized()` (the portable Roaring format, readable by Java, Go and C).
    ///
    /// - Throws: `MembershipBitmapError` when the bytes are not a complete portable bitmap.
    public init(serialized bytes: [UInt8]) throws(MembershipBitmapError) {
        let pointer = bytes.withUnsafeBufferPointer { buffer -> UnsafeMutablePointer<roaring_bitmap_t>? in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return nil }
            let start = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
            guard roaring_bitmap_portable_deserialize_size(start, buffer.count) == buffer.count else { return nil }
            return roaring_bitmap_portable_deserialize_safe(start, buffer.count)
        }
        guard let pointer else { throw MembershipBitmapError(.malformedSerialization) }
        storage = Storage(pointer)
    }

    /// Creates the set of the rows whose bits are set in `words` (row `r` at bit `r % 64` of word `r / 64`).
    ///
    /// CRoaring 0.2.66 has no constructor from a plain bitset, and adding the rows one by one costs
    /// about 15 ns each on this machine. So this writes the words straight into the portable format
    /// (a bitset container for each 65,536 rows holding more than 4,096 members, a sorted array of
    /// 16-bit rows otherwise) and lets CRoaring read it, which runs at about memory speed; then runs
    /// of consecutive rows are compressed.
    ///
    /// - Complexity: O(words.count).
    public init(words: [UInt64]) {
        let bytes = Self.portableBytes(words)
        let pointer = bytes.withUnsafeBufferPointer { buffer in
            UnsafeRawPointer(buffer.baseAddress!).withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                roaring_bitmap_portable_deserialize_safe($0, buffer.count)
            }
        }
        guard let pointer else { fatalError("CRoaring refused a bitmap written in its portable format") }
        storage = Storage(pointer)
        _ = roaring_bitmap_run_optimize(pointer)
        _ = roaring_bitmap_shrink_to_fit(pointer)
    }

    /// The portable serialization (no run containers) of the set whose bits are `words`.
    private static func portableBytes(_ words: [UInt64]) -> [UInt8] {
        let wordsPerContainer = 1_024
        var containers: [(key: Int, cardinality: Int)] = []
        for key in 0..<(words.count + wordsPerContainer - 1) / wordsPerContainer {
            let slice = words[key * wordsPerContainer..<min(words.count, (key + 1) * wordsPerContainer)]
            let cardinality = slice.reduce(0) { $0 + $1.nonzeroBitCount }
            if cardinality > 0 { containers.append((key, cardinality)) }
        }
        var bytes: [UInt8] = []
        let payload = containers.reduce(0) { $0 + ($1.cardinality > 4_096 ? 8_192 : 2 * $1.cardinality) }
        bytes.reserveCapacity(8 + 8 * containers.count + payload)
        append(UInt32(12_346), to: &bytes)
        append(UInt32(containers.count), to: &bytes)
        for container in containers {
            append(UInt16(container.key), to: &bytes)
            append(UInt16(container.cardinality - 1), to: &bytes)
        }
        var offset = 8 + 8 * containers.count
        for container in containers {
            append(UInt32(offset), to: &bytes)
            offset += container.cardinality > 4_096 ? 8_192 : 2 * container.cardinality
        }
        for container in containers {
            let first = container.key * wordsPerContainer
            let slice = words[first..<min(words.count, first + wordsPerContainer)]
            if container.cardinality > 4_096 {
                for word in slice { append(word, to: &bytes) }
                for _ in slice.count..<wordsPerContainer { append(UInt64(0), to: &bytes) }
                continue
            }
            for (index, word) in zip(slice.indices, slice) where word != 0 {
                var bits = word
                while bits != 0 {
                    append(UInt16((index - first) << 6 | bits.trailingZeroBitCount), to: &bytes)
                    bits &= bits &- 1
                }
            }
        }
        return bytes
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private init(taking pointer: UnsafeMutablePointer<roaring_bitmap_t>?) {
        guard let pointer else { fatalError("CRoaring could not allocate a bitmap (out of memory)") }
        storage = Storage(pointer)
    }

    /// The number of members.
    ///
    /// - Complexity: O(number of containers), about one per 65,536 rows.
    public var count: Int { Int(roaring_bitmap_get_cardinality(storage.pointer)) }

    /// Whether the set has no members.
    public var isEmpty: Bool { roaring_bitmap_is_empty(storage.pointer) }

    /// Whether `row` is a member.
    public func contains(_ row: Int32) -> Bool {
        row >= 0 && roaring_bitmap_contains(storage.pointer, UInt32(row))
    }

    /// Adds `row`; returns whether it was not a member before.
    @discardableResult
    public mutating func insert(_ row: Int32) -> Bool {
        makeUnique()
        return roaring_bitmap_add_checked(storage.pointer, Self.index(row))
    }

    /// Adds many rows at once, faster than one `insert` each when they come sorted.
    public mutating func insert(contentsOf rows: [Int32]) {
        makeUnique()
        storage.addMany(rows.map(Self.index))
    }

    /// Removes `row`; returns whether it was a member.
    @discardableResult
    public mutating func remove(_ row: Int32) -> Bool {
        guard row >= 0 else { return false }
        makeUnique()
        return roaring_bitmap_remove_checked(storage.pointer, UInt32(row))
    }

    /// The rows in both sets.
    public func intersection(_ other: MembershipBitmap) -> MembershipBitmap {
        MembershipBitmap(taking: roaring_bitmap_and(storage.pointer, other.storage.pointer))
    }

    /// The rows in either set.
    public func union(_ other: MembershipBitmap) -> MembershipBitmap {
        MembershipBitmap(taking: roaring_bitmap_or(storage.pointer, other.storage.pointer))
    }

    /// The rows in this set and not in `other`.
    public func subtracting(_ other: MembershipBitmap) -> MembershipBitmap {
        MembershipBitmap(taking: roaring_bitmap_andnot(storage.pointer, other.storage.pointer))
    }

    /// The rows of `0..<universe` that are not members; members at or past `universe` are dropped.
    public func complement(within universe: Int32) -> MembershipBitmap {
        precondition(universe >= 0, "a universe has 0 or more rows")
        let result = MembershipBitmap(taking: roaring_bitmap_flip(storage.pointer, 0, UInt64(universe)))
        roaring_bitmap_remove_range_closed(result.storage.pointer, UInt32(universe), UInt32.max)
        return result
    }

    /// Whether both sets have the same members.
    public static func == (lhs: MembershipBitmap, rhs: MembershipBitmap) -> Bool {
        roaring_bitmap_equals(lhs.storage.pointer, rhs.storage.pointer)
    }

    /// Up to `limit` members in increasing order, skipping the first `offset`: one page of a listing.
    ///
    /// - Complexity: O(offset / 65,536 + limit).
    public func members(offset: Int = 0, limit: Int = Int.max) -> [Int32] {
        precondition(offset >= 0 && limit >= 0, "offset and limit are 0 or more")
        let available = max(0, count - offset)
        let size = min(limit, available)
        guard size > 0 else { return [] }
        let values = [UInt32](unsafeUninitializedCapacity: size) { buffer, initialized in
            let filled = roaring_bitmap_range_uint32_array(storage.pointer, offset, size, buffer.baseAddress)
            precondition(filled, "CRoaring could not allocate while listing members (out of memory)")
            initialized = size
        }
        return values.map { Int32(bitPattern: $0) }
    }

    /// The set in the portable Roaring format, for storing and for other Roaring implementations.
    public func serialized() -> [UInt8] {
        let size = roaring_bitmap_portable_size_in_bytes(storage.pointer)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            let start = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            initialized = roaring_bitmap_portable_serialize(storage.pointer, start)
        }
    }

    /// Converts runs of consecutive rows to run containers and frees spare capacity.
    ///
    /// Worth calling once on a set that will be kept (stored or cached), not on temporaries.
    public mutating func optimize() {
        makeUnique()
        _ = roaring_bitmap_run_optimize(storage.pointer)
        _ = roaring_bitmap_shrink_to_fit(storage.pointer)
    }

    /// The size of the portable serialization in bytes, close to what the set takes in memory.
    public var sizeInBytes: Int { roaring_bitmap_portable_size_in_bytes(storage.pointer) }

    private mutating func makeUnique() {
        guard !isKnownUniquelyReferenced(&storage) else { return }
        guard let copy = roaring_bitmap_copy(storage.pointer) else {
            fatalError("CRoaring could not copy a bitmap (out of memory)")
        }
        storage = Storage(copy)
    }

    private static func index(_ row: Int32) -> UInt32 {
        precondition(row >= 0, "snapshot rows are 0 or more")
        return UInt32(row)
    }
}

extension MembershipBitmap: Equatable {}

extension MembershipBitmap: CustomStringConvertible {
    /// The member count only; members are profile rows and are never printed.
    public var description: String { "MembershipBitmap(\(count) members)" }
}

extension MembershipBitmap {
    /// Owns one CRoaring bitmap and frees it.
    ///
    /// `@unchecked Sendable`: the pointer is never shared outside this class; `MembershipBitmap`
    /// changes it only after `isKnownUniquelyReferenced` proved no other copy (and so no other
    /// thread) can see it, and CRoaring's read functions do not modify a bitmap (copy-on-write,
    /// the one mode that would, is never switched on).
    fileprivate final class Storage: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<roaring_bitmap_t>

        init(_ pointer: UnsafeMutablePointer<roaring_bitmap_t>) {
            self.pointer = pointer
        }

        deinit {
            roaring_bitmap_free(pointer)
        }

        static func allocate() -> UnsafeMutablePointer<roaring_bitmap_t> {
            guard let pointer = roaring_bitmap_create() else {
                fatalError("CRoaring could not allocate a bitmap (out of memory)")
            }
            return pointer
        }

        func addMany(_ values: [UInt32]) {
            guard !values.isEmpty else { return }
            values.withUnsafeBufferPointer { roaring_bitmap_add_many(pointer, $0.count, $0.baseAddress) }
        }
    }
}

/// Why a membership bitmap could not be read.
public struct MembershipBitmapError: Error, Hashable, CustomStringConvertible {
    enum Code: Hashable {
        case malformedSerialization
    }

    let code: Code

    init(_ code: Code) {
        self.code = code
    }

    /// The bytes are not one complete bitmap in the portable Roaring format.
    public static let malformedSerialization = MembershipBitmapError(.malformedSerialization)

    /// A short description without values, fit for a metric label.
    public var description: String {
        switch code {
        case .malformedSerialization: return "malformed serialized membership bitmap"
        }
    }
}
