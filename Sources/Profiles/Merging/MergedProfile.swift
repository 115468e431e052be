public import TesseraCore

/// The unified view of a profile under one merge policy, with where each value came from.
public struct MergedProfile: Sendable, Equatable {
    /// Where one attribute's value came from.
    public struct Provenance: Sendable, Hashable {
        /// The source whose value won.
        public var source: Int64

        /// When that source gave it.
        public var time: Timestamp

        /// Creates a provenance.
        public init(source: Int64, time: Timestamp) {
            self.source = source
            self.time = time
        }
    }

    /// The name of the policy that produced this view.
    public var policy: String

    /// The attributes as one nested object rebuilt from their paths.
    public var attributes: JSONValue

    /// Per attribute path shown in `attributes`, the winning source and its time.
    public var provenance: [String: Provenance]

    /// Names of the sources that appear in `provenance`, for display.
    public var sourceNames: [Int64: String]

    /// Creates a merged view.
    public init(
        policy: String, attributes: JSONValue, provenance: [String: Provenance], sourceNames: [Int64: String] = [:]
    ) {
        self.policy = policy
        self.attributes = attributes
        self.provenance = provenance
        self.sourceNames = sourceNames
    }

    /// The view as JSON, for the profile API:
    ///
    ///     {"policy": "latest", "attributes": {...},
    ///      "provenance": {"address.city": {"source": 3, "sourceName": "crm", "time": "2024-…Z"}}}
    ///
    /// `sourceName` is left out for sources whose name is unknown.
    public var json: JSONValue {
        var explained: [String: JSONValue] = [:]
        for (path, origin) in provenance {
            var members: [String: JSONValue] = ["source": .int(origin.source), "time": .string(origin.time.iso8601)]
            if let name = sourceNames[origin.source] { members["sourceName"] = .string(name) }
            explained[path] = .object(members)
        }
        return ["policy": .string(policy), "attributes": attributes, "provenance": .object(explained)]
    }
}

/// A nested object assembled from dotted paths, refusing paths that clash with ones already in it.
///
/// A clash is a path whose value would sit inside a scalar already placed (`address.city` after
/// `address`), or where an object is already placed (`address` after `address.city`).
struct AttributeTree {
    private indirect enum Node {
        case leaf(JSONValue)
        case branch([String: Node])
    }

    private var root: [String: Node] = [:]

    /// Places `value` at the path made of `keys`, unless that clashes with what is there.
    ///
    /// - Returns: whether the value was placed.
    mutating func insert(_ value: JSONValue, at keys: [String]) -> Bool {
        guard !keys.isEmpty else { return false }
        return Self.insert(value, at: keys[...], into: &root)
    }

    /// The assembled object.
    var json: JSONValue { Self.json(of: root) }

    private static func insert(_ value: JSONValue, at keys: ArraySlice<String>, into members: inout [String: Node])
        -> Bool
    {
        let key = keys.first!
        let rest = keys.dropFirst()
        guard !rest.isEmpty else {
            guard members[key] == nil else { return false }
            members[key] = .leaf(value)
            return true
        }
        switch members[key] {
        case .leaf?:
            return false
        case .branch(var children)?:
            members[key] = nil
            let placed = insert(value, at: rest, into: &children)
            members[key] = .branch(children)
            return placed
        case nil:
            var children: [String: Node] = [:]
            let placed = insert(value, at: rest, into: &children)
            if placed { members[key] = .branch(children) }
            return placed
        }
    }

    private static func json(of members: [String: Node]) -> JSONValue {
        .object(
            members.mapValues { node in
                switch node {
                case .leaf(let value): value
                case .branch(let children): json(of: children)
                }
            })
    }
}
