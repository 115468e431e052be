public import Storage

/// Erasure of profiles' deliveries, for privacy deletes and retention.
extension Outbox {
    /// Deletes every delivery about the profiles, whatever its state, inside the caller's writer
    /// transaction: waiting ones are never sent, and sent ones no longer keep the payload.
    ///
    /// A delivery the engine has already claimed and is sending finishes its attempt; recording
    /// its outcome then finds no row and changes nothing.
    ///
    /// - Returns: how many deliveries were deleted, and how many of them were still waiting.
    public static func erase(
        _ profiles: Set<Int64>, in connection: SQLiteConnection
    ) throws -> (deleted: Int, waiting: Int) {
        try ActivationSchema.create(in: connection)
        let count = try connection.prepare(
            """
            SELECT COUNT(*) FROM activation_outbox
            WHERE profile_id = ?1 AND state IN ('pending', 'retry', 'in_flight')
            """)
        let delete = try connection.prepare("DELETE FROM activation_outbox WHERE profile_id = ?1")
        var result = (deleted: 0, waiting: 0)
        for profile in profiles {
            try count.bind(profile, at: 1)
            result.waiting += Int(try count.queryFirst { $0.int64(at: 0) } ?? 0)
            try delete.bind(profile, at: 1)
            try delete.run()
            result.deleted += connection.changes
        }
        return result
    }
}
