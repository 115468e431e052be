/// Which dedupe keys the store holds, as an in-memory map from a key's hash to the rows of the
/// `dedupe_keys` log that carry it.
///
/// Why in memory rather than a SQLite index: message ids are random, so a B-tree keyed by them
/// takes each new key on a different page, and a group commit writes back roughly one page per
/// record. Measured on this machine, that made the writer 4–8 times slower and slowed it further
/// as the table grew. The log itself is append-only (cheap to write and to purge from its old end),
/// and this map finds a key's row in O(1).
///
/// Hashes are 64-bit and seeded per process (so senders cannot aim for collisions); a match is only
/// a candidate, which the caller confirms by reading the row. Distinct keys with the same hash are
/// kept side by side. Every change is also written to an undo log, so that a rolled-back
/// transaction or savepoint can be undone here too; ``commit()`` forgets the undo log.
///
/// Memory: about 20–45 bytes per key, since `Dictionary` keeps its load factor under 3/4.
struct DedupeIndex: Sendable {
    /// The rows for keys whose hash is not shared with another key.
    private var rows: [UInt64: Int64] = [:]
    /// Further rows for hashes that several distinct keys share (rare).
    private var sharedHashRows: [UInt64: [Int64]] = [:]
    private var undoLog: [Change] = []

    private enum Change {
        case added(hash: UInt64, row: Int64)
        case replaced(hash: UInt64, old: Int64, new: Int64)
        case removed(hash: UInt64, row: Int64)
    }

    /// The rows whose key may be the one hashed to `hash`: usually none or one.
    struct Candidates: Sequence, IteratorProtocol, Sendable {
        fileprivate var first: Int64?
        fileprivate var others: [Int64]
        private var position = 0

        fileprivate init(first: Int64?, others: [Int64]) {
            self.first = first
            self.others = others
        }

        /// Whether there is no candidate at all (the common case for a new key).
        var isEmpty: Bool { first == nil && position >= others.count }

        mutating func next() -> Int64? {
            if let row = first {
                first = nil
                return row
            }
            guard position < others.count else { return nil }
            position += 1
            return others[position - 1]
        }
    }

    /// How many keys the index holds.
    var count: Int { rows.count + sharedHashRows.values.reduce(0) { $0 + $1.count } }

    /// The hash of a dedupe key, as the index uses it.
    static func hash(sourceID: Int64, messageID: String) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(sourceID)
        var text = messageID
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// The rows that may hold the key with `hash`.
    func candidates(_ hash: UInt64) -> Candidates {
        guard let first = rows[hash] else { return Candidates(first: nil, others: []) }
        return Candidates(first: first, others: sharedHashRows[hash] ?? [])
    }

    /// Records that the key with `hash` now lives in `row`; the key must not be in the index yet.
    mutating func add(_ hash: UInt64, row: Int64) {
        if rows[hash] == nil {
            rows[hash] = row
        } else {
            sharedHashRows[hash, default: []].append(row)
        }
        undoLog.append(.added(hash: hash, row: row))
    }

    /// Moves a key from `old` to `new`, as when a key seen before the window is seen again.
    mutating func replace(_ hash: UInt64, old: Int64, new: Int64) {
        guard substitute(hash, old, new) else { return }
        undoLog.append(.replaced(hash: hash, old: old, new: new))
    }

    /// Forgets that a key lives in `row`, as when the row is purged; other keys are untouched.
    mutating func remove(_ hash: UInt64, row: Int64) {
        guard delete(hash, row) else { return }
        undoLog.append(.removed(hash: hash, row: row))
    }

    /// A position in the undo log to roll back to.
    var mark: Int { undoLog.count }

    /// Undoes every change made since `mark`, newest first.
    mutating func rollback(to mark: Int) {
        while undoLog.count > mark {
            switch undoLog.removeLast() {
            case .added(let hash, let row): _ = delete(hash, row)
            case .replaced(let hash, let old, let new): _ = substitute(hash, new, old)
            case .removed(let hash, let row):
                if rows[hash] == nil {
                    rows[hash] = row
                } else {
                    sharedHashRows[hash, default: []].append(row)
                }
            }
        }
    }

    /// Keeps every change so far: the transaction they belong to has committed.
    mutating func commit() {
        undoLog.removeAll(keepingCapacity: true)
    }

    private mutating func substitute(_ hash: UInt64, _ old: Int64, _ new: Int64) -> Bool {
        if rows[hash] == old {
            rows[hash] = new
            return true
        }
        guard let index = sharedHashRows[hash]?.firstIndex(of: old) else { return false }
        sharedHashRows[hash]?[index] = new
        return true
    }

    private mutating func delete(_ hash: UInt64, _ row: Int64) -> Bool {
        if rows[hash] == row {
            if var others = sharedHashRows.removeValue(forKey: hash), !others.isEmpty {
                rows[hash] = others.removeFirst()
                if !others.isEmpty {
                    sharedHashRows[hash] = others
                }
            } else {
                rows.removeValue(forKey: hash)
            }
            return true
        }
        guard var others = sharedHashRows[hash], let index = others.firstIndex(of: row) else { return false }
        others.remove(at: index)
        sharedHashRows[hash] = others.isEmpty ? nil : others
        return true
    }
}
