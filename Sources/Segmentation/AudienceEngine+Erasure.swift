public import Storage

/// Erasure of profiles from audiences, for privacy deletes and retention.
extension AudienceEngine {
    /// Deletes the profiles' memberships, membership history, streaming state and due moments, in
    /// the store and in the engine's memory, inside the caller's writer transaction.
    ///
    /// No exit is recorded and no listener hears of it: an erased person leaves no trace, not even
    /// of leaving. The size-estimate snapshot, which may hold their attributes, is dropped too.
    ///
    /// - Returns: rows deleted, by store: `memberships`, `membershipHistory`, `audienceStates`,
    ///   `audienceSchedule`.
    public func erase(_ profiles: Set<Int64>, in connection: SQLiteConnection) throws -> [String: Int] {
        try begin(in: connection)
        let tables = [
            ("memberships", "DELETE FROM audience_members WHERE profile_id = ?1"),
            ("membershipHistory", "DELETE FROM audience_history WHERE profile_id = ?1"),
            ("audienceStates", "DELETE FROM audience_state WHERE profile_id = ?1"),
            ("audienceSchedule", "DELETE FROM audience_schedule WHERE profile_id = ?1"),
        ]
        var counts: [String: Int] = [:]
        for (name, sql) in tables {
            let delete = try connection.prepare(sql)
            var deleted = 0
            for profile in profiles {
                try delete.bind(profile, at: 1)
                try delete.run()
                deleted += connection.changes
            }
            counts[name] = deleted
        }
        for profile in profiles {
            states[profile] = nil
            membershipCache[profile] = nil
            scheduled[profile] = nil
            changedStates.remove(profile)
        }
        estimates.withLock { $0 = nil }
        return counts
    }
}
