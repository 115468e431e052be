public import TesseraCore

/// The merge policies a deployment offers, one of them the default.
///
/// Configured in JSON:
///
///     {"default": "latest",
///      "policies": [{"name": "latest", "kind": "timestampOrdered"},
///                   {"name": "crm-first", "kind": "sourcePrecedence", "sources": ["crm", "web"]}]}
///
/// Requests select a policy by name; without one they get the default.
public struct MergePolicies: Sendable, Hashable {
    /// The policies in configuration order.
    public let policies: [MergePolicy]

    /// The default policy's name.
    public let defaultName: String

    /// Creates a set of policies.
    ///
    /// - Throws: `ProfilesError` when the list is empty, two policies share a name, or no policy has
    ///   the default's name.
    public init(policies: [MergePolicy], defaultName: String) throws(ProfilesError) {
        guard !policies.isEmpty else { throw ProfilesError(field: "policies", message: "must not be empty") }
        var names: Set<String> = []
        for (index, policy) in policies.enumerated() where !names.insert(policy.name).inserted {
            throw ProfilesError(field: "policies[\(index)].name", message: "repeats another policy's name")
        }
        guard names.contains(defaultName) else {
            throw ProfilesError(field: "default", message: "must name one of the policies")
        }
        self.policies = policies
        self.defaultName = defaultName
    }

    /// One timestamp-ordered policy, `latest`, as the default.
    public static let defaults = MergePolicies(uncheckedPolicies: [.latest], defaultName: MergePolicy.latest.name)

    /// The default policy.
    public var defaultPolicy: MergePolicy { policies.first { $0.name == defaultName }! }

    /// The policy a request asks for.
    ///
    /// - Parameter name: the requested policy's name, or nil for the default.
    /// - Returns: the policy, or nil when no policy has that name.
    public func policy(named name: String?) -> MergePolicy? {
        guard let name else { return defaultPolicy }
        return policies.first { $0.name == name }
    }

    /// The policies as JSON, in the form `init(json:)` reads.
    public var json: JSONValue {
        ["default": .string(defaultName), "policies": .array(policies.map(\.json))]
    }

    /// Reads policies from their JSON form.
    ///
    /// - Parameter json: an object with a non-empty `policies` array and `default`, a policy name;
    ///   without `default` the first policy is the default.
    /// - Throws: `ProfilesError` for unknown members, malformed policies, repeated names and a
    ///   default that names no policy.
    public init(json: JSONValue) throws(ProfilesError) {
        guard case .object(let members) = json else {
            throw ProfilesError(field: "(root)", message: "must be an object")
        }
        if let unknown = members.keys.sorted().first(where: { $0 != "default" && $0 != "policies" }) {
            throw ProfilesError(field: unknown, message: "is not a merge-policies member")
        }
        guard case .array(let items)? = members["policies"] else {
            throw ProfilesError(field: "policies", message: "must be an array of policies")
        }
        var policies: [MergePolicy] = []
        for (index, item) in items.enumerated() {
            policies.append(try MergePolicy(json: item, field: "policies[\(index)]"))
        }
        var defaultName = policies.first?.name ?? ""
        if let value = members["default"] {
            guard let name = value.stringValue else {
                throw ProfilesError(field: "default", message: "must be a policy name")
            }
            defaultName = name
        }
        try self.init(policies: policies, defaultName: defaultName)
    }

    /// Creates policies already known to be valid.
    private init(uncheckedPolicies: [MergePolicy], defaultName: String) {
        policies = uncheckedPolicies
        self.defaultName = defaultName
    }
}
