import Storage
import Testing

@Suite("SQLite wrapper")
struct SQLiteConnectionTests {
    private func openMemory() throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, d REAL, s TEXT, b BLOB)")
        return connection
    }

    @Test("values round-trip through bind and column reads")
    func roundTrip() throws {
        let connection = try openMemory()
        let insert = try connection.prepare("INSERT INTO t (i, d, s, b) VALUES (?1, ?2, ?3, ?4)")
        try insert.bind(Int64.min, at: 1)
        try insert.bind(-0.125, at: 2)
        try insert.bind("Grüße, 東京 🚀", at: 3)
        try insert.bind([0, 1, 254, 255] as [UInt8], at: 4)
        try insert.run()
        #expect(connection.lastInsertRowID == 1)
        #expect(connection.changes == 1)

        let select = try connection.prepare("SELECT i, d, s, b FROM t WHERE id = ?1")
        try select.bind(Int64(1), at: 1)
        let row = try #require(
            try select.queryFirst { ($0.int64(at: 0), $0.double(at: 1), $0.string(at: 2), $0.blob(at: 3)) })
        #expect(row.0 == Int64.min)
        #expect(row.1 == -0.125)
        #expect(row.2 == "Grüße, 東京 🚀")
        #expect(row.3 == [0, 1, 254, 255])
    }

    @Test("empty text and blobs stay empty rather than becoming NULL")
    func emptyValues() throws {
        let connection = try openMemory()
        let insert = try connection.prepare("INSERT INTO t (s, b) VALUES (?1, ?2)")
        try insert.bind("", at: 1)
        try insert.bind([] as [UInt8], at: 2)
        try insert.run()

        let row = try #require(
            try connection.prepare("SELECT s IS NULL, b IS NULL, length(s), length(b) FROM t").queryFirst {
                [$0.int64(at: 0), $0.int64(at: 1), $0.int64(at: 2), $0.int64(at: 3)]
            })
        #expect(row == [0, 0, 0, 0])
    }

    @Test("nil binds NULL and optional reads return nil")
    func nulls() throws {
        let connection = try openMemory()
        let insert = try connection.prepare("INSERT INTO t (i, d, s, b) VALUES (?1, ?2, ?3, ?4)")
        try insert.bind(nil as Int64?, at: 1)
        try insert.bind(nil as Double?, at: 2)
        try insert.bind(nil as String?, at: 3)
        try insert.bind(nil as [UInt8]?, at: 4)
        try insert.run()

        let select = try connection.prepare("SELECT i, d, s, b FROM t")
        let row = try #require(
            try select.queryFirst {
                ($0.optionalInt64(at: 0), $0.optionalDouble(at: 1), $0.optionalString(at: 2), $0.optionalBlob(at: 3))
            })
        #expect(row.0 == nil && row.1 == nil && row.2 == nil && row.3 == nil)
    }

    @Test("a unique violation is a typed constraint error with SQLite's extended code")
    func constraintViolation() throws {
        let connection = try openMemory()
        try connection.execute("CREATE UNIQUE INDEX t_s ON t (s)")
        try connection.execute("INSERT INTO t (s) VALUES ('once')")
        let error = try #require(throws: StorageError.self) {
            try connection.execute("INSERT INTO t (s) VALUES ('once')")
        }
        #expect(error.code == 2067)  // SQLITE_CONSTRAINT_UNIQUE
        #expect(error.primaryCode == 19)
        #expect(error.kind == .constraint)
        #expect(error.isConstraintViolation)

        let statement = try connection.prepare("INSERT INTO t (s) VALUES (?1)")
        try statement.bind("once", at: 1)
        let stepError = try #require(throws: StorageError.self) { try statement.run() }
        #expect(stepError.code == 2067)
        #expect(stepError.message.contains("UNIQUE"))
    }

    @Test("a syntax error is reported when preparing, with code SQLITE_ERROR")
    func syntaxError() throws {
        let connection = try openMemory()
        let error = try #require(throws: StorageError.self) { try connection.prepare("SELEKT 1") }
        #expect(error.code == 1)
        #expect(error.kind == .sqlite)
        #expect(error.message.contains("syntax error"))
        #expect(throws: StorageError.self) { try connection.execute("CREATE TABL x (y)") }
    }

    @Test("binding a parameter that does not exist fails with SQLITE_RANGE")
    func bindOutOfRange() throws {
        let connection = try openMemory()
        let statement = try connection.prepare("SELECT ?1")
        let error = try #require(throws: StorageError.self) { try statement.bind(Int64(1), at: 5) }
        #expect(error.code == 25)
    }

    @Test("prepare caches statements by SQL text and resets them for reuse")
    func statementCache() throws {
        let connection = try openMemory()
        try connection.execute("INSERT INTO t (i) VALUES (1), (2), (3)")
        let first = try connection.prepare("SELECT i FROM t ORDER BY i")
        #expect(try first.step())
        #expect(first.int64(at: 0) == 1)

        // Still stepping: a second request for the same text gets its own statement.
        let second = try connection.prepare("SELECT i FROM t ORDER BY i")
        #expect(second !== first)
        #expect(try second.query { $0.int64(at: 0) } == [1, 2, 3])
        first.reset()

        let third = try connection.prepare("SELECT i FROM t ORDER BY i")
        #expect(third === first)
        #expect(try third.query { $0.int64(at: 0) } == [1, 2, 3])
        #expect(try connection.prepare("SELECT i FROM t ORDER BY i", cached: false) !== first)
    }

    @Test("a read-only connection refuses writes")
    func readOnly() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try directory.create()
        let path = directory.path + "/t.sqlite"
        let writer = try SQLiteConnection(path: path)
        try writer.execute("CREATE TABLE t (x)")
        let reader = try SQLiteConnection(path: path, flags: [.readOnly])
        let error = try #require(throws: StorageError.self) { try reader.execute("INSERT INTO t VALUES (1)") }
        #expect(error.primaryCode == 8)  // SQLITE_READONLY
    }

    @Test("opening a file in a missing directory fails with SQLITE_CANTOPEN")
    func openFailure() throws {
        let error = try #require(throws: StorageError.self) {
            try SQLiteConnection(path: "/nonexistent-tessera-dir/x/y.sqlite")
        }
        #expect(error.primaryCode == 14)
    }
}
