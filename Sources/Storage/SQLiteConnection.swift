internal import CSQLite

/// One connection to an SQLite database: the only owner of an `sqlite3` handle.
///
/// A connection is opened with `SQLITE_OPEN_NOMUTEX`, so it must be used by one thread at a time;
/// it is deliberately not `Sendable`. Statements prepared through ``prepare(_:cached:)`` are cached
/// by their SQL text and reused, which is what keeps the write path free of repeated parsing. The
/// handle is closed when the connection is released; statements still held elsewhere keep the
/// database alive until they are released too (`sqlite3_close_v2`).
public final class SQLiteConnection {
    /// How to open a database file.
    public struct OpenFlags: OptionSet, Sendable {
        public let rawValue: Int32

        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// Open for reading only; writes fail with `SQLITE_READONLY`.
        public static let readOnly = OpenFlags(rawValue: SQLITE_OPEN_READONLY)
        /// Open for reading and writing.
        public static let readWrite = OpenFlags(rawValue: SQLITE_OPEN_READWRITE)
        /// Create the file when it does not exist (with `readWrite`).
        public static let create = OpenFlags(rawValue: SQLITE_OPEN_CREATE)
    }

    /// The path the connection was opened with.
    public let path: String

    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]
    /// Kept alive for SQLite, which holds it unretained (see ``onWALCommit(_:)``).
    private var walCommitHook: WALCommitHook?

    /// Opens (and with `.create`, creates) the database at `path`.
    ///
    /// - Parameters:
    ///   - path: A file path, or `:memory:` for a private in-memory database.
    ///   - flags: Read-only, or read-write with optional creation.
    /// - Throws: ``StorageError`` with SQLite's result code when the file cannot be opened.
    public init(path: String, flags: OpenFlags = [.readWrite, .create]) throws {
        var opened: OpaquePointer?
        let code = sqlite3_open_v2(path, &opened, flags.rawValue | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(opened)
            throw StorageError(code: code, message: message)
        }
        sqlite3_extended_result_codes(opened, 1)
        self.path = path
        self.handle = opened
    }

    deinit {
        statements.removeAll()
        sqlite3_wal_hook(handle, nil, nil)
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements that return no rows of interest (DDL, pragmas, `BEGIN`).
    ///
    /// - Throws: ``StorageError`` from the first statement that fails.
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard code == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(errorMessage)
            throw StorageError(code: sqlite3_extended_errcode(handle), message: message)
        }
    }

    /// A prepared statement for `sql`, reset and with cleared bindings.
    ///
    /// Cached statements are shared: a statement returned earlier for the same text is reset by
    /// this call, unless it is still in the middle of stepping, in which case a fresh one is
    /// prepared. Cache only constant SQL (values go into parameters); pass `cached: false` for text
    /// built at run time.
    ///
    /// - Parameters:
    ///   - sql: One SQL statement with `?` or `?NNN` parameters.
    ///   - cached: Whether to keep the statement for the next call with the same text.
    /// - Throws: ``StorageError`` when SQLite cannot compile the statement.
    /// - Complexity: A dictionary lookup when cached; otherwise parsing and planning the statement.
    public func prepare(_ sql: String, cached: Bool = true) throws -> SQLiteStatement {
        if cached, let statement = statements[sql] {
            if !statement.isBusy {
                statement.reset()
                return statement
            }
            return try compile(sql)
        }
        let statement = try compile(sql)
        if cached {
            statements[sql] = statement
        }
        return statement
    }

    /// The rowid of the most recent successful `INSERT` on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the most recent `INSERT`, `UPDATE` or `DELETE` on this connection.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// Whether no transaction is open; after certain errors SQLite rolls a transaction back by itself.
    public var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    /// Replaces SQLite's automatic checkpoint: after each commit, `decide` gets the number of frames
    /// in the WAL of the database written and says whether to checkpoint it now (`PASSIVE`, on this
    /// connection's thread, inside the commit, as the automatic checkpoint did).
    func onWALCommit(_ decide: @escaping (Int) -> Bool) {
        let hook = WALCommitHook(decide: decide)
        walCommitHook = hook
        sqlite3_wal_hook(handle, walCommitted, Unmanaged.passUnretained(hook).toOpaque())
    }

    private func compile(_ sql: String) throws -> SQLiteStatement {
        var compiled: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &compiled, nil)
        guard code == SQLITE_OK else {
            throw StorageError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
        }
        guard let compiled else {
            throw StorageError(code: SQLITE_MISUSE, message: "the SQL text holds no statement", kind: .invalidArgument)
        }
        return SQLiteStatement(handle: compiled, sql: sql)
    }
}

@available(*, unavailable, message: "A connection is opened without SQLite's mutex: use it on one thread at a time")
extension SQLiteConnection: Sendable {}
