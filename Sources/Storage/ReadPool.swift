import Foundation

/// Read-only connections to the store's files, lent out one borrower at a time.
///
/// In WAL mode readers see the last committed state and never wait for the writer. Up to
/// `capacity` idle connections are kept; when all are lent out another is opened rather than
/// making the borrower wait, so that nested reads cannot deadlock, and it is closed on return if
/// the pool is already full.
///
/// `@unchecked Sendable`: `idle` and `isClosed` are touched only while `lock` is held, and a
/// connection belongs either to `idle` or to exactly one borrower, never both.
final class ReadPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [SQLiteConnection] = []
    private var isClosed = false
    private let path: String
    /// The audit database, attached to each connection.
    private let auditPath: String
    private let capacity: Int
    private let busyTimeout: Duration
    /// Bytes of the file each connection maps (`PRAGMA mmap_size`).
    private let mappedBytes: Int

    init(path: String, auditPath: String, capacity: Int, busyTimeout: Duration, mappedBytes: Int) {
        self.path = path
        self.auditPath = auditPath
        self.capacity = max(1, capacity)
        self.busyTimeout = busyTimeout
        self.mappedBytes = mappedBytes
    }

    /// An idle connection, or a new one when none is idle.
    ///
    /// - Throws: ``StorageError`` when the pool is closed or the file cannot be opened.
    func borrow() throws -> SQLiteConnection {
        let reused: SQLiteConnection? = try lock.withLock {
            guard !isClosed else { throw StorageError.closed() }
            return idle.popLast()
        }
        if let reused {
            return reused
        }
        let connection = try SQLiteConnection(path: path, flags: [.readOnly])
        try connection.execute("PRAGMA busy_timeout = \(busyTimeout.milliseconds)")
        try AuditDatabase.attach(connection, path: auditPath)
        // Unqualified, after the attach: both databases are mapped.
        try connection.execute("PRAGMA mmap_size = \(max(0, mappedBytes))")
        return connection
    }

    /// Takes a borrowed connection back; it is closed when the pool is full or closed.
    func giveBack(_ connection: SQLiteConnection) {
        let dropped: SQLiteConnection? = lock.withLock {
            guard !isClosed, idle.count < capacity else { return connection }
            idle.append(connection)
            return nil
        }
        _ = dropped
    }

    /// Closes the idle connections and refuses further borrowing; lent connections close on return.
    func close() {
        let closing = lock.withLock {
            isClosed = true
            defer { idle.removeAll() }
            return idle
        }
        _ = closing
    }
}
