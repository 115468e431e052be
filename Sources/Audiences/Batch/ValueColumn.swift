public import TesseraCore

/// One value per profile (or per event), dictionary-encoded: each distinct value is stored once and
/// rows hold its code.
///
/// Code `0` means the value is missing; code `k` names `values[k - 1]`. Evaluation applies a test
/// to each distinct value once, with the shared `ValueTest.matches`, and then reads one table entry
/// per row, so a column scan costs the same whatever the test and always agrees with the
/// per-profile helpers. Attributes, consent-free profile fields and event fields all use it.
public struct ValueColumn: Sendable {
    /// The distinct values, in the order first seen; code `k` names `values[k - 1]`.
    public private(set) var values: [JSONValue]
    /// One code per row; `0` for a missing value.
    public private(set) var codes: [UInt32]
    private var lookup: [JSONValue: UInt32]

    /// Creates an empty column.
    public init() {
        values = []
        codes = []
        lookup = [:]
    }

    /// Creates a column from distinct values and codes, the fast way to fill a snapshot in bulk.
    ///
    /// - Parameters:
    ///   - values: The distinct values; code `k` names `values[k - 1]`.
    ///   - codes: One code per row, each `0...values.count`.
    public init(values: [JSONValue], codes: [UInt32]) {
        precondition(values.count < Int(UInt32.max), "too many distinct values for 32-bit codes")
        precondition(codes.allSatisfy { Int($0) <= values.count }, "a code names no value")
        self.values = values
        self.codes = codes
        lookup = [:]
    }

    /// The number of rows.
    public var count: Int { codes.count }

    /// The value of `row`, or `nil` when it is missing.
    public subscript(row: Int) -> JSONValue? {
        let code = codes[row]
        return code == 0 ? nil : values[Int(code) - 1]
    }

    /// Appends one row's value, reusing the code of an equal value seen before.
    ///
    /// - Complexity: amortised O(1) plus hashing the value.
    public mutating func append(_ value: JSONValue?) {
        codes.append(code(of: value))
    }

    /// Appends `count` missing values.
    mutating func appendMissing(_ count: Int) {
        codes.append(contentsOf: repeatElement(0, count: count))
    }

    /// Appends the rows of another column, re-coding its values into this column's dictionary.
    ///
    /// - Complexity: O(other.values.count + other.count).
    mutating func append(contentsOf other: ValueColumn) {
        if values.isEmpty && codes.isEmpty {
            self = other
            return
        }
        let recoded = [UInt32(0)] + other.values.map { code(of: $0) }
        codes.reserveCapacity(codes.count + other.count)
        for code in other.codes { codes.append(recoded[Int(code)]) }
    }

    /// The code of `value`, adding it to the dictionary when new.
    private mutating func code(of value: JSONValue?) -> UInt32 {
        guard let value else { return 0 }
        if lookup.isEmpty && !values.isEmpty { rebuildLookup() }
        if let code = lookup[value] { return code }
        values.append(value)
        let code = UInt32(values.count)
        lookup[value] = code
        return code
    }

    private mutating func rebuildLookup() {
        for (index, value) in values.enumerated() { lookup[value] = UInt32(index + 1) }
    }

    /// The column without its building dictionary, as a snapshot keeps it.
    func sealed() -> ValueColumn {
        var copy = self
        copy.lookup = [:]
        return copy
    }

    /// Whether `test` holds, per code: entry `0` is the answer for a missing value.
    ///
    /// - Complexity: O(values.count) applications of `ValueTest.matches`.
    func truthTable(for test: ValueTest) -> [Bool] {
        [test.matches(nil)] + values.map { test.matches($0) }
    }

    /// The number each code holds as `AudienceFacts.number(of:)` reads it, NaN where there is none.
    func numberTable() -> [Double] {
        [Double.nan] + values.map { AudienceFacts.number(of: $0) ?? .nan }
    }

    /// The memory the column's codes take, in bytes (the dictionary is not counted).
    var codeBytes: Int { codes.count * MemoryLayout<UInt32>.stride }
}
