public import JSONParsing
public import TesseraCore

/// What one record says about the person it belongs to, and about a B2B account it names.
public struct Extracted: Sendable, Hashable {
    /// Attribute updates for the record's person, one per path.
    public var person: [AttributeUpdate]

    /// Attribute updates for the account the record describes (Segment `group`, XDM account), if any.
    public var account: AccountUpdates?

    /// Creates an extraction.
    public init(person: [AttributeUpdate] = [], account: AccountUpdates? = nil) {
        self.person = person
        self.account = account
    }

    /// Whether the record states no attribute at all.
    public var isEmpty: Bool { person.isEmpty && (account?.updates.isEmpty ?? true) }
}

/// Attribute updates for one B2B account.
public struct AccountUpdates: Sendable, Hashable {
    /// The account's id as the record gives it: Segment's `groupId`, XDM's `accountID`.
    public var id: String

    /// The account's attribute updates, one per path.
    public var updates: [AttributeUpdate]

    /// Creates the updates of one account.
    public init(id: String, updates: [AttributeUpdate]) {
        self.id = id
        self.updates = updates
    }
}

/// Reads the attributes a collected record states, as dotted paths with the record's time.
///
/// What each kind of record contributes:
///
/// | kind | person | account |
/// |---|---|---|
/// | `identify` | `traits`, then `context.traits` | — |
/// | `track`, `page`, `screen`, `alias` | `context.traits` | — |
/// | `group` | `context.traits` | `traits`, for `groupId` |
/// | `import` (CSV rows) | `traits` when it is an object, else the whole record | — |
/// | `xdm.profile` | every field but `identityMap`, `_id`/`@id`, `_repo`/`repo:…` | — |
/// | `xdm.account` | — | every field but those and `accountID`, for `accountID` |
///
/// Other kinds (XDM ExperienceEvents, B2B relations, consent policies) state no attributes.
///
/// Nested objects are flattened to one path per leaf; arrays and scalars are leaves, and empty
/// objects say nothing. In XDM records the `xdm:` prefix is dropped from every key, at every depth
/// and inside arrays too, so prefixed and plain documents give the same paths and values; other
/// prefixes (`schema:latitude`) stay. When one record gives a path twice the first wins, as JSON
/// lookups do with duplicate keys: so `traits` win over `context.traits`, and a plain XDM key over
/// a prefixed one only when it comes first. Extraction never refuses anything: size limits are
/// enforced when the updates are applied (`ProfileFragments.apply`).
public enum FragmentExtractor {
    /// The attribute updates in one record.
    ///
    /// - Parameters:
    ///   - kind: the record's kind, as the collection layer stored it (`identify`, `xdm.profile`, …).
    ///   - record: the normalised record.
    ///   - time: the record's event time, which becomes every update's time.
    /// - Returns: the person's updates and, for account records, the account's.
    /// - Complexity: O(n) in the size of the record's attribute objects.
    public static func extract(kind: String, record: JSONNode, time: Timestamp) -> Extracted {
        switch kind {
        case "identify":
            return Extracted(person: segmentTraits([record.member("traits"), contextTraits(record)], time: time))
        case "track", "page", "screen", "alias":
            return Extracted(person: segmentTraits([contextTraits(record)], time: time))
        case "group":
            var extracted = Extracted(person: segmentTraits([contextTraits(record)], time: time))
            if let id = groupID(record) {
                extracted.account = AccountUpdates(
                    id: id, updates: segmentTraits([record.member("traits")], time: time))
            }
            return extracted
        case "import":
            let traits = record.member("traits").flatMap { $0.kind == .object ? $0 : nil } ?? record
            return Extracted(person: segmentTraits([traits], time: time))
        case "xdm.profile":
            return Extracted(person: xdmAttributes(record, time: time, skipping: []))
        case "xdm.account":
            guard let id = XDMKeys.member(record, "accountID").flatMap(text) else { return Extracted() }
            let updates = xdmAttributes(record, time: time, skipping: ["accountID"])
            return Extracted(account: AccountUpdates(id: id, updates: updates))
        default:
            return Extracted()
        }
    }

    /// The updates in one traits-shaped object, as a CSV import or an admin edit would supply it.
    ///
    /// - Parameters:
    ///   - traits: an object of attributes, nested as in Segment `traits`; other kinds give nothing.
    ///   - time: the time of every update.
    public static func traits(_ traits: JSONNode, time: Timestamp) -> [AttributeUpdate] {
        segmentTraits([traits], time: time)
    }

    /// `context.traits`, when present.
    private static func contextTraits(_ record: JSONNode) -> JSONNode? {
        record.member("context")?.member("traits")
    }

    /// Segment's `groupId`, as text; numbers are accepted because some libraries send them.
    private static func groupID(_ record: JSONNode) -> String? {
        record.member("groupId").flatMap(text)
    }

    /// A non-empty string, or an integer as its decimal text.
    private static func text(_ node: JSONNode) -> String? {
        if let string = node.string { return string.isEmpty ? nil : string }
        return node.int64.map { String($0) }
    }

    /// The flattened updates of several trait objects, the earlier objects winning on shared paths.
    private static func segmentTraits(_ objects: [JSONNode?], time: Timestamp) -> [AttributeUpdate] {
        var flattener = Flattener(time: time, dropsXDMPrefixes: false)
        for case let object? in objects where object.kind == .object {
            flattener.add(object, under: "")
        }
        return flattener.updates
    }

    /// The flattened updates of an XDM entity, leaving out its identity and system fields.
    private static func xdmAttributes(_ entity: JSONNode, time: Timestamp, skipping: Set<String>) -> [AttributeUpdate] {
        var flattener = Flattener(time: time, dropsXDMPrefixes: true)
        for (key, child) in entity.members {
            let name = XDMKeys.plain(key)
            guard !XDMKeys.isSystemField(name), !skipping.contains(name) else { continue }
            flattener.add(child, at: AttributePath.appending(name, to: ""))
        }
        return flattener.updates
    }
}

/// Turns nested objects into one update per leaf path, keeping the first update of each path.
struct Flattener {
    let time: Timestamp
    let dropsXDMPrefixes: Bool
    private(set) var updates: [AttributeUpdate] = []
    private var seen: Set<String> = []

    init(time: Timestamp, dropsXDMPrefixes: Bool) {
        self.time = time
        self.dropsXDMPrefixes = dropsXDMPrefixes
    }

    /// Adds every member of `object` below the path `parent`.
    mutating func add(_ object: JSONNode, under parent: String) {
        for (key, child) in object.members {
            let name = dropsXDMPrefixes ? XDMKeys.plain(key) : key
            add(child, at: AttributePath.appending(name, to: parent))
        }
    }

    /// Adds `node` at `path`: its members when it is a non-empty object, else the node as one value.
    mutating func add(_ node: JSONNode, at path: String) {
        switch node.kind {
        case .object:
            add(node, under: path)
        default:
            guard seen.insert(path).inserted else { return }
            let value = dropsXDMPrefixes ? XDMKeys.value(node) : node.value
            updates.append(AttributeUpdate(path: path, value: value, time: time))
        }
    }
}
