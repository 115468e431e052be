/// The state of a link between two identities.
enum EdgeState: UInt8 {
    /// Joins its identities' profiles.
    case active
    /// Evidence that was not accepted; `Edge.refusal` says why.
    case refused
    /// Removed by request; never made again by new evidence.
    case unlinked
    /// Inactive because one end was evicted or removed from the profile; made again by new evidence.
    case detached
}

/// Why an edge was refused, kept in `Edge.refusal` with its `Edge.argument`.
enum RefusalCode: UInt8 {
    case uniqueConflict  // argument: namespace number
    case sharedIdentity  // argument: the shared node
    case removedFromProfile  // argument: the profile id
}

/// One link (or refused link) between two nodes, threaded into both nodes' adjacency lists, which
/// start at `Node.head`. Threading the lists through the edges costs no array per node, so ten
/// million links take 32 bytes each.
struct Edge {
    /// For refused edges: the refusal's argument (see `RefusalCode`). First, so the edge packs in 32 bytes.
    var argument: Int64
    var a: Int32
    var b: Int32
    /// The next edge in `a`'s list, or -1.
    var nextA: Int32
    /// The next edge in `b`'s list, or -1.
    var nextB: Int32
    /// The provenance of the evidence that last changed the edge's state.
    var provenance: Int32
    var state: EdgeState
    var refusal: RefusalCode

    /// The end that is not `node`.
    @inline(__always)
    func other(than node: Int32) -> Int32 { a == node ? b : a }

    /// The next edge in `node`'s list.
    @inline(__always)
    func next(for node: Int32) -> Int32 { a == node ? nextA : nextB }
}

/// What the graph reads per identity on every record, in one 32-byte record so that touching an
/// identity costs one cache line (two records share a line); when it was seen lives in `NodeTimes`.
struct Node {
    /// At roots: the component's profile id, or 0 while it has none (new, or evicted).
    var profile: Int64
    /// Union-find parent; a root is its own parent.
    var parent: Int32
    /// At roots: the number of nodes in the component.
    var size: Int32
    /// The first edge of the adjacency list, or -1.
    var head: Int32
    /// The number of edges in the adjacency list.
    var degree: Int32
    var namespace: Int32
    var flags: NodeFlags
}

/// When an identity was seen, kept apart from `Node` because only a sighting reads it.
struct NodeTimes {
    var firstSeen: Int64
    var lastSeen: Int64
    /// When the node was last logged: its first entry or its last `touched` entry.
    var lastTouch: Int64
}

/// What is flagged on an identity or, at roots, on its component.
struct NodeFlags: OptionSet {
    let rawValue: UInt8

    /// Seen with too many values of a unique namespace; links nothing more.
    static let shared = NodeFlags(rawValue: 1)
    /// Evicted from its profile and not placed in one since.
    static let evicted = NodeFlags(rawValue: 2)
    /// Removed from a profile by request at least once.
    static let removed = NodeFlags(rawValue: 4)
    /// At roots: the component has an entry in `uniqueMembers`.
    static let hasUniques = NodeFlags(rawValue: 8)
    /// At roots: the component has an entry in `exclusions`.
    static let hasExclusions = NodeFlags(rawValue: 16)
    /// The node has an entry in `cooccurrences`.
    static let hasCooccurrences = NodeFlags(rawValue: 32)
    /// Some edge touching the node is, or once was, not active; without it on either end, two nodes
    /// in different components have no edge between them and `connect` skips the search for one.
    static let hasInactiveLinks = NodeFlags(rawValue: 64)
}

/// A node that may not rejoin a profile it was removed from.
struct Exclusion {
    var node: Int32
    var profile: Int64
}

/// A value of a unique namespace seen in one record with a node.
struct Cooccurrence {
    var unique: Int32
    var namespace: Int32
    /// The latest time seen together.
    var time: Int64
    /// The time of the last `cooccurred` entry for the pair.
    var logged: Int64
}
