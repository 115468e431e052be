internal import CSQLite

/// A failure of the store: an SQLite result code with SQLite's message, or a condition the store detects.
///
/// `code` is SQLite's extended result code (`SQLITE_CONSTRAINT_UNIQUE` is 2067), or 0 when the
/// failure did not come from SQLite. `kind` groups failures so callers can react without parsing
/// messages; new kinds may be added. Messages never carry record contents.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// SQLite's extended result code, or 0 when the failure did not come from SQLite.
    public let code: Int32

    /// A short explanation, such as SQLite's error message.
    public let message: String

    /// What went wrong, coarsely.
    public let kind: Kind

    /// The error that caused this one, such as the error a commit participant threw.
    public let underlying: (any Error)?

    /// A coarse class of storage failure; a struct rather than an enum so that kinds can be added.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// Any SQLite failure without a more specific kind.
        public static let sqlite = Kind("sqlite")
        /// A `UNIQUE`, `NOT NULL`, `CHECK` or foreign-key constraint rejected a change.
        public static let constraint = Kind("constraint")
        /// Another connection held a lock for longer than the busy timeout.
        public static let busy = Kind("busy")
        /// The store or connection was closed before the work could run.
        public static let closed = Kind("closed")
        /// The named thing (a source, a dead letter) does not exist.
        public static let notFound = Kind("not_found")
        /// The change conflicts with existing data (a taken name, an already replayed dead letter).
        public static let conflict = Kind("conflict")
        /// A commit participant failed; `underlying` holds its error.
        public static let participant = Kind("participant")
        /// The caller passed a value the store cannot accept.
        public static let invalidArgument = Kind("invalid_argument")

        public var description: String { name }
    }

    /// Creates an error; `kind` defaults to the kind implied by the SQLite result code.
    public init(code: Int32, message: String, kind: Kind? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.kind = kind ?? StorageError.kind(ofResultCode: code)
        self.underlying = underlying
    }

    /// SQLite's primary result code (the low byte of `code`), e.g. `SQLITE_CONSTRAINT` for every constraint.
    public var primaryCode: Int32 { code & 0xFF }

    /// Whether a constraint (unique, not null, foreign key, check) rejected the change.
    public var isConstraintViolation: Bool { primaryCode == SQLITE_CONSTRAINT }

    public var description: String {
        code == 0 ? "storage error (\(kind)): \(message)" : "SQLite error \(code) (\(kind)): \(message)"
    }

    static func closed(_ what: String = "the store is closed") -> StorageError {
        StorageError(code: 0, message: what, kind: .closed)
    }

    static func notFound(_ what: String) -> StorageError {
        StorageError(code: 0, message: what, kind: .notFound)
    }

    static func conflict(_ what: String, code: Int32 = 0) -> StorageError {
        StorageError(code: code, message: what, kind: .conflict)
    }

    private static func kind(ofResultCode code: Int32) -> Kind {
        switch code & 0xFF {
        case SQLITE_CONSTRAINT: .constraint
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        default: .sqlite
        }
    }
}
