extension GraphState {
    /// See `IdentityGraph.observe(_:provenance:)`.
    mutating func observe(_ identities: [Identity], provenance: Provenance) -> Resolution {
        beginOperation(provenance)
        let time = provenance.time.milliseconds
        var probes = scratchProbes
        scratchProbes = []
        lookUp(identities, into: &probes)

        var ignored: [Identity] = []
        var members = scratchMembers
        var order = scratchOrder
        scratchMembers = []
        scratchOrder = []
        members.removeAll(keepingCapacity: true)
        order.removeAll(keepingCapacity: true)
        for (position, identity) in identities.enumerated() {
            guard let probe = probes[position] else {
                ignored.append(identity)
                continue
            }
            let node = sight(identity, probe: probe, time: time)
            guard !members.contains(node) else { continue }
            insertByPriority(node, position, into: &members, &order)
        }
        let inOrder = order.count == identities.count && order.indices.allSatisfy { order[$0] == $0 }
        let memberIdentities = inOrder ? identities : order.map { identities[$0] }

        let anchorPosition = place(members, memberIdentities, time: time)
        var splits: [Split] = []
        if let anchorPosition { splits = enforceLimit(around: members[anchorPosition]) }

        let profileNode = anchorPosition.map { members[$0] } ?? members.first
        let resolution = Resolution(
            observation: observationCount, profile: profileNode.flatMap { profileID(of: $0) },
            identities: memberIdentities, ignored: ignored, entries: pending, splits: splits)
        pending = []
        scratchMembers = members
        scratchOrder = order
        scratchProbes = probes
        return resolution
    }

    /// Looks up every identity of a record that is not blocked (nil for blocked ones), all before
    /// changing anything, so that the processor can overlap the lookups' cache misses.
    @inline(__always)
    private mutating func lookUp(_ identities: [Identity], into probes: inout [IdentityIndex.Probe?]) {
        probes.removeAll(keepingCapacity: true)
        for identity in identities {
            probes.append(isBlocked(identity.value) ? nil : index.probe(identity))
        }
    }

    /// Links the record's members to its anchor (the first that is not shared), gives a profile to
    /// any left without one, and returns the anchor's position.
    private mutating func place(_ members: [Int32], _ memberIdentities: [Identity], time: Int64) -> Int? {
        noteCooccurrences(members, identities: memberIdentities, time: time)
        let anchorPosition = members.firstIndex { !nodes[Int($0)].flags.contains(.shared) }
        if let anchorPosition {
            for position in members.indices where position != anchorPosition {
                connect(
                    anchor: members[anchorPosition], anchorIdentity: memberIdentities[anchorPosition],
                    to: members[position], identity: memberIdentities[position])
            }
        }
        for (position, node) in members.enumerated() where nodes[Int(find(node))].profile == 0 {
            startProfile(around: node, identity: memberIdentities[position])
        }
        return anchorPosition
    }

    /// Whether a value is blocked. Printable-ASCII values are compared byte by byte, ignoring case,
    /// with the blocked values of their length, without building a String; anything else (spaces to
    /// trim, non-ASCII case rules) takes `IdentityRules.isBlocked`.
    @inline(__always)
    func isBlocked(_ value: String) -> Bool {
        let bytes = value.utf8
        let length = bytes.count
        guard length > 0 else { return true }
        guard length < blockedByLength.count && !blockedByLength[length].isEmpty else {
            return blockedByLength.isEmpty ? false : !isPrintableASCII(bytes) && rules.isBlocked(value)
        }
        guard isPrintableASCII(bytes) else { return rules.isBlocked(value) }
        return blockedByLength[length].contains { blocked in
            zip(blocked, bytes).allSatisfy { pair in
                pair.0 == ((0x41...0x5A).contains(pair.1) ? pair.1 | 0x20 : pair.1)
            }
        }
    }

    @inline(__always)
    private func isPrintableASCII(_ bytes: String.UTF8View) -> Bool {
        bytes.allSatisfy { (0x21..<0x7F).contains($0) }
    }

    /// The node of an identity in a record at `time`: created when new (its first `created` or
    /// `linked` entry will record it), otherwise its times are updated and a `touched` entry is
    /// written when the last entry about it is older than the interval (or the time is earlier than
    /// its first sighting).
    mutating func sight(_ identity: Identity, probe: IdentityIndex.Probe, time: Int64) -> Int32 {
        let (node, isNew) = index.intern(identity, probe: probe)
        if isNew {
            addNode(node, time: time)
            return node
        }
        let slot = Int(node)
        if time > times[slot].lastSeen { times[slot].lastSeen = time }
        if time < times[slot].firstSeen || time - times[slot].lastTouch >= rules.touchInterval {
            times[slot].firstSeen = min(times[slot].firstSeen, time)
            times[slot].lastTouch = max(times[slot].lastTouch, time)
            record(.touched(identity))
        }
        return node
    }

    /// Adds the record of a node just interned.
    mutating func addNode(_ node: Int32, time: Int64) {
        let namespace = index.namespace(of: node)
        while namespaceRank.count <= Int(namespace) {
            let name = index.namespaces[namespaceRank.count]
            namespaceRank.append(Int32(rules.rank(of: name)))
            namespaceUnique.append(rules.isUnique(name))
        }
        var flags: NodeFlags = []
        if namespaceUnique[Int(namespace)] {
            uniqueMembers[node] = [node]
            flags.insert(.hasUniques)
        }
        nodes.append(
            Node(profile: 0, parent: node, size: 1, head: -1, degree: 0, namespace: namespace, flags: flags))
        times.append(NodeTimes(firstSeen: time, lastSeen: time, lastTouch: time))
        visitMark.append(0)
    }

    /// Inserts a node keeping the list ordered by priority, with its position in the record;
    /// equal priorities keep record order.
    private func insertByPriority(_ node: Int32, _ position: Int, into members: inout [Int32], _ order: inout [Int]) {
        let nodeRank = rank(node)
        var place = members.count
        while place > 0 && rank(members[place - 1]) > nodeRank { place -= 1 }
        if place == members.count {
            members.append(node)
            order.append(position)
        } else {
            members.insert(node, at: place)
            order.insert(position, at: place)
        }
    }

    /// Links `node` to the record's anchor, or refuses the link and logs why.
    mutating func connect(anchor: Int32, anchorIdentity: Identity, to node: Int32, identity: Identity) {
        let anchorRoot = find(anchor)
        let nodeRoot = find(node)
        // Active edges lie inside one component, so between components only an inactive one can exist.
        let mayHaveEdge =
            anchorRoot == nodeRoot
            || nodes[Int(anchor)].flags.contains(.hasInactiveLinks)
                && nodes[Int(node)].flags.contains(.hasInactiveLinks)
        let existing = mayHaveEdge ? edge(between: anchor, node) : nil
        if let existing, edges[Int(existing)].state == .unlinked { return }
        // A link already made stands: being flagged as shared stops an identity making new links,
        // and cutting this one here would leave its profile split without a split.
        if let existing, edges[Int(existing)].state == .active { return }
        if nodes[Int(node)].flags.contains(.shared) {
            refuse(existing, anchor, anchorIdentity, node, identity, code: .sharedIdentity, argument: Int64(node))
            return
        }
        if anchorRoot != nodeRoot, let (code, argument) = conflict(anchorRoot, nodeRoot) {
            refuse(existing, anchor, anchorIdentity, node, identity, code: code, argument: argument)
            return
        }

        let provenance = currentProvenanceIndex()
        if let existing {
            edges[Int(existing)].state = .active
            edges[Int(existing)].provenance = provenance
        } else {
            _ = addEdge(anchor, node, state: .active, provenance: provenance)
        }
        record(.linked(anchorIdentity, identity))
        if anchorRoot != nodeRoot { join(anchorRoot, nodeRoot) }
        placed(anchor)
        placed(node)
    }

    /// Marks a link refused, logging it unless it was already refused for the same reason.
    private mutating func refuse(
        _ existing: Int32?, _ anchor: Int32, _ anchorIdentity: Identity, _ node: Int32, _ identity: Identity,
        code: RefusalCode, argument: Int64
    ) {
        let number: Int32
        if let existing {
            let edge = edges[Int(existing)]
            if edge.state == .refused && edge.refusal == code && edge.argument == argument { return }
            number = existing
        } else {
            number = addEdge(anchor, node, state: .refused, provenance: currentProvenanceIndex())
        }
        deactivate(number, to: .refused)
        edges[Int(number)].refusal = code
        edges[Int(number)].argument = argument
        edges[Int(number)].provenance = currentProvenanceIndex()
        record(.refused(anchorIdentity, identity, refusal(of: edges[Int(number)])))
    }

    /// Why two components may not join, as a refusal code and its argument, or nil when they may.
    func conflict(_ first: Int32, _ second: Int32) -> (RefusalCode, Int64)? {
        let (firstFlags, secondFlags) = (nodes[Int(first)].flags, nodes[Int(second)].flags)
        if firstFlags.contains(.hasUniques) && secondFlags.contains(.hasUniques),
            let firstUniques = uniqueMembers[first], let secondUniques = uniqueMembers[second]
        {
            for one in firstUniques {
                let namespace = namespaceNumber(one)
                for other in secondUniques where other != one && namespaceNumber(other) == namespace {
                    return (.uniqueConflict, Int64(namespace))
                }
            }
        }
        if firstFlags.contains(.hasExclusions),
            let profile = excluded(exclusions[first], from: nodes[Int(second)].profile)
        {
            return (.removedFromProfile, profile)
        }
        if secondFlags.contains(.hasExclusions),
            let profile = excluded(exclusions[second], from: nodes[Int(first)].profile)
        {
            return (.removedFromProfile, profile)
        }
        return nil
    }

    private func excluded(_ list: [Exclusion]?, from profile: Int64) -> Int64? {
        guard let list, profile != 0 else { return nil }
        return list.contains { canonical($0.profile) == profile } ? profile : nil
    }

    /// Joins two components; the older profile survives and the younger one redirects to it.
    mutating func join(_ first: Int32, _ second: Int32) {
        let (firstProfile, secondProfile) = (nodes[Int(first)].profile, nodes[Int(second)].profile)
        let (root, absorbed) = nodes[Int(first)].size >= nodes[Int(second)].size ? (first, second) : (second, first)
        nodes[Int(absorbed)].parent = root
        nodes[Int(root)].size += nodes[Int(absorbed)].size
        let absorbedFlags = nodes[Int(absorbed)].flags
        if absorbedFlags.contains(.hasUniques), let moved = uniqueMembers.removeValue(forKey: absorbed) {
            uniqueMembers[root, default: []].append(contentsOf: moved)
            nodes[Int(root)].flags.insert(.hasUniques)
        }
        if absorbedFlags.contains(.hasExclusions), let moved = exclusions.removeValue(forKey: absorbed) {
            exclusions[root, default: []].append(contentsOf: moved)
            nodes[Int(root)].flags.insert(.hasExclusions)
        }
        nodes[Int(absorbed)].flags.subtract([.hasUniques, .hasExclusions])

        var survivor = max(firstProfile, secondProfile)
        if firstProfile != 0 && secondProfile != 0 {
            survivor = min(firstProfile, secondProfile)
            let younger = max(firstProfile, secondProfile)
            redirect[Int(younger)] = survivor
            retireProfile(younger)
            record(.merged(ProfileID(rawValue: younger), into: ProfileID(rawValue: survivor)))
        }
        nodes[Int(root)].profile = survivor
        if survivor != 0 { setRoot(root, ofProfile: survivor) }
    }

    /// Gives a component without a profile a new one (`id` when replaying).
    mutating func startProfile(around node: Int32, identity: Identity, id: Int64? = nil) {
        let root = find(node)
        let profile = id ?? nextProfile
        nodes[Int(root)].profile = profile
        setRoot(root, ofProfile: profile)
        record(.created(ProfileID(rawValue: profile), identity))
        placed(node)
    }

    /// Clears the evicted flag of a node now placed in a profile.
    @inline(__always)
    mutating func placed(_ node: Int32) {
        if nodes[Int(node)].flags.contains(.evicted) { nodes[Int(node)].flags.remove(.evicted) }
    }

    /// Sets or clears the per-root lists of a component root.
    mutating func setUniques(_ list: [Int32], root: Int32) {
        if list.isEmpty {
            nodes[Int(root)].flags.remove(.hasUniques)
        } else {
            uniqueMembers[root] = list
            nodes[Int(root)].flags.insert(.hasUniques)
        }
    }

    mutating func addExclusion(_ exclusion: Exclusion, root: Int32) {
        exclusions[root, default: []].append(exclusion)
        nodes[Int(root)].flags.insert(.hasExclusions)
    }
}
