internal import CSQLite

/// What a connection decides after each commit about its WAL (see `SQLiteConnection.onWALCommit`).
final class WALCommitHook {
    let decide: (Int) -> Bool

    init(decide: @escaping (Int) -> Bool) {
        self.decide = decide
    }
}

/// SQLite's WAL hook: a plain function, as C callbacks must be, that hands the commit's frame count
/// to the connection's `WALCommitHook` and checkpoints when it says so.
func walCommitted(
    _ context: UnsafeMutableRawPointer?, _ handle: OpaquePointer?, _ database: UnsafePointer<CChar>?, _ frames: Int32
) -> Int32 {
    guard let context, let handle else { return SQLITE_OK }
    let hook = Unmanaged<WALCommitHook>.fromOpaque(context).takeUnretainedValue()
    if hook.decide(Int(frames)) {
        sqlite3_wal_checkpoint_v2(handle, database, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }
    return SQLITE_OK
}
