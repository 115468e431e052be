extension GraphState {
    /// Counts, for each identity of a record, the distinct values of unique namespaces it was seen
    /// with inside the window, and flags it as shared once one namespace passes the threshold.
    ///
    /// - Complexity: O(k·u·c) for k identities, u unique ones in the record and c values remembered
    ///   per identity (about the threshold at most, plus the record's, since older ones are pruned).
    mutating func noteCooccurrences(_ members: [Int32], identities: [Identity], time: Int64) {
        guard members.count > 1, members.contains(where: { isUnique($0) }) else { return }
        for (position, node) in members.enumerated() {
            var noted = false
            for (uniquePosition, unique) in members.enumerated() where isUnique(unique) {
                guard namespaceNumber(unique) != namespaceNumber(node) else { continue }
                if noteCooccurrence(node, with: unique, time: time) {
                    record(.cooccurred(identities[position], with: identities[uniquePosition]))
                }
                noted = true
            }
            if noted && !nodes[Int(node)].flags.contains(.shared) { flagIfShared(node, identity: identities[position]) }
        }
    }

    /// Remembers that `node` was seen with `unique` at `time`, forgetting pairs older than the window.
    ///
    /// - Returns: whether the pair deserves a log entry: new, or last logged more than half a window ago.
    @discardableResult
    mutating func noteCooccurrence(_ node: Int32, with unique: Int32, time: Int64) -> Bool {
        let horizon = time - rules.sharedIdentityWindow
        var list = cooccurrences.removeValue(forKey: node) ?? []
        list.removeAll { $0.time < horizon }
        var shouldLog = false
        if let position = list.firstIndex(where: { $0.unique == unique }) {
            list[position].time = max(list[position].time, time)
            if time - list[position].logged >= rules.sharedIdentityWindow / 2 {
                list[position].logged = time
                shouldLog = true
            }
        } else {
            list.append(Cooccurrence(unique: unique, namespace: namespaceNumber(unique), time: time, logged: time))
            shouldLog = true
        }
        cooccurrences[node] = list
        nodes[Int(node)].flags.insert(.hasCooccurrences)
        return shouldLog
    }

    /// Flags `node` as shared when it was seen with more distinct values of one unique namespace than
    /// the threshold allows.
    private mutating func flagIfShared(_ node: Int32, identity: Identity) {
        guard let list = cooccurrences[node], list.count > rules.sharedIdentityThreshold else { return }
        var counts: [Int32: Int] = [:]
        for item in list { counts[item.namespace, default: 0] += 1 }
        let over = counts.filter { $0.value > rules.sharedIdentityThreshold }
        guard let (namespace, count) = over.min(by: { $0.key < $1.key }) else { return }
        nodes[Int(node)].flags.insert(.shared)
        record(.flagged(identity, namespace: index.namespaces[Int(namespace)], distinctValues: count))
    }

    /// Evicts identities from the anchor's profile, and from any part it falls into, until each is
    /// within `maxIdentitiesPerProfile`.
    ///
    /// The victim is an identity of the lowest-priority namespace present, the least recently seen
    /// (then the one first seen earliest). It leaves every profile; if it held the profile together,
    /// the profile splits.
    ///
    /// - Complexity: O(1) when within the limit; O(n + e) in the profile's size per eviction.
    mutating func enforceLimit(around anchor: Int32) -> [Split] {
        let anchorRoot = find(anchor)
        guard Int(nodes[Int(anchorRoot)].size) > rules.maxIdentitiesPerProfile else { return [] }
        var splits: [Split] = []
        var work = [anchorRoot]
        while let root = work.popLast() {
            guard Int(nodes[Int(root)].size) > rules.maxIdentitiesPerProfile, nodes[Int(root)].profile != 0 else {
                continue
            }
            let victim = members(of: root).max { isBetterToKeep($0, than: $1) }!
            let split = evict(victim)
            splits.append(split)
            for part in split.parts {
                if let node = index.node(of: part.identities[0]) { work.append(find(node)) }
            }
        }
        return splits
    }

    /// Whether `first` should outlast `second`: higher priority, then seen more recently, then earlier.
    private func isBetterToKeep(_ first: Int32, than second: Int32) -> Bool {
        let (firstRank, secondRank) = (rank(first), rank(second))
        if firstRank != secondRank { return firstRank < secondRank }
        let (one, other) = (times[Int(first)], times[Int(second)])
        if one.lastSeen != other.lastSeen { return one.lastSeen > other.lastSeen }
        if one.firstSeen != other.firstSeen { return one.firstSeen < other.firstSeen }
        return first < second
    }

    /// Takes an identity out of its profile to respect the limit; it belongs to no profile until it
    /// is seen again.
    mutating func evict(_ node: Int32) -> Split {
        let root = find(node)
        let profile = nodes[Int(root)].profile
        let firstEntry = pending.count
        record(.evicted(index.identity(node), from: ProfileID(rawValue: profile)))
        let neighbours = deactivateLinks(of: node)
        let parts = rebuild(profile: profile, oldRoot: root, starts: neighbours, isolating: node)
        nodes[Int(node)].flags.insert(.evicted)
        evictionCount += 1
        return Split(
            profile: ProfileID(rawValue: profile), parts: parts, detached: [index.identity(node)],
            entries: Array(pending[firstEntry...]))
    }
}
