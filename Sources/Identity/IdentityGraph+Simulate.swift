extension IdentityGraph {
    /// How many examples of each kind a simulation report lists.
    public static let simulationExampleLimit = 5

    /// Replays a link log under proposed rules and under the current ones, and compares the profiles,
    /// changing nothing.
    ///
    /// The log's operations are reconstructed (each observation's identities, unlinks and removals)
    /// and run through two fresh graphs. A proposed profile holding identities of two or more current
    /// profiles is a merge; a current profile whose identities fall into two or more proposed ones
    /// is a split. Records that only repeated known evidence wrote no entries, so they are not
    /// replayed: their pairs were logged when first seen, which is what linking depends on.
    ///
    /// - Parameters:
    ///   - log: the log, in sequence order.
    ///   - rules: the proposed rules.
    ///   - current: the rules in force, for the comparison replay.
    /// - Returns: the counts under both, merges and splits with a few examples.
    /// - Complexity: two replays of the log, O(entries) near-constant steps each, plus O(i) to compare.
    public static func simulate(
        log: [LogEntry], under rules: IdentityRules, comparedWith current: IdentityRules
    ) -> SimulationReport {
        let operations = reconstructOperations(log)
        let currentGraph = IdentityGraph(rules: current, retainsLog: false)
        let proposedGraph = IdentityGraph(rules: rules, retainsLog: false)
        var everyone: [Identity] = []
        var known = Set<Identity>()
        for operation in operations {
            currentGraph.perform(operation)
            proposedGraph.perform(operation)
            for identity in operation.identities where known.insert(identity).inserted { everyone.append(identity) }
        }

        var proposedToCurrent: [ProfileID: Set<ProfileID>] = [:]
        var currentToProposed: [ProfileID: Set<ProfileID>] = [:]
        var groups: [Pair: [Identity]] = [:]
        for identity in everyone {
            guard let now = currentGraph.profile(of: identity), let then = proposedGraph.profile(of: identity) else {
                continue
            }
            proposedToCurrent[then, default: []].insert(now)
            currentToProposed[now, default: []].insert(then)
            groups[Pair(current: now, proposed: then), default: []].append(identity)
        }
        let merged = proposedToCurrent.filter { $0.value.count > 1 }.keys.sorted()
        let split = currentToProposed.filter { $0.value.count > 1 }.keys.sorted()
        let mergeExamples = merged.prefix(simulationExampleLimit).map { proposed in
            SimulationReport.Example(
                groups: proposedToCurrent[proposed]!.sorted().map { groups[Pair(current: $0, proposed: proposed)]! })
        }
        let splitExamples = split.prefix(simulationExampleLimit).map { current in
            SimulationReport.Example(
                groups: currentToProposed[current]!.sorted().map { groups[Pair(current: current, proposed: $0)]! })
        }
        return SimulationReport(
            observations: operations.count, current: currentGraph.outcome, proposed: proposedGraph.outcome,
            merges: merged.count, splits: split.count, mergeExamples: Array(mergeExamples),
            splitExamples: Array(splitExamples))
    }

    /// The counts a simulation reports for one graph.
    var outcome: SimulationReport.Outcome {
        SimulationReport.Outcome(
            profiles: profileCount, refusals: core.edges.count { $0.state == .refused },
            flagged: core.nodes.count { $0.flags.contains(.shared) }, evictions: core.evictionCount)
    }

    private struct Pair: Hashable {
        var current: ProfileID
        var proposed: ProfileID
    }

    /// One operation recovered from the log.
    enum Operation {
        case observe([Identity], Provenance)
        case unlink(Identity, Identity, Provenance)
        case remove(Identity, Provenance)

        var identities: [Identity] {
            switch self {
            case .observe(let identities, _): identities
            case .unlink(let a, let b, _): [a, b]
            case .remove(let identity, _): [identity]
            }
        }
    }

    /// Groups entries by observation: each group is an unlink, a removal, or a record whose
    /// identities are those its entries name (derived entries such as evictions and splits excluded).
    static func reconstructOperations(_ log: [LogEntry]) -> [Operation] {
        var operations: [Operation] = []
        var position = 0
        while position < log.count {
            let observation = log[position].observation
            var end = position
            while end < log.count && log[end].observation == observation { end += 1 }
            if let operation = operation(from: log[position..<end]) { operations.append(operation) }
            position = end
        }
        return operations
    }

    private static func operation(from entries: ArraySlice<LogEntry>) -> Operation? {
        var identities: [Identity] = []
        func add(_ identity: Identity) {
            if !identities.contains(identity) { identities.append(identity) }
        }
        for entry in entries {
            switch entry.change {
            case .unlinked(let a, let b): return .unlink(a, b, entry.provenance)
            case .removed(let identity, _, _): return .remove(identity, entry.provenance)
            case .touched(let identity), .created(_, let identity):
                add(identity)
            case .linked(let a, let b), .refused(let a, let b, _), .cooccurred(let a, let b):
                add(a)
                add(b)
            case .flagged(let identity, _, _):
                add(identity)
            case .merged, .evicted, .split:
                continue
            }
        }
        guard let first = entries.first, !identities.isEmpty else { return nil }
        return .observe(identities, first.provenance)
    }

    /// Runs one reconstructed operation.
    func perform(_ operation: Operation) {
        switch operation {
        case .observe(let identities, let provenance):
            _ = observe(identities, provenance: provenance)
        case .unlink(let a, let b, let provenance):
            _ = unlink(a, b, provenance: provenance)
        case .remove(let identity, let provenance):
            if let profile = profile(of: identity) { _ = remove(identity, from: profile, provenance: provenance) }
        }
    }
}
