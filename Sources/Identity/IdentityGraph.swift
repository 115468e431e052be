import TesseraCore

/// The identity graph: identities joined by links, each connected group of identities one profile.
///
/// Identities are interned to dense `Int32` nodes; profiles are kept with a union-find (union by size,
/// path halving) inside per-node records, so observing a record costs a few hash probes and
/// near-constant set operations. Links are also kept as edges threaded into per-node adjacency lists,
/// which `explain` walks and which splits recompute from when a link or identity goes away (rare,
/// O(size of the profile)).
///
/// Decisions follow one `IdentityRules`: unique namespaces with priority, a size limit per profile,
/// shared-identity flagging, blocked values. Every decision is written to an append-only log of
/// self-sufficient `LogEntry`s that the caller persists; `init(rules:replaying:)` rebuilds the same
/// graph from them.
///
/// Not `Sendable`: one graph belongs to the single writer thread, which serialises every change.
public final class IdentityGraph {
    /// The rules the graph decides by.
    public let rules: IdentityRules

    /// Whether the graph keeps its own copy of the log for `log`. Callers that persist entries as
    /// they come can turn this off to save about 150 bytes per entry.
    public let retainsLog: Bool

    /// Everything the graph holds. One stored struct, changed through its mutating methods, so that
    /// the hot path pays one exclusivity check per call rather than one per field it touches.
    var core: GraphState

    /// Creates an empty graph.
    ///
    /// - Parameters:
    ///   - rules: the rules to decide by.
    ///   - retainsLog: whether to keep the log in memory for `log`.
    public init(rules: IdentityRules, retainsLog: Bool = true) {
        self.rules = rules
        self.retainsLog = retainsLog
        core = GraphState(rules: rules, retainsLog: retainsLog)
    }

    /// Rebuilds a graph from its log, as persisted: the same profiles, ids, links, refusals, flags
    /// and redirects as when the entries were written, whatever `rules` say now.
    ///
    /// Rules still govern what the rebuilt graph decides from then on. Identities' last-seen times
    /// are as precise as `touchInterval` made the log.
    ///
    /// - Parameters:
    ///   - rules: the rules for decisions after the rebuild.
    ///   - entries: the log in sequence order.
    ///   - retainsLog: whether to keep the entries (and later ones) for `log`.
    /// - Complexity: O(entries) near-constant steps, plus O(n + e) per profile split in the log.
    public convenience init(rules: IdentityRules, replaying entries: some Sequence<LogEntry>, retainsLog: Bool = true) {
        self.init(rules: rules, retainsLog: retainsLog)
        replay(entries)
    }

    /// Applies persisted entries to this graph (which should hold only earlier entries of the same log).
    public func replay(_ entries: some Sequence<LogEntry>) {
        core.replay(entries)
    }

    /// Takes in the identities of one record: links them, refuses what the rules forbid, flags shared
    /// identities, keeps the profile within its limit, and says which profile the record belongs to.
    ///
    /// The record's identities are ordered by priority; the first that is not shared is its anchor,
    /// and each other identity is linked to the anchor unless that would join two profiles holding
    /// different values of a unique namespace, or rejoin an identity to a profile it was removed
    /// from. Refused links are logged once per pair and reason. Identities in no profile afterwards
    /// get one.
    ///
    /// - Parameters:
    ///   - identities: the record's normalised identities (see `IdentityNormalizer`); repeats and
    ///     blocked values are ignored.
    ///   - provenance: the record's sequence, source, extraction rule and event time.
    /// - Returns: the record's profile and every change, to persist with the record.
    /// - Complexity: O(k²) in the record's k identities for ordering and de-duplication, plus hash
    ///   probes, near-constant union-find steps and an O(min degree) scan for the existing link per
    ///   identity; an eviction adds O(n + e) in the profile's size.
    public func observe(_ identities: [Identity], provenance: Provenance) -> Resolution {
        core.observe(identities, provenance: provenance)
    }

    /// Removes the link between two identities by request; if nothing else holds their profile
    /// together, it splits. New evidence never makes this link again (other links may still join them).
    ///
    /// - Parameters:
    ///   - a: one end of the link.
    ///   - b: the other end.
    ///   - provenance: who asked and when (the rule names the request, e.g. `request.unlink`).
    /// - Returns: the parts the profile became (the part holding its oldest identity keeps the id), or
    ///   an unchanged result when the two are not directly linked.
    /// - Complexity: O(n + e) in the profile's size.
    public func unlink(_ a: Identity, _ b: Identity, provenance: Provenance) -> Split {
        core.unlink(a, b, provenance: provenance)
    }

    /// Takes an identity out of a profile by request and gives it a new profile of its own; if it held
    /// the rest together, the rest splits. It never rejoins the profile it was removed from.
    ///
    /// - Parameters:
    ///   - identity: the identity to take out.
    ///   - profile: the profile it is in (a merged-away id is followed to the live one).
    ///   - provenance: who asked and when.
    /// - Returns: the parts the profile became, then the identity's new profile; unchanged when the
    ///   identity is not in that profile or is its only identity.
    /// - Complexity: O(n + e) in the profile's size.
    public func remove(_ identity: Identity, from profile: ProfileID, provenance: Provenance) -> Split {
        core.remove(identity, from: profile, provenance: provenance)
    }

    /// Why two identities are, or are not, in one profile.
    ///
    /// When joined: the shortest chain of active links between them, each with its provenance. When
    /// not: every reason that applies (unknown or blocked value, a shared, evicted or removed identity)
    /// and the chain with the fewest inactive links between them, whose refused, unlinked or detached
    /// links are reasons too; `noPath` when no chain exists at all.
    ///
    /// - Complexity: O((n + e) log n) over the part of the graph within reach, stopping after
    ///   `GraphState.explainVisitLimit` nodes.
    public func explain(from a: Identity, to b: Identity) -> Explanation {
        core.explain(from: a, to: b)
    }

    /// Reserves room for `identities` identities and `links` links, to avoid regrowth in bulk loads.
    public func reserveCapacity(identities: Int, links: Int) {
        core.reserveCapacity(identities: identities, links: links)
    }

    /// The log entries written so far, oldest first (empty when `retainsLog` is false).
    public var log: [LogEntry] { core.retained }

    /// The number of the last log entry written.
    public var lastSequence: Int64 { core.entrySequence }

    /// The number of profiles.
    public var profileCount: Int { core.liveProfiles }

    /// The number of identities ever seen.
    public var identityCount: Int { core.index.count }

    /// The number of links of any state (active, refused, unlinked, detached).
    public var linkCount: Int { core.edges.count }

    /// About how many bytes the graph holds in its arrays (capacities, not counting per-root lists,
    /// co-occurrences and a retained log), for memory reports.
    package var approximateBytes: Int {
        core.index.bytes + core.nodes.capacity * MemoryLayout<Node>.stride
            + core.times.capacity * MemoryLayout<NodeTimes>.stride + core.visitMark.capacity * 4
            + core.edges.capacity * MemoryLayout<Edge>.stride + core.provenances.bytes
            + core.profileRoot.capacity * 4 + core.redirect.capacity * 8
    }

    /// The profile an identity belongs to; nil when unknown or evicted.
    ///
    /// - Complexity: a hash probe and a near-constant `find`.
    public func profile(of identity: Identity) -> ProfileID? {
        guard let node = core.index.node(of: identity) else { return nil }
        return core.profileID(of: node)
    }

    /// The live id a profile id stands for now, following merge redirects; ids that never existed
    /// come back unchanged.
    public func canonical(_ id: ProfileID) -> ProfileID {
        ProfileID(rawValue: core.canonical(id.rawValue))
    }

    /// Whether `id` is a live profile (not merged away, not emptied).
    public func exists(_ id: ProfileID) -> Bool {
        core.root(ofProfile: id.rawValue) != nil
    }

    /// All live profile ids, in increasing order.
    ///
    /// - Complexity: O(p) in the number of profile ids ever handed out.
    public var profiles: [ProfileID] {
        core.profileRoot.indices.filter { core.profileRoot[$0] >= 0 }.map { ProfileID(rawValue: Int64($0)) }
    }

    /// The identities of a profile (after redirects), highest priority first, with when they were seen
    /// and their flags.
    ///
    /// - Complexity: O(n + e) in the profile's identities and their links.
    public func identities(in profile: ProfileID) -> [IdentityState] {
        guard let root = core.root(ofProfile: core.canonical(profile.rawValue)) else { return [] }
        let members = core.sortedByPriority(core.members(of: root))
        return members.map { core.identityState(of: $0) }
    }

    /// What the graph knows about one identity, or nil when it was never seen.
    public func state(of identity: Identity) -> IdentityState? {
        guard let node = core.index.node(of: identity) else { return nil }
        return core.identityState(of: node)
    }

    /// Every link touching a profile's identities, in any state, in the order they were first made.
    ///
    /// - Complexity: O(n + e) in the profile's identities and their links.
    public func links(in profile: ProfileID) -> [LinkRecord] {
        guard let root = core.root(ofProfile: core.canonical(profile.rawValue)) else { return [] }
        var seen = Set<Int32>()
        for node in core.members(of: root) {
            core.forEachEdge(of: node) { edge, _ in seen.insert(edge) }
        }
        return seen.sorted().map { core.linkRecord($0, from: nil) }
    }
}

/// The graph's state and the operations on it.
struct GraphState {
    let rules: IdentityRules
    let retainsLog: Bool

    var index = IdentityIndex()
    var nodes: [Node] = []
    /// When each node was seen, beside `nodes`.
    var times: [NodeTimes] = []
    var edges: [Edge] = []

    // Per namespace number.
    var namespaceRank: [Int32] = []
    var namespaceUnique: [Bool] = []

    // Per root, only where flagged (`hasUniques`, `hasExclusions`).
    /// The component's nodes of unique namespaces.
    var uniqueMembers: [Int32: [Int32]] = [:]
    /// Nodes of the component that were removed from a profile and may not rejoin it.
    var exclusions: [Int32: [Exclusion]] = [:]
    /// Per node flagged `hasCooccurrences`: the unique-namespace values seen with it, and when.
    var cooccurrences: [Int32: [Cooccurrence]] = [:]

    // Profiles, by id (index 0 unused).
    /// The root node of each live profile, or -1.
    var profileRoot: [Int32] = [-1]
    /// The profile each merged-away profile redirects to, or 0.
    var redirect: [Int64] = [0]
    var liveProfiles = 0
    var nextProfile: Int64 = 1
    /// Identities evicted so far, replayed evictions included.
    var evictionCount = 0

    // The log.
    var provenances = ProvenanceStore()
    var retained: [LogEntry] = []
    var entrySequence: Int64 = 0
    var observationCount: Int64 = 0
    var replaying = false
    /// The entries of the operation in progress.
    var pending: [LogEntry] = []
    var operationProvenance = Provenance(rule: "", time: Timestamp(milliseconds: 0))
    var operationProvenanceIndex: Int32 = -1

    var visitMark: [UInt32] = []
    var visitStamp: UInt32 = 0
    /// The blocked values' UTF-8 bytes, indexed by their length, for `isBlocked`.
    let blockedByLength: [[[UInt8]]]
    /// The record's nodes, their positions in the record and its lookups, kept between observations
    /// to reuse the buffers.
    var scratchMembers: [Int32] = []
    var scratchOrder: [Int] = []
    var scratchProbes: [IdentityIndex.Probe?] = []
    /// The hashes of the identities of records a batch will reach, by record modulo
    /// `readAheadRecords`, `readAheadIdentities` per record (0 for none).
    var readAheadHashes: [UInt64] = []

    init(rules: IdentityRules, retainsLog: Bool) {
        self.rules = rules
        self.retainsLog = retainsLog
        let blocked = rules.blockedValues.map { Array($0.utf8) }
        var byLength = [[[UInt8]]](repeating: [], count: (blocked.map(\.count).max() ?? -1) + 1)
        for value in blocked { byLength[value.count].append(value) }
        blockedByLength = byLength
    }

    mutating func reserveCapacity(identities: Int, links: Int) {
        index.reserveCapacity(identities)
        nodes.reserveCapacity(identities)
        times.reserveCapacity(identities)
        visitMark.reserveCapacity(identities)
        edges.reserveCapacity(links)
        provenances.reserveCapacity(links)
    }

    // MARK: - Union-find over the node records

    /// The root of `node`'s component, halving the path on the way.
    @inline(__always)
    mutating func find(_ node: Int32) -> Int32 {
        var node = Int(node)
        nodes.withUnsafeMutableBufferPointer { nodes in
            while nodes[node].parent != Int32(node) {
                let grandparent = nodes[Int(nodes[node].parent)].parent
                nodes[node].parent = grandparent
                node = Int(grandparent)
            }
        }
        return Int32(node)
    }

    /// Makes `root` the root of exactly `members` (which include it), as after a split.
    mutating func reset(_ members: [Int32], root: Int32) {
        for member in members { nodes[Int(member)].parent = root }
        nodes[Int(root)].size = Int32(members.count)
    }

    // MARK: - Profiles

    func canonical(_ id: Int64) -> Int64 {
        var id = id
        while id > 0 && id < Int64(redirect.count) && redirect[Int(id)] != 0 { id = redirect[Int(id)] }
        return id
    }

    func root(ofProfile id: Int64) -> Int32? {
        guard id > 0 && id < Int64(profileRoot.count), profileRoot[Int(id)] >= 0 else { return nil }
        return profileRoot[Int(id)]
    }

    /// Records `root` as the root of live profile `id`.
    mutating func setRoot(_ root: Int32, ofProfile id: Int64) {
        while profileRoot.count <= Int(id) {
            profileRoot.append(-1)
            redirect.append(0)
        }
        if profileRoot[Int(id)] < 0 { liveProfiles += 1 }
        profileRoot[Int(id)] = root
        nextProfile = max(nextProfile, id + 1)
    }

    /// Forgets profile `id` as live (merged away or emptied).
    mutating func retireProfile(_ id: Int64) {
        guard id > 0 && id < Int64(profileRoot.count), profileRoot[Int(id)] >= 0 else { return }
        profileRoot[Int(id)] = -1
        liveProfiles -= 1
    }

    mutating func profileID(of node: Int32) -> ProfileID? {
        let profile = nodes[Int(find(node))].profile
        return profile == 0 ? nil : ProfileID(rawValue: profile)
    }

    mutating func identityState(of node: Int32) -> IdentityState {
        let record = nodes[Int(node)]
        let seen = times[Int(node)]
        return IdentityState(
            identity: index.identity(node), profile: profileID(of: node),
            firstSeen: Timestamp(milliseconds: seen.firstSeen), lastSeen: Timestamp(milliseconds: seen.lastSeen),
            isShared: record.flags.contains(.shared), isEvicted: record.flags.contains(.evicted),
            wasRemoved: record.flags.contains(.removed))
    }

    // MARK: - Namespaces

    @inline(__always)
    func rank(_ node: Int32) -> Int32 { namespaceRank[Int(nodes[Int(node)].namespace)] }

    @inline(__always)
    func isUnique(_ node: Int32) -> Bool { namespaceUnique[Int(nodes[Int(node)].namespace)] }

    @inline(__always)
    func namespaceNumber(_ node: Int32) -> Int32 { nodes[Int(node)].namespace }

    /// Nodes ordered by priority, then identity, for stable output.
    func sortedByPriority(_ list: [Int32]) -> [Int32] {
        list.sorted {
            let (left, right) = (rank($0), rank($1))
            return left != right ? left < right : index.identity($0) < index.identity($1)
        }
    }

    // MARK: - Edges

    /// Calls `body` with each edge touching `node` and the edge itself.
    @inline(__always)
    func forEachEdge(of node: Int32, _ body: (Int32, Edge) -> Void) {
        var current = nodes[Int(node)].head
        while current >= 0 {
            let edge = edges[Int(current)]
            body(current, edge)
            current = edge.next(for: node)
        }
    }

    /// The edge between two nodes, if any, found by walking the shorter adjacency list.
    ///
    /// - Complexity: O(min(degree(a), degree(b))).
    func edge(between a: Int32, _ b: Int32) -> Int32? {
        let (walk, target) = nodes[Int(a)].degree <= nodes[Int(b)].degree ? (a, b) : (b, a)
        var current = nodes[Int(walk)].head
        while current >= 0 {
            let edge = edges[Int(current)]
            if edge.other(than: walk) == target { return current }
            current = edge.next(for: walk)
        }
        return nil
    }

    /// Adds an edge between two nodes that have none.
    mutating func addEdge(_ a: Int32, _ b: Int32, state: EdgeState, provenance: Int32) -> Int32 {
        let number = Int32(edges.count)
        edges.append(
            Edge(
                argument: -1, a: a, b: b, nextA: nodes[Int(a)].head, nextB: nodes[Int(b)].head, provenance: provenance,
                state: state, refusal: .uniqueConflict))
        nodes[Int(a)].head = number
        nodes[Int(b)].head = number
        nodes[Int(a)].degree += 1
        nodes[Int(b)].degree += 1
        if state != .active { markInactive(number) }
        return number
    }

    /// Sets an edge's state to an inactive one, flagging both ends `hasInactiveLinks`.
    mutating func deactivate(_ number: Int32, to state: EdgeState) {
        edges[Int(number)].state = state
        markInactive(number)
    }

    /// Flags both ends of an edge as touching an inactive link (the flag is never cleared).
    @inline(__always)
    mutating func markInactive(_ number: Int32) {
        let (a, b) = (edges[Int(number)].a, edges[Int(number)].b)
        nodes[Int(a)].flags.insert(.hasInactiveLinks)
        nodes[Int(b)].flags.insert(.hasInactiveLinks)
    }

    /// The nodes of the component rooted at `root`, found through active links.
    ///
    /// - Complexity: O(n + e) in the component.
    mutating func members(of root: Int32) -> [Int32] {
        nextVisit()
        var found = [root]
        visitMark[Int(root)] = visitStamp
        var position = 0
        while position < found.count {
            let node = found[position]
            position += 1
            var current = nodes[Int(node)].head
            while current >= 0 {
                let edge = edges[Int(current)]
                current = edge.next(for: node)
                guard edge.state == .active else { continue }
                let other = edge.other(than: node)
                guard visitMark[Int(other)] != visitStamp else { continue }
                visitMark[Int(other)] = visitStamp
                found.append(other)
            }
        }
        return found
    }

    /// Starts a new visit: marks from earlier walks no longer count.
    mutating func nextVisit() {
        if visitStamp == UInt32.max {
            for position in visitMark.indices { visitMark[position] = 0 }
            visitStamp = 0
        }
        visitStamp += 1
    }

    /// The public form of an edge, oriented from `from` when given.
    func linkRecord(_ number: Int32, from: Int32?) -> LinkRecord {
        let edge = edges[Int(number)]
        let (start, end) = from == edge.b ? (edge.b, edge.a) : (edge.a, edge.b)
        let state: LinkRecord.State
        switch edge.state {
        case .active: state = .active
        case .refused: state = .refused(refusal(of: edge))
        case .unlinked: state = .unlinked
        case .detached: state = .detached
        }
        return LinkRecord(
            from: index.identity(start), to: index.identity(end), state: state,
            provenance: provenances[Int(edge.provenance)])
    }

    /// The public form of a refused edge's reason.
    func refusal(of edge: Edge) -> Refusal {
        switch edge.refusal {
        case .uniqueConflict: .uniqueConflict(namespace: index.namespaces[Int(edge.argument)])
        case .sharedIdentity: .sharedIdentity(index.identity(Int32(edge.argument)))
        case .removedFromProfile: .removedFromProfile(ProfileID(rawValue: edge.argument))
        }
    }
}
