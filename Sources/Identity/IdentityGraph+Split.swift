extension GraphState {
    /// See `IdentityGraph.unlink(_:_:provenance:)`.
    mutating func unlink(_ a: Identity, _ b: Identity, provenance: Provenance) -> Split {
        beginOperation(provenance)
        guard let first = index.node(of: a), let second = index.node(of: b),
            let number = edge(between: first, second), edges[Int(number)].state == .active
        else { return Split(profile: index.node(of: a).flatMap { profileID(of: $0) }) }

        deactivate(number, to: .unlinked)
        edges[Int(number)].provenance = currentProvenanceIndex()
        record(.unlinked(a, b))
        let root = find(first)
        let profile = nodes[Int(root)].profile
        let parts = rebuild(profile: profile, oldRoot: root, starts: [first, second])
        return Split(profile: ProfileID(rawValue: profile), parts: parts, entries: pending)
    }

    /// See `IdentityGraph.remove(_:from:provenance:)`.
    mutating func remove(_ identity: Identity, from profile: ProfileID, provenance: Provenance) -> Split {
        beginOperation(provenance)
        let current = canonical(profile.rawValue)
        guard let node = index.node(of: identity) else { return Split(profile: ProfileID(rawValue: current)) }
        let root = find(node)
        guard nodes[Int(root)].profile == current, nodes[Int(root)].size > 1 else {
            return Split(profile: ProfileID(rawValue: current))
        }
        return remove(node, from: current, into: nil)
    }

    /// Removal with the new profile's id given when replaying.
    mutating func remove(_ node: Int32, from profile: Int64, into given: Int64?) -> Split {
        let root = find(node)
        let own = given ?? nextProfile
        nextProfile = max(nextProfile, own + 1)
        let identity = index.identity(node)
        record(.removed(identity, from: ProfileID(rawValue: profile), into: ProfileID(rawValue: own)))
        let neighbours = deactivateLinks(of: node)
        var parts = rebuild(profile: profile, oldRoot: root, starts: neighbours, isolating: node, isolatedProfile: own)
        addExclusion(Exclusion(node: node, profile: profile), root: node)
        nodes[Int(node)].flags.insert(.removed)
        parts.append(Split.Part(profile: ProfileID(rawValue: own), identities: [identity]))
        return Split(profile: ProfileID(rawValue: profile), parts: parts, entries: pending)
    }

    /// Marks a node's active links detached and returns the nodes at their other ends.
    mutating func deactivateLinks(of node: Int32) -> [Int32] {
        var active: [Int32] = []
        forEachEdge(of: node) { number, edge in
            if edge.state == .active { active.append(number) }
        }
        var neighbours: [Int32] = []
        for number in active {
            deactivate(number, to: .detached)
            edges[Int(number)].provenance = currentProvenanceIndex()
            neighbours.append(edges[Int(number)].other(than: node))
        }
        return neighbours
    }

    /// Makes a node a component of its own, in `profile` (0 for none).
    mutating func isolate(_ node: Int32, profile: Int64) {
        reset([node], root: node)
        nodes[Int(node)].profile = profile
        if profile != 0 { setRoot(node, ofProfile: profile) }
        setUniques(isUnique(node) ? [node] : [], root: node)
    }

    /// Recomputes the components of a profile after some of its links went inactive.
    ///
    /// Every remaining identity of the profile is reachable from `starts` (the ends of the links that
    /// went away), so one breadth-first walk per start finds the parts. The part holding the oldest
    /// identity keeps the id; the others get new ids in the order of their oldest identities, and a
    /// `split` entry each. Union-find parents, unique members and exclusions are rebuilt per part.
    ///
    /// - Parameters:
    ///   - profile: the profile that lost links.
    ///   - oldRoot: its union-find root before the change.
    ///   - starts: the nodes at the ends of the links that went away (and are still in the profile).
    ///   - isolating: a node leaving the profile, made a component of its own in `isolatedProfile`
    ///     (0 for none) before the parts are found.
    /// - Returns: the parts, the one keeping the id first.
    /// - Complexity: O(n + e) in the profile's size.
    mutating func rebuild(
        profile: Int64, oldRoot: Int32, starts: [Int32], isolating: Int32? = nil, isolatedProfile: Int64 = 0
    ) -> [Split.Part] {
        let oldExclusions = exclusions.removeValue(forKey: oldRoot) ?? []
        uniqueMembers.removeValue(forKey: oldRoot)
        nodes[Int(oldRoot)].flags.subtract([.hasUniques, .hasExclusions])
        retireProfile(profile)
        if let isolating { isolate(isolating, profile: isolatedProfile) }

        var components: [[Int32]] = []
        var found = Set<Int32>()
        for start in starts where !found.contains(start) {
            let component = members(of: start)
            found.formUnion(component)
            components.append(component)
        }
        components.sort { oldest($0) < oldest($1) }

        var parts: [Split.Part] = []
        for (position, component) in components.enumerated() {
            let id = position == 0 ? profile : nextProfile
            let root = component.min()!
            reset(component, root: root)
            nodes[Int(root)].profile = id
            setRoot(root, ofProfile: id)
            setUniques(component.filter { isUnique($0) }, root: root)
            let identities = sortedByPriority(component).map { index.identity($0) }
            if position > 0 {
                record(
                    .split(from: ProfileID(rawValue: profile), into: ProfileID(rawValue: id), identities: identities))
            }
            parts.append(Split.Part(profile: ProfileID(rawValue: id), identities: identities))
        }
        for exclusion in oldExclusions { addExclusion(exclusion, root: find(exclusion.node)) }
        return parts
    }

    /// The key that orders parts: the earliest first sighting, then the lowest node number.
    private func oldest(_ component: [Int32]) -> OldestKey {
        var best = OldestKey(time: Int64.max, node: Int32.max)
        for node in component {
            let key = OldestKey(time: times[Int(node)].firstSeen, node: node)
            if key < best { best = key }
        }
        return best
    }
}

private struct OldestKey: Comparable {
    var time: Int64
    var node: Int32

    static func < (lhs: OldestKey, rhs: OldestKey) -> Bool {
        lhs.time != rhs.time ? lhs.time < rhs.time : lhs.node < rhs.node
    }
}
