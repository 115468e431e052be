public import Audiences
import JSONParsing
import Storage
import TesseraCore

/// Saving, changing and deleting audiences, and computing their membership over all profiles.
extension AudienceEngine {
    /// The longest audience name, in characters.
    public static let maximumNameLength = 200

    /// Saves a new audience and computes its membership over every profile.
    ///
    /// - Throws: `AudienceError` when the name is invalid or taken, or the rule names audiences that
    ///   do not exist.
    public func create(name: String, rule: AudienceRule, description: String = "") async throws -> Audience {
        try Self.check(name: name)
        return try await store.transaction { connection in
            try self.begin(in: connection)
            guard try self.audienceID(named: name, in: connection) == nil else {
                throw AudienceError.invalidName("an audience named \"\(name)\" already exists")
            }
            let now = self.clock.now()
            let insert = try connection.prepare(
                """
                INSERT INTO audiences (name, description, rule, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
                """)
            try insert.bind(name, at: 1)
            try insert.bind(description, at: 2)
            try insert.bind(rule.text, at: 3)
            try insert.bind(now.milliseconds, at: 4)
            try insert.run()
            let id = connection.lastInsertRowID
            var definitions = self.definitions
            definitions[id] = AudienceDefinition(id: id, name: name, rule: rule)
            try self.replaceDefinitions(with: definitions, evaluating: [id], at: now, in: connection)
            return try self.audience(id, in: connection)
        }
    }

    /// Changes an audience's name, rule or description; a new rule recomputes its membership (and
    /// that of the audiences that refer to it) over every profile.
    ///
    /// - Throws: `AudienceError` when it does not exist, the new name is invalid or taken, the rule
    ///   names audiences that do not exist or refer back to it, or a rename would break audiences
    ///   that refer to it.
    public func update(id: Int64, name: String?, rule: AudienceRule?, description: String?) async throws -> Audience {
        if let name { try Self.check(name: name) }
        return try await store.transaction { connection in
            try self.begin(in: connection)
            let existing = try self.audience(id, in: connection)
            if let name, name != existing.name {
                if try self.audienceID(named: name, in: connection) != nil {
                    throw AudienceError.invalidName("an audience named \"\(name)\" already exists")
                }
                let dependents = self.dependents(of: existing.name)
                guard dependents.isEmpty else { throw AudienceError.inUse(by: dependents) }
            }
            let now = self.clock.now()
            let update = try connection.prepare(
                "UPDATE audiences SET name = ?2, description = ?3, rule = ?4, updated_at = ?5 WHERE id = ?1")
            try update.bind(id, at: 1)
            try update.bind(name ?? existing.name, at: 2)
            try update.bind(description ?? existing.description, at: 3)
            try update.bind((rule ?? existing.rule).text, at: 4)
            try update.bind(now.milliseconds, at: 5)
            try update.run()
            var definitions = self.definitions
            definitions[id] = AudienceDefinition(id: id, name: name ?? existing.name, rule: rule ?? existing.rule)
            let evaluating: Set<Int64> = rule.map { $0 != existing.rule } ?? false ? [id] : []
            try self.replaceDefinitions(with: definitions, evaluating: evaluating, at: now, in: connection)
            return try self.audience(id, in: connection)
        }
    }

    /// Deletes an audience with its membership and history.
    ///
    /// - Throws: `AudienceError.notFound`, or `.inUse` when other audiences refer to it.
    public func delete(id: Int64) async throws {
        try await store.transaction { connection in
            try self.begin(in: connection)
            let existing = try self.audience(id, in: connection)
            let dependents = self.dependents(of: existing.name)
            guard dependents.isEmpty else { throw AudienceError.inUse(by: dependents) }
            for sql in [
                "DELETE FROM audiences WHERE id = ?1", "DELETE FROM audience_members WHERE audience_id = ?1",
                "DELETE FROM audience_history WHERE audience_id = ?1",
            ] {
                let delete = try connection.prepare(sql)
                try delete.bind(id, at: 1)
                try delete.run()
            }
            var definitions = self.definitions
            definitions[id] = nil
            try self.install(definitions, in: connection)
        }
    }

    /// Recomputes the membership of the given audiences (all when empty) over every profile, from
    /// the events themselves: the streaming state of every profile is rebuilt first.
    ///
    /// - Returns: how many profiles entered and left.
    public func evaluate(ids: [Int64] = []) async throws -> (entered: Int, exited: Int) {
        try await store.transaction { connection in
            try self.begin(in: connection)
            for id in ids where self.definitions[id] == nil { throw AudienceError.notFound(id) }
            let now = self.clock.now()
            try self.rebuildStates(
                atoms: Array(self.plan.atoms.indices), sequences: Array(self.plan.sequences.indices), at: now,
                in: connection)
            let chosen = ids.isEmpty ? Set(self.definitions.keys) : Set(ids)
            let counts = try self.backfill(chosen, at: now, in: connection)
            try self.markEvaluated(chosen, at: now, in: connection)
            return counts
        }
    }

    // MARK: - Inside the writer

    /// Makes `definitions` active; counts the events of atoms and sequences no audience asked about
    /// before into every profile's state, then recomputes the membership of `evaluating` and of the
    /// audiences that refer to them.
    private func replaceDefinitions(
        with definitions: [Int64: AudienceDefinition], evaluating: Set<Int64>, at now: Timestamp,
        in connection: SQLiteConnection
    ) throws {
        let before = plan
        do {
            try install(definitions, in: connection)
        } catch let error as AudienceDependencyError {
            throw AudienceError.dependency(error)
        }
        let atoms = plan.atomKeys.indices.filter { before.atomNumber(plan.atomKeys[$0]) == nil }
        let sequences = plan.sequenceKeys.indices.filter { before.sequenceNumber(plan.sequenceKeys[$0]) == nil }
        if !atoms.isEmpty || !sequences.isEmpty {
            try rebuildStates(atoms: atoms, sequences: sequences, at: now, in: connection, adding: true)
        }
        guard !evaluating.isEmpty else { return }
        try backfill(evaluating, at: now, in: connection)
        try markEvaluated(evaluating, at: now, in: connection)
    }

    /// Counts every stored event into the states of the profiles they belong to, for the given atoms
    /// and sequences; `adding` keeps what states hold for other atoms, otherwise they start empty.
    ///
    /// - Complexity: one pass over the events whose names the atoms and sequences ask about.
    private func rebuildStates(
        atoms: [Int], sequences: [Int], at now: Timestamp, in connection: SQLiteConnection,
        adding: Bool = false
    ) throws {
        if !adding {
            try connection.execute("DELETE FROM audience_state")
            try connection.execute("DELETE FROM audience_schedule")
            scheduled.removeAll()
            states.removeAll()
        }
        let names = Set(
            atoms.map { plan.atoms[$0].event } + sequences.flatMap { plan.sequences[$0].steps.map(\.event) })
        guard !names.isEmpty else { return }
        let atomsByName = Dictionary(grouping: atoms, by: { plan.atoms[$0].event })
        let placeholders = (1...names.count).map { "?\($0)" }.joined(separator: ", ")
        let select = try connection.prepare(
            """
            SELECT p.profile_id, \(Store.qualifiedEventColumns) FROM event_profiles p
            JOIN events e ON e.sequence = p.sequence
            WHERE e.event_name IN (\(placeholders)) ORDER BY p.profile_id, e.sequence
            """, cached: false)
        for (index, name) in names.sorted().enumerated() {
            try select.bind(name, at: index + 1)
        }
        let parser = JSONParser()
        while try select.step() {
            let profile = select.int64(at: 0)
            let stored = Store.event(from: select, offset: 1)
            guard let document = try? parser.parse(stored.body),
                let event = Self.event(of: stored.record, sequence: stored.sequence, document: document.root)
            else { continue }
            var state = try takeState(of: profile, in: connection)
            state.observe(event, atoms: atomsByName[event.name] ?? [], sequences: sequences, plan: plan, at: now)
            states[profile] = state
            changedStates.insert(profile)
        }
        for profile in changedStates {
            let due = states[profile].flatMap { plan.hasSlidingWindows ? $0.nextExpiry(after: now) : nil }
            try schedule(profile, due: due, in: connection)
        }
        try saveChangedStates(in: connection)
    }

    private func markEvaluated(_ ids: Set<Int64>, at now: Timestamp, in connection: SQLiteConnection) throws {
        let update = try connection.prepare("UPDATE audiences SET evaluated_at = ?2 WHERE id = ?1")
        for id in ids {
            try update.bind(id, at: 1)
            try update.bind(now.milliseconds, at: 2)
            try update.run()
        }
    }

    /// The names of the audiences whose rules refer to `name`.
    private func dependents(of name: String) -> [String] {
        definitions.values.filter { $0.rule.referencedAudiences.contains(name) }.map(\.name).sorted()
    }

    private func audienceID(named name: String, in connection: SQLiteConnection) throws -> Int64? {
        let select = try connection.prepare("SELECT id FROM audiences WHERE name = ?1")
        try select.bind(name, at: 1)
        return try select.queryFirst { $0.int64(at: 0) }
    }

    /// One audience as stored.
    func audience(_ id: Int64, in connection: SQLiteConnection) throws -> Audience {
        let select = try connection.prepare(
            "SELECT id, name, description, rule, created_at, updated_at, evaluated_at FROM audiences WHERE id = ?1")
        try select.bind(id, at: 1)
        guard let audience = try select.queryFirst({ try Self.audience(from: $0) }) else {
            throw AudienceError.notFound(id)
        }
        return audience
    }

    static func audience(from row: SQLiteStatement) throws -> Audience {
        Audience(
            id: row.int64(at: 0), name: row.string(at: 1), description: row.string(at: 2),
            rule: try AudienceParser.parse(row.string(at: 3)), createdAt: Timestamp(milliseconds: row.int64(at: 4)),
            updatedAt: Timestamp(milliseconds: row.int64(at: 5)),
            evaluatedAt: row.optionalInt64(at: 6).map(Timestamp.init(milliseconds:)))
    }

    static func check(name: String) throws {
        guard let first = name.first, let last = name.last, !first.isWhitespace, !last.isWhitespace else {
            throw AudienceError.invalidName("a name must not be empty or start or end with spaces")
        }
        guard name.count <= maximumNameLength else {
            throw AudienceError.invalidName("a name has at most \(maximumNameLength) characters")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw AudienceError.invalidName("a name must not contain control characters")
        }
    }
}
