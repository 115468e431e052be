import TesseraCore

/// Where a value of a delivery's payload comes from in the profile or the activation that caused it.
///
/// Written as text in destination settings: `identities.email` (the first identity in a namespace),
/// `attributes.address.city` and `computed.orderCount` (dotted paths into merged and computed
/// attributes), `audience` (the audience's name), `event` (what triggered the delivery) and
/// `profileId`.
public enum ProfilePath: Sendable, Hashable, CustomStringConvertible {
    /// The first identity of the profile in a namespace, such as `email`.
    case identity(namespace: String)
    /// A value inside the merged attributes, one key per step.
    case attribute([String])
    /// A value inside the computed attributes, one key per step.
    case computed([String])
    /// The name of the audience whose entry or exit caused the delivery.
    case audience
    /// The name of the event or trigger that caused the delivery.
    case event
    /// The profile's id.
    case profileID

    /// Parses the written form of a path.
    ///
    /// - Throws: ``ActivationError`` of kind `invalidMapping` for an unknown root, an empty step or a
    ///   namespace with more than one step.
    public init(parsing text: String) throws(ActivationError) {
        let steps = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let root = steps.first, !steps.contains(where: \.isEmpty) else {
            throw ActivationError(.invalidMapping, field: "mapping", "a path has an empty step")
        }
        let rest = Array(steps.dropFirst())
        switch root {
        case "identities" where rest.count == 1: self = .identity(namespace: rest[0])
        case "attributes" where !rest.isEmpty: self = .attribute(rest)
        case "computed" where !rest.isEmpty: self = .computed(rest)
        case "audience" where rest.isEmpty: self = .audience
        case "event" where rest.isEmpty: self = .event
        case "profileId" where rest.isEmpty: self = .profileID
        default:
            throw ActivationError(
                .invalidMapping, field: "mapping",
                "a path must be identities.NAMESPACE, attributes.KEY…, computed.KEY…, audience, event or profileId")
        }
    }

    /// The written form, as `init(parsing:)` reads it.
    public var description: String {
        switch self {
        case .identity(let namespace): "identities.\(namespace)"
        case .attribute(let steps): (["attributes"] + steps).joined(separator: ".")
        case .computed(let steps): (["computed"] + steps).joined(separator: ".")
        case .audience: "audience"
        case .event: "event"
        case .profileID: "profileId"
        }
    }
}

/// What a mapping reads: one profile as the activation saw it, and why it is being activated.
///
/// Filled by whoever enqueues (the audience engine, a trigger), so that activation needs no access to
/// the profile store and the payload is fixed at the moment of the change.
public struct MappingInput: Sendable {
    /// The profile's id.
    public var profileID: Int64
    /// Identities by namespace, primary first.
    public var identities: [String: [String]]
    /// Merged attributes (an object).
    public var attributes: JSONValue
    /// Computed attributes (an object).
    public var computed: JSONValue
    /// The audience entered or left, when an audience caused the delivery.
    public var audience: String?
    /// The event or trigger name, when one caused the delivery.
    public var event: String?

    /// Creates an input.
    public init(
        profileID: Int64, identities: [String: [String]] = [:], attributes: JSONValue = [:],
        computed: JSONValue = [:], audience: String? = nil, event: String? = nil
    ) {
        self.profileID = profileID
        self.identities = identities
        self.attributes = attributes
        self.computed = computed
        self.audience = audience
        self.event = event
    }
}

/// A destination's payload layout: output fields, in order, each read from a profile path.
///
/// The order is kept because file exports use it for their CSV columns.
public struct PayloadMapping: Sendable, Equatable {
    /// One output field and where its value comes from.
    public struct Field: Sendable, Equatable {
        /// The key in the payload object (and the CSV column).
        public var name: String
        /// Where the value comes from.
        public var path: ProfilePath

        /// Creates a field.
        public init(name: String, path: ProfilePath) {
            self.name = name
            self.path = path
        }
    }

    /// The fields, in output order.
    public var fields: [Field]

    /// Creates a mapping.
    public init(_ fields: [Field]) {
        self.fields = fields
    }

    /// Creates a mapping from `(output field, written path)` pairs.
    ///
    /// - Throws: ``ActivationError`` of kind `invalidMapping` when a path cannot be parsed.
    public init(_ pairs: KeyValuePairs<String, String>) throws(ActivationError) {
        var fields: [Field] = []
        for (name, path) in pairs {
            fields.append(Field(name: name, path: try ProfilePath(parsing: path)))
        }
        self.fields = fields
    }

    /// The payload for `input`: an object with one member per field; values that are missing are `null`.
    ///
    /// - Complexity: O(fields × path length).
    public func payload(for input: MappingInput) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for field in fields {
            members[field.name] = value(of: field.path, in: input)
        }
        return .object(members)
    }

    /// Checks names and paths: at least one field, unique non-empty names without control characters.
    func validate() throws(ActivationError) {
        guard !fields.isEmpty else {
            throw ActivationError(.invalidMapping, field: "mapping", "the mapping needs at least one field")
        }
        var seen: Set<String> = []
        for field in fields {
            guard !field.name.isEmpty, field.name.utf8.count <= 128,
                !field.name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else {
                throw ActivationError(
                    .invalidMapping, field: "mapping",
                    "an output field name must have 1 to 128 bytes and no control characters")
            }
            guard seen.insert(field.name).inserted else {
                throw ActivationError(.invalidMapping, field: "mapping", "two output fields have the same name")
            }
        }
    }

    /// The mapping as stored and shown: `[{"field": …, "path": …}, …]`.
    var json: JSONValue {
        .array(fields.map { ["field": .string($0.name), "path": .string($0.path.description)] })
    }

    /// Reads the stored or submitted form.
    init(json: JSONValue) throws(ActivationError) {
        guard let items = json.arrayValue else {
            throw ActivationError(
                .invalidMapping, field: "mapping", "the mapping must be an array of {field, path} objects")
        }
        var fields: [Field] = []
        for item in items {
            guard let name = item["field"]?.stringValue, let path = item["path"]?.stringValue else {
                throw ActivationError(
                    .invalidMapping, field: "mapping", "each mapping item needs a string field and a string path")
            }
            fields.append(Field(name: name, path: try ProfilePath(parsing: path)))
        }
        self.fields = fields
    }

    private func value(of path: ProfilePath, in input: MappingInput) -> JSONValue {
        switch path {
        case .identity(let namespace): .optional(input.identities[namespace]?.first)
        case .attribute(let steps): Self.descend(input.attributes, steps)
        case .computed(let steps): Self.descend(input.computed, steps)
        case .audience: .optional(input.audience)
        case .event: .optional(input.event)
        case .profileID: .int(input.profileID)
        }
    }

    private static func descend(_ root: JSONValue, _ steps: [String]) -> JSONValue {
        var current = root
        for step in steps {
            guard let next = current[step] else { return .null }
            current = next
        }
        return current
    }
}
