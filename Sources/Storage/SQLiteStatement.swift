internal import CSQLite

/// Tells SQLite to copy bound text and blobs, so the Swift buffers need not outlive the call.
private let copyOnBind = unsafeBitCast(-1 as Int, to: sqlite3_destructor_type.self)

/// A compiled SQL statement: the only owner of an `sqlite3_stmt` handle.
///
/// Parameters are numbered from 1 (as in SQLite); result columns from 0. A statement that returned
/// rows keeps its read transaction open until it is reset, so ``run()``, ``query(_:)`` and
/// ``queryFirst(_:)`` reset it when they finish; callers of ``step()`` call ``reset()`` themselves.
public final class SQLiteStatement {
    /// The SQL text the statement was compiled from.
    public let sql: String

    private let handle: OpaquePointer

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding

    /// Binds an integer (or `NULL` for `nil`) to parameter `index`, counted from 1.
    public func bind(_ value: Int64?, at index: Int) throws {
        guard let value else { return try bindNull(at: index) }
        try check(sqlite3_bind_int64(handle, Int32(index), value))
    }

    /// Binds an integer (or `NULL` for `nil`) to parameter `index`, counted from 1.
    public func bind(_ value: Int?, at index: Int) throws {
        try bind(value.map(Int64.init), at: index)
    }

    /// Binds a floating-point number (or `NULL` for `nil`) to parameter `index`, counted from 1.
    public func bind(_ value: Double?, at index: Int) throws {
        guard let value else { return try bindNull(at: index) }
        try check(sqlite3_bind_double(handle, Int32(index), value))
    }

    /// Binds UTF-8 text (or `NULL` for `nil`) to parameter `index`, counted from 1.
    public func bind(_ value: String?, at index: Int) throws {
        guard var text = value else { return try bindNull(at: index) }
        let code = text.withUTF8 { buffer in
            // An empty buffer may have no address, and SQLite reads a null pointer as NULL.
            guard let start = buffer.baseAddress, !buffer.isEmpty else {
                return sqlite3_bind_text(handle, Int32(index), "", 0, copyOnBind)
            }
            return start.withMemoryRebound(to: CChar.self, capacity: buffer.count) { characters in
                sqlite3_bind_text64(
                    handle, Int32(index), characters, UInt64(buffer.count), copyOnBind, UInt8(SQLITE_UTF8))
            }
        }
        try check(code)
    }

    /// Binds bytes as a blob (or `NULL` for `nil`) to parameter `index`, counted from 1.
    public func bind(_ value: [UInt8]?, at index: Int) throws {
        guard let value else { return try bindNull(at: index) }
        let code = value.withUnsafeBytes { buffer in
            guard let start = buffer.baseAddress, !buffer.isEmpty else {
                return sqlite3_bind_zeroblob(handle, Int32(index), 0)
            }
            return sqlite3_bind_blob64(handle, Int32(index), start, UInt64(buffer.count), copyOnBind)
        }
        try check(code)
    }

    /// Binds a boolean as 0 or 1 (or `NULL` for `nil`) to parameter `index`, counted from 1.
    public func bind(_ value: Bool?, at index: Int) throws {
        try bind(value.map { $0 ? Int64(1) : Int64(0) }, at: index)
    }

    /// Binds `NULL` to parameter `index`, counted from 1.
    public func bindNull(at index: Int) throws {
        try check(sqlite3_bind_null(handle, Int32(index)))
    }

    // MARK: Running

    /// Advances to the next row.
    ///
    /// - Returns: `true` when a row is available, `false` when the statement has finished.
    /// - Throws: ``StorageError`` with the extended result code; the statement should then be reset.
    @discardableResult
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw currentError(code)
        }
    }

    /// Runs the statement to completion, ignoring any rows, and resets it.
    public func run() throws {
        defer { reset() }
        while try step() {}
    }

    /// Every row, mapped by `row`; the statement is reset afterwards.
    public func query<T>(_ row: (SQLiteStatement) throws -> T) throws -> [T] {
        defer { reset() }
        var rows: [T] = []
        while try step() {
            rows.append(try row(self))
        }
        return rows
    }

    /// The first row mapped by `row`, or `nil` when there is none; the statement is reset afterwards.
    public func queryFirst<T>(_ row: (SQLiteStatement) throws -> T) throws -> T? {
        defer { reset() }
        return try step() ? row(self) : nil
    }

    /// Rewinds the statement and clears its bindings, ending any read it had open.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Whether the statement has stepped but not yet finished or been reset.
    var isBusy: Bool { sqlite3_stmt_busy(handle) != 0 }

    // MARK: Reading columns

    /// How many columns each row has.
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// Whether column `index` (from 0) of the current row is `NULL`.
    public func isNull(at index: Int) -> Bool {
        sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL
    }

    /// Column `index` (from 0) as an integer; `NULL` reads as 0.
    public func int64(at index: Int) -> Int64 {
        sqlite3_column_int64(handle, Int32(index))
    }

    /// Column `index` (from 0) as an integer, or `nil` for `NULL`.
    public func optionalInt64(at index: Int) -> Int64? {
        isNull(at: index) ? nil : int64(at: index)
    }

    /// Column `index` (from 0) as a floating-point number; `NULL` reads as 0.
    public func double(at index: Int) -> Double {
        sqlite3_column_double(handle, Int32(index))
    }

    /// Column `index` (from 0) as a floating-point number, or `nil` for `NULL`.
    public func optionalDouble(at index: Int) -> Double? {
        isNull(at: index) ? nil : double(at: index)
    }

    /// Column `index` (from 0) as text; `NULL` reads as the empty string.
    public func string(at index: Int) -> String {
        guard let text = sqlite3_column_text(handle, Int32(index)) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// Column `index` (from 0) as text, or `nil` for `NULL`.
    public func optionalString(at index: Int) -> String? {
        isNull(at: index) ? nil : string(at: index)
    }

    /// Column `index` (from 0) as bytes; `NULL` reads as no bytes.
    public func blob(at index: Int) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(handle, Int32(index)) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Column `index` (from 0) as bytes, or `nil` for `NULL`.
    public func optionalBlob(at index: Int) -> [UInt8]? {
        isNull(at: index) ? nil : blob(at: index)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw currentError(code) }
    }

    private func currentError(_ code: Int32) -> StorageError {
        let database = sqlite3_db_handle(handle)
        let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        return StorageError(code: code, message: message)
    }
}

@available(*, unavailable, message: "A statement belongs to one connection, used on one thread at a time")
extension SQLiteStatement: Sendable {}
