import Identity
import Storage
import TesseraCore

/// Operations on the graph that run on the writer thread, each in its own transaction.
extension ProfileEngine {
    /// Removes the link between two identities; the profile splits when the graph disconnects, and
    /// events and attributes move to the profiles they now belong to.
    public func unlink(_ a: Identity, _ b: Identity, store: Store, by actor: String) async throws -> Split {
        try await store.transaction { connection in
            try self.begin(in: connection)
            let provenance = Provenance(
                record: nil, source: nil, rule: "unlink by \(actor)", time: self.clock.now())
            let split = self.graph.unlink(a, b, provenance: provenance)
            try self.finish(split, in: connection)
            return split
        }
    }

    /// Takes an identity out of its profile, splitting the profile when the rest disconnects.
    public func remove(_ identity: Identity, store: Store, by actor: String) async throws -> Split {
        try await store.transaction { connection in
            try self.begin(in: connection)
            guard let profile = self.graph.profile(of: identity) else { return Split(profile: nil) }
            let provenance = Provenance(
                record: nil, source: nil, rule: "remove by \(actor)", time: self.clock.now())
            let split = self.graph.remove(identity, from: profile, provenance: provenance)
            try self.finish(split, in: connection)
            return split
        }
    }

    /// The chain of links joining two identities, or why they are not joined.
    public func explain(from a: Identity, to b: Identity, store: Store) async throws -> Explanation {
        try await store.transaction { connection in
            try self.load(in: connection)
            return self.graph.explain(from: a, to: b)
        }
    }

    /// A profile's identities and links, with provenance, as the graph holds them now.
    public func graphView(of profile: ProfileID, store: Store) async throws -> (
        identities: [IdentityState], links: [LinkRecord]
    ) {
        try await store.transaction { connection in
            try self.load(in: connection)
            let current = self.graph.canonical(profile)
            return (self.graph.identities(in: current), self.graph.links(in: current))
        }
    }

    /// Replays the stored identity log under `rules` and compares the outcome with the current rules.
    ///
    /// - Complexity: O(log entries); reads the whole log. Changes nothing.
    public static func simulate(rules: IdentityRules, current: IdentityRules, store: Store) throws -> SimulationReport {
        let entries = try store.read { connection in
            let statement = try connection.prepare("SELECT entry FROM identity_log ORDER BY sequence", cached: false)
            return try statement.query { row in try LogEntry(stored: row.blob(at: 0)) }
        }
        return IdentityGraph.simulate(log: entries, under: rules, comparedWith: current)
    }

    private func finish(_ split: Split, in connection: SQLiteConnection) throws {
        try persistEntries(split.entries, in: connection)
        var dirty: Set<Int64> = []
        try apply(split, in: connection, dirty: &dirty)
        try saveStates(dirty, in: connection)
        try notify(in: connection)
    }
}
