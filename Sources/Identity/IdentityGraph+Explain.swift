extension GraphState {
    /// The most nodes one explanation may visit before it gives up looking for a chain.
    static let explainVisitLimit = 1_000_000

    /// See `IdentityGraph.explain(from:to:)`.
    mutating func explain(from a: Identity, to b: Identity) -> Explanation {
        var explanation = Explanation(from: a, to: b, profile: nil, path: [], reasons: [])
        for identity in [a, b] {
            if isBlocked(identity.value) {
                explanation.reasons.append(.blockedValue(identity))
            } else if index.node(of: identity) == nil {
                explanation.reasons.append(.unknownIdentity(identity))
            }
        }
        guard let start = index.node(of: a), let end = index.node(of: b) else { return explanation }

        if let profile = profileID(of: start), profile == profileID(of: end) {
            explanation.profile = profile
            explanation.path = cheapestPath(from: start, to: end, activeOnly: true)
            return explanation
        }
        for node in [start, end] { explanation.reasons.append(contentsOf: flagReasons(node)) }
        explanation.path = cheapestPath(from: start, to: end, activeOnly: false)
        for link in explanation.path {
            switch link.state {
            case .active: continue
            case .refused: explanation.reasons.append(.refused(link))
            case .unlinked: explanation.reasons.append(.unlinked(link))
            case .detached: explanation.reasons.append(.detached(link))
            }
        }
        if explanation.path.isEmpty && start != end { explanation.reasons.append(.noPath) }
        return explanation
    }

    /// The reasons carried by one identity's flags.
    private mutating func flagReasons(_ node: Int32) -> [Explanation.Reason] {
        let identity = index.identity(node)
        var reasons: [Explanation.Reason] = []
        let flag = nodes[Int(node)].flags
        if flag.contains(.shared) { reasons.append(.sharedIdentity(identity)) }
        if flag.contains(.evicted) { reasons.append(.evicted(identity)) }
        if flag.contains(.removed) {
            for exclusion in exclusions[find(node)] ?? [] where exclusion.node == node {
                reasons.append(.removed(identity, from: ProfileID(rawValue: canonical(exclusion.profile))))
            }
        }
        return reasons
    }

    /// The chain from `start` to `end` with the fewest inactive links, then the fewest links, as
    /// Dijkstra finds it with inactive links costing more than any chain of active ones.
    private func cheapestPath(from start: Int32, to end: Int32, activeOnly: Bool) -> [LinkRecord] {
        let inactiveCost: Int64 = 1 << 32
        var cost: [Int32: Int64] = [start: 0]
        var via: [Int32: (edge: Int32, previous: Int32)] = [:]
        var queue = MinimumHeap()
        queue.push(0, start)
        var visited = 0
        while let (distance, node) = queue.pop() {
            guard distance == cost[node] else { continue }
            if node == end { break }
            visited += 1
            if visited > GraphState.explainVisitLimit { return [] }
            forEachEdge(of: node) { number, edge in
                guard edge.state == .active || !activeOnly else { return }
                let next = edge.other(than: node)
                let candidate = distance + (edge.state == .active ? 1 : inactiveCost)
                guard candidate < cost[next] ?? Int64.max else { return }
                cost[next] = candidate
                via[next] = (number, node)
                queue.push(candidate, next)
            }
        }
        guard cost[end] != nil, start != end else { return [] }
        var path: [LinkRecord] = []
        var node = end
        while let step = via[node] {
            path.append(linkRecord(step.edge, from: step.previous))
            node = step.previous
        }
        return path.reversed()
    }
}

/// A binary min-heap of (cost, node) pairs.
private struct MinimumHeap {
    private var items: [(cost: Int64, node: Int32)] = []

    mutating func push(_ cost: Int64, _ node: Int32) {
        items.append((cost, node))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].cost < items[parent].cost else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (Int64, Int32)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = parent * 2 + 1
                let right = left + 1
                var smallest = parent
                if left < items.count && items[left].cost < items[smallest].cost { smallest = left }
                if right < items.count && items[right].cost < items[smallest].cost { smallest = right }
                guard smallest != parent else { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return (top.cost, top.node)
    }
}
