import Audiences
import JSONParsing
import Storage
import TesseraCore

/// Membership of whole audiences at once: a columnar snapshot of the profiles is built from the
/// store and evaluated with bitsets (`BatchEvaluator`), rather than profile by profile.
extension AudienceEngine {
    /// A snapshot of every profile with what `needs` asks for, and the current members of every
    /// saved audience as rows of it (for rules that name other audiences).
    ///
    /// Runs on the writer: profile views come from the profile engine's state.
    ///
    /// - Complexity: O(profiles + events of the names `needs` lists).
    func snapshot(
        needs: AudienceSnapshot.Needs, in connection: SQLiteConnection
    ) throws -> (snapshot: AudienceSnapshot, members: [String: MembershipBitmap]) {
        var builder = AudienceSnapshot.Builder(needs: needs)
        var rows: [Int64: Int32] = [:]
        let readsAttributes = needs.attributes.contains { !$0.hasPrefix("computed.") }
        let readsComputed = needs.attributes.contains { $0.hasPrefix("computed.") }
        for profile in profiles.profileIDs.sorted() {
            guard
                let view = try profiles.view(
                    of: profile, attributes: readsAttributes, computed: readsComputed, in: connection)
            else { continue }
            rows[profile] = builder.addProfile(
                id: profile, attributes: view.attributes, computed: view.computed,
                identityNamespaces: view.identityNamespaces, consent: Self.answers(view))
        }
        let names = needs.events.keys.sorted()
        if !names.isEmpty {
            let placeholders = (1...names.count).map { "?\($0)" }.joined(separator: ", ")
            let select = try connection.prepare(
                """
                SELECT p.profile_id, \(Store.qualifiedEventColumns) FROM event_profiles p
                JOIN events e ON e.sequence = p.sequence WHERE e.event_name IN (\(placeholders))
                """, cached: false)
            for (index, name) in names.enumerated() { try select.bind(name, at: index + 1) }
            let parser = JSONParser()
            while try select.step() {
                guard let row = rows[select.int64(at: 0)] else { continue }
                let stored = Store.event(from: select, offset: 1)
                guard let document = try? parser.parse(stored.body),
                    let event = Self.event(of: stored.record, sequence: stored.sequence, document: document.root)
                else { continue }
                builder.addEvent(row: row, event)
            }
        }
        var members: [String: MembershipBitmap] = [:]
        let select = try connection.prepare(
            "SELECT profile_id FROM audience_members WHERE audience_id = ?1 AND status != 'exited'")
        for audience in definitions.values {
            try select.bind(audience.id, at: 1)
            members[audience.name] = MembershipBitmap(try select.query { rows[$0.int64(at: 0)] }.compactMap { $0 })
        }
        return (builder.build(), members)
    }

    /// Evaluates the chosen audiences, and those that refer to them, over every profile in one
    /// batch; writes entries and exits with the cause `backfill`.
    ///
    /// - Returns: how many profiles entered and left, over all those audiences.
    @discardableResult
    func backfill(_ chosen: Set<Int64>, at now: Timestamp, in connection: SQLiteConnection) throws -> (Int, Int) {
        let audiences = plan.including(dependentsOf: chosen).map { plan.ordered[$0] }
        guard !audiences.isEmpty else { return (0, 0) }
        let named = audiences.flatMap { [$0.rule] + $0.rule.referencedAudiences.compactMap(rule(named:)) }
        let (snapshot, current) = try self.snapshot(needs: AudienceSnapshot.Needs(rules: named), in: connection)
        let evaluating = Set(audiences.map(\.name))
        let known = current.filter { !evaluating.contains($0.key) }
        let results = try BatchEvaluator(snapshot: snapshot).evaluate(
            audiences.map { (name: $0.name, rule: $0.rule) }, at: now, known: known)
        var entered = 0
        var exited = 0
        for audience in audiences {
            let before = current[audience.name] ?? MembershipBitmap()
            let after = results[audience.name] ?? MembershipBitmap()
            for row in after.subtracting(before).members() {
                try record(
                    .realized, audience: audience.id, profile: snapshot.profileID(ofRow: row), at: now,
                    cause: "backfill", in: connection)
                entered += 1
            }
            for row in before.subtracting(after).members() {
                try record(
                    .exited, audience: audience.id, profile: snapshot.profileID(ofRow: row), at: now, cause: "backfill",
                    in: connection)
                exited += 1
            }
        }
        return (entered, exited)
    }

    /// About how many profiles an unsaved rule matches now, from a snapshot at most
    /// `estimateSnapshotAge` old (built again when older, or when it lacks what the rule reads).
    ///
    /// - Throws: `AudienceError.dependency` when the rule names an audience that does not exist.
    public func estimate(_ rule: AudienceRule) async throws -> (size: Int, profiles: Int) {
        for name in rule.referencedAudiences where !definitions.values.contains(where: { $0.name == name }) {
            throw AudienceError.dependency(
                AudienceDependencyError(names: ["(estimate)", name], reason: .unknownAudience))
        }
        let now = clock.now()
        let cached = estimates.withLock { $0 }
        let fresh: EstimateSnapshot
        let age = estimateSnapshotAge.components
        let limit = age.seconds * 1000 + age.attoseconds / 1_000_000_000_000_000
        if let cached, cached.snapshot.needs.covers(rule), now.milliseconds - cached.builtAt.milliseconds <= limit {
            fresh = cached
        } else {
            let rules = definitions.values.map(\.rule) + [rule]
            fresh = try await store.transaction { connection in
                try self.load(in: connection)
                let (snapshot, members) = try self.snapshot(needs: AudienceSnapshot.Needs(rules: rules), in: connection)
                return EstimateSnapshot(snapshot: snapshot, members: members, builtAt: now)
            }
            estimates.withLock { $0 = fresh }
        }
        let evaluator = BatchEvaluator(snapshot: fresh.snapshot)
        let size = try evaluator.estimateSize(of: rule, at: now, known: fresh.members)
        return (size, Int(fresh.snapshot.count))
    }

    private func rule(named name: String) -> AudienceRule? {
        definitions.values.first { $0.name == name }?.rule
    }
}

/// A snapshot kept for size estimates, with the memberships it was built with.
struct EstimateSnapshot: Sendable {
    var snapshot: AudienceSnapshot
    var members: [String: MembershipBitmap]
    var builtAt: Timestamp
}
