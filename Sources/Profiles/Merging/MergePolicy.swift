public import TesseraCore

/// How the fragments of a profile combine into its unified view: which source's value each
/// attribute shows.
///
/// - `timestampOrdered`: the newest value wins, whichever source gave it. Equal times go to the
///   lower source id, so the answer never depends on storage order.
/// - `sourcePrecedence`: the first listed source that has the attribute wins, whatever its time.
///   Sources not on the list come after every listed one, newest first as above. A source matches
///   an entry of the list by id, or by name through the names the caller passes to the merge.
public struct MergePolicy: Sendable, Hashable {
    /// The rule a policy follows.
    public enum Kind: Sendable, Hashable {
        /// Latest timestamp wins, across sources.
        case timestampOrdered
        /// The listed sources in order, then the others by timestamp.
        case sourcePrecedence([SourceReference])
    }

    /// A source named in a precedence list: by its id or by its name.
    public enum SourceReference: Sendable, Hashable {
        /// The source with this id.
        case id(Int64)
        /// The source with this name.
        case name(String)
    }

    /// The policy's name, by which requests select it.
    public var name: String

    /// The policy's rule.
    public var kind: Kind

    /// Creates a policy.
    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    /// The built-in default: `latest`, timestamp ordered.
    public static let latest = MergePolicy(name: "latest", kind: .timestampOrdered)

    /// The position of a source in the precedence list, or nil when it is not listed (always nil for
    /// `timestampOrdered`).
    ///
    /// - Parameters:
    ///   - source: the source's id.
    ///   - name: the source's name, when known.
    public func rank(of source: Int64, named name: String?) -> Int? {
        guard case .sourcePrecedence(let references) = kind else { return nil }
        return references.firstIndex { reference in
            switch reference {
            case .id(let id): id == source
            case .name(let listed): listed == name
            }
        }
    }

    /// Whether this policy prefers one candidate value over another: a strict total order.
    ///
    /// Listed sources first, by their rank; then the newer time; then the lower source id; then,
    /// between different paths of one source and time, the smaller path.
    func prefers(_ lhs: Candidate, over rhs: Candidate) -> Bool {
        switch (lhs.rank, rhs.rank) {
        case (let left?, let right?) where left != right: return left < right
        case (.some, .none): return true
        case (.none, .some): return false
        default: break
        }
        if lhs.time != rhs.time { return lhs.time > rhs.time }
        if lhs.source != rhs.source { return lhs.source < rhs.source }
        return lhs.path < rhs.path
    }
}

/// One source's value for one attribute, as merging weighs it.
struct Candidate {
    let path: String
    let source: Int64
    let time: Timestamp
    let rank: Int?
    let value: JSONValue
}

extension MergePolicy {
    /// The policy as JSON: `{"name", "kind"}`, plus `"sources"` (names as strings, ids as integers)
    /// for source precedence.
    public var json: JSONValue {
        switch kind {
        case .timestampOrdered:
            return ["name": .string(name), "kind": "timestampOrdered"]
        case .sourcePrecedence(let references):
            let sources: [JSONValue] = references.map { reference in
                switch reference {
                case .id(let id): .int(id)
                case .name(let name): .string(name)
                }
            }
            return ["name": .string(name), "kind": "sourcePrecedence", "sources": .array(sources)]
        }
    }

    /// Reads a policy from its JSON form.
    ///
    /// - Parameters:
    ///   - json: an object with `name`, `kind` (`timestampOrdered` or `sourcePrecedence`) and, for
    ///     source precedence, a non-empty `sources` array of names (strings) and ids (integers).
    ///   - field: the policy's place in a larger document, for error messages.
    /// - Throws: `ProfilesError` for unknown members, missing or wrong-typed ones and unknown kinds.
    public init(json: JSONValue, field: String = "(root)") throws(ProfilesError) {
        guard case .object(let members) = json else { throw ProfilesError(field: field, message: "must be an object") }
        if let unknown = members.keys.sorted().first(where: { !["name", "kind", "sources"].contains($0) }) {
            throw ProfilesError(field: ProfilesError.member(unknown, of: field), message: "is not a policy member")
        }
        guard let name = members["name"]?.stringValue, !name.isEmpty else {
            throw ProfilesError(field: ProfilesError.member("name", of: field), message: "must be a non-empty string")
        }
        switch members["kind"]?.stringValue {
        case "timestampOrdered":
            guard members["sources"] == nil else {
                throw ProfilesError(
                    field: ProfilesError.member("sources", of: field), message: "applies only to sourcePrecedence")
            }
            self.init(name: name, kind: .timestampOrdered)
        case "sourcePrecedence":
            self.init(name: name, kind: .sourcePrecedence(try Self.references(members["sources"], field: field)))
        default:
            throw ProfilesError(
                field: ProfilesError.member("kind", of: field), message: "must be timestampOrdered or sourcePrecedence")
        }
    }

    /// The `sources` of a precedence policy.
    private static func references(_ value: JSONValue?, field: String) throws(ProfilesError) -> [SourceReference] {
        guard case .array(let items)? = value, !items.isEmpty else {
            throw ProfilesError(field: ProfilesError.member("sources", of: field), message: "must be a non-empty array")
        }
        var references: [SourceReference] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .string(let name) where !name.isEmpty: references.append(.name(name))
            case .int(let id): references.append(.id(id))
            default:
                throw ProfilesError(
                    field: ProfilesError.member("sources[\(index)]", of: field), message: "must be a source name or id")
            }
        }
        return references
    }
}
