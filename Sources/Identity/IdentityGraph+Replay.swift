extension GraphState {
    /// See `IdentityGraph.replay(_:)`.
    mutating func replay(_ entries: some Sequence<LogEntry>) {
        replaying = true
        defer { replaying = false }
        var currentObservation: Int64 = -1
        for entry in entries {
            if entry.observation != currentObservation || entry.provenance != operationProvenance {
                currentObservation = entry.observation
                operationProvenance = entry.provenance
                operationProvenanceIndex = -1
            }
            observationCount = max(observationCount, entry.observation)
            entrySequence = max(entrySequence, entry.sequence)
            if retainsLog { retained.append(entry) }
            apply(entry.change, time: entry.provenance.time.milliseconds)
        }
    }

    private mutating func apply(_ change: LogEntry.Change, time: Int64) {
        switch change {
        case .touched(let identity):
            _ = replayNode(identity, time: time)
        case .created(let profile, let identity):
            let node = replayNode(identity, time: nil)
            if nodes[Int(find(node))].profile == 0 {
                startProfile(around: node, identity: identity, id: profile.rawValue)
            }
        case .linked(let a, let b):
            replayLink(replayNode(a, time: nil), replayNode(b, time: nil))
        case .merged(let from, let into):
            if from != into && canonical(from.rawValue) == from.rawValue && Int(from.rawValue) < redirect.count {
                retireProfile(from.rawValue)
                redirect[Int(from.rawValue)] = into.rawValue
            }
        case .refused(let a, let b, let refusal):
            replayRefusal(replayNode(a, time: nil), replayNode(b, time: nil), refusal)
        case .cooccurred(let identity, let unique):
            noteCooccurrence(replayNode(identity, time: nil), with: replayNode(unique, time: nil), time: time)
        case .flagged(let identity, _, _):
            nodes[Int(replayNode(identity, time: nil))].flags.insert(.shared)
        case .evicted(let identity, _):
            let node = replayNode(identity, time: nil)
            if profileID(of: node) != nil { _ = evict(node) }
        case .unlinked(let a, let b):
            replayUnlink(replayNode(a, time: nil), replayNode(b, time: nil))
        case .removed(let identity, let from, let into):
            let node = replayNode(identity, time: nil)
            let root = find(node)
            if nodes[Int(root)].profile != 0 && nodes[Int(root)].size > 1 {
                _ = remove(node, from: nodes[Int(root)].profile, into: into.rawValue)
            } else {
                addExclusion(Exclusion(node: node, profile: from.rawValue), root: root)
                nodes[Int(node)].flags.insert(.removed)
            }
        case .split(_, let into, let identities):
            guard let first = identities.first else { return }
            settle(replayNode(first, time: nil), in: into.rawValue)
        }
    }

    /// The node of a replayed identity, created when new; `time` (when given) widens its seen times.
    private mutating func replayNode(_ identity: Identity, time: Int64?) -> Int32 {
        let (node, isNew) = index.intern(identity)
        if isNew {
            addNode(node, time: time ?? operationProvenance.time.milliseconds)
        } else if let time {
            let slot = Int(node)
            times[slot].firstSeen = min(times[slot].firstSeen, time)
            times[slot].lastSeen = max(times[slot].lastSeen, time)
            times[slot].lastTouch = max(times[slot].lastTouch, time)
        }
        return node
    }

    private mutating func replayLink(_ a: Int32, _ b: Int32) {
        guard a != b else { return }
        let provenance = currentProvenanceIndex()
        if let number = edge(between: a, b) {
            edges[Int(number)].state = .active
            edges[Int(number)].provenance = provenance
        } else {
            _ = addEdge(a, b, state: .active, provenance: provenance)
        }
        let (first, second) = (find(a), find(b))
        if first != second { join(first, second) }
        placed(a)
        placed(b)
    }

    private mutating func replayRefusal(_ a: Int32, _ b: Int32, _ refusal: Refusal) {
        guard a != b else { return }
        let provenance = currentProvenanceIndex()
        let number = Int(edge(between: a, b) ?? addEdge(a, b, state: .refused, provenance: provenance))
        deactivate(Int32(number), to: .refused)
        edges[number].provenance = provenance
        switch refusal {
        case .uniqueConflict(let namespace):
            edges[number].refusal = .uniqueConflict
            edges[number].argument = Int64(index.internNamespace(namespace))
        case .sharedIdentity(let identity):
            edges[number].refusal = .sharedIdentity
            edges[number].argument = Int64(replayNode(identity, time: nil))
        case .removedFromProfile(let profile):
            edges[number].refusal = .removedFromProfile
            edges[number].argument = profile.rawValue
        }
    }

    private mutating func replayUnlink(_ a: Int32, _ b: Int32) {
        guard let number = edge(between: a, b) else { return }
        let wasActive = edges[Int(number)].state == .active
        deactivate(number, to: .unlinked)
        edges[Int(number)].provenance = currentProvenanceIndex()
        guard wasActive else { return }
        let root = find(a)
        _ = rebuild(profile: nodes[Int(root)].profile, oldRoot: root, starts: [a, b])
    }

    /// Makes sure the component of `node` carries the profile id a `split` entry recorded.
    private mutating func settle(_ node: Int32, in profile: Int64) {
        let root = find(node)
        let current = nodes[Int(root)].profile
        guard current != profile else { return }
        if current != 0 && self.root(ofProfile: current) == root { retireProfile(current) }
        nodes[Int(root)].profile = profile
        setRoot(root, ofProfile: profile)
    }
}
