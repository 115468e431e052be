public import TesseraCore

/// Reading the `governance` section of the configuration file, on top of the built-in catalog.
///
///     "governance": {
///       "labels": {"minors": "About people under 16."},
///       "fields": {"attributes.healthScore": ["S2"], "attributes.name": []},
///       "sources": {"partner-feed": ["C2"]},
///       "marketingActions": {"sms-survey": {"description": "…", "consentPurposes": ["marketing.sms"]}},
///       "policies": [{"name": "no-minors-email", "action": "email-targeting", "deny": "minors"}],
///       "standardPolicies": true
///     }
///
/// Every member is optional. Custom labels are added to the built-in ones; a field or source listed
/// replaces the built-in labels of that path (`[]` removes them); actions and policies are added,
/// replacing built-in ones of the same name; `"standardPolicies": false` drops the built-in policies.
extension GovernanceCatalog {
    static let sections: Set<String> = [
        "labels", "fields", "sources", "marketingActions", "policies", "standardPolicies",
    ]

    /// The built-in catalog changed by a configuration section.
    ///
    /// - Throws: ``GovernanceError`` naming the member at fault (`governance.policies[1].deny`).
    public init(configuration json: JSONValue) throws(GovernanceError) {
        do {
            self = try Self.configured(json)
        } catch {
            throw error.within("governance")
        }
    }

    private static func configured(_ json: JSONValue) throws(GovernanceError) -> GovernanceCatalog {
        guard let object = json.objectValue else { throw GovernanceError(field: "", "must be a JSON object") }
        if let unknown = object.keys.sorted().first(where: { !sections.contains($0) }) {
            throw GovernanceError(field: unknown, "is not a governance member")
        }
        var catalog = GovernanceCatalog.standard
        if let standard = object["standardPolicies"] {
            guard let keep = standard.boolValue else {
                throw GovernanceError(field: "standardPolicies", "must be true or false")
            }
            if !keep { catalog.policies = [:] }
        }
        if let labels = object["labels"] {
            for (name, meaning) in try definitions(labels, field: "labels") {
                catalog.labels[name] = DataLabel(name: name, category: .custom, meaning: meaning)
            }
        }
        if let fields = object["fields"] {
            for (path, labels) in try labelMap(fields, field: "fields", isValidKey: isValidField) {
                catalog.assignments.fields[path] = labels
            }
        }
        if let sources = object["sources"] {
            for (name, labels) in try labelMap(sources, field: "sources", isValidKey: { !$0.isEmpty }) {
                catalog.assignments.sources[name] = labels
            }
        }
        if let actions = object["marketingActions"] {
            for action in try marketingActions(actions) { catalog.actions[action.name] = action }
        }
        if let policies = object["policies"] {
            guard let items = policies.arrayValue else {
                throw GovernanceError(field: "policies", "must be an array of policies")
            }
            for (index, item) in items.enumerated() {
                do {
                    let policy = try Policy(json: item)
                    catalog.policies[policy.name] = policy
                } catch {
                    throw error.within("policies[\(index)]")
                }
            }
        }
        try catalog.validate()
        return catalog
    }

    /// Custom label definitions: `{"NAME": "meaning"}`; built-in names cannot be redefined.
    public static func definitions(_ json: JSONValue, field: String) throws(GovernanceError) -> [(String, String)] {
        guard let object = json.objectValue else {
            throw GovernanceError(field: field, "must map label names to their meaning")
        }
        var result: [(String, String)] = []
        for (name, meaning) in object.sorted(by: { $0.key < $1.key }) {
            guard DataLabel.isValidName(name) else {
                throw GovernanceError(field: "\(field).\(name)", "must have 1 to 32 letters, digits, _, - or .")
            }
            guard !DataLabel.standard.contains(where: { $0.name == name }) else {
                throw GovernanceError(field: "\(field).\(name)", "is a built-in label and cannot be redefined")
            }
            guard let text = meaning.stringValue, !text.isEmpty else {
                throw GovernanceError(field: "\(field).\(name)", "must be the label's meaning, a non-empty string")
            }
            result.append((name, text))
        }
        return result
    }

    /// `{"KEY": ["LABEL", …]}` with valid keys and label names.
    public static func labelMap(
        _ json: JSONValue, field: String, isValidKey: (String) -> Bool
    ) throws(GovernanceError) -> [String: Set<String>] {
        guard let object = json.objectValue else {
            throw GovernanceError(field: field, "must map paths to arrays of labels")
        }
        var result: [String: Set<String>] = [:]
        for (key, value) in object {
            guard isValidKey(key) else {
                throw GovernanceError(
                    field: "\(field).\(key)",
                    "is not a field path (attributes.…, computed.…, identities.…, events.…, consent.…)")
            }
            guard let items = value.arrayValue, let labels = Optional(items.compactMap(\.stringValue)),
                labels.count == items.count, labels.allSatisfy(DataLabel.isValidName)
            else { throw GovernanceError(field: "\(field).\(key)", "must be an array of label names") }
            result[key] = Set(labels)
        }
        return result
    }

    private static func marketingActions(_ json: JSONValue) throws(GovernanceError) -> [MarketingAction] {
        guard let object = json.objectValue else {
            throw GovernanceError(field: "marketingActions", "must map action names to their settings")
        }
        var result: [MarketingAction] = []
        for (name, settings) in object.sorted(by: { $0.key < $1.key }) {
            let field = "marketingActions.\(name)"
            guard MarketingAction.isValidName(name) else {
                throw GovernanceError(field: field, "must have 1 to 64 lower-case letters, digits, _, - or .")
            }
            let existing = MarketingAction.standard.first { $0.name == name }
            let description = settings["description"]?.stringValue ?? existing?.description ?? ""
            var purposes = existing?.consentPurposes ?? []
            if let value = settings["consentPurposes"] {
                guard let items = value.arrayValue,
                    items.allSatisfy({ $0.stringValue.map(MarketingAction.isValidName) ?? false })
                else { throw GovernanceError(field: "\(field).consentPurposes", "must be an array of purposes") }
                purposes = items.compactMap(\.stringValue)
            }
            result.append(MarketingAction(name: name, description: description, consentPurposes: purposes))
        }
        return result
    }
}

/// Changes made to the catalog through the API, kept in the store and laid over the configured
/// catalog at start-up and after every change.
public struct GovernanceOverrides: Sendable, Hashable {
    /// Custom label definitions added at run time.
    public var labels: [String: String] = [:]
    /// Labels by field path; an empty set removes the configured labels of that path.
    public var fields: [String: Set<String>] = [:]
    /// Labels by source name; an empty set removes the configured labels of that source.
    public var sources: [String: Set<String>] = [:]
    /// Policies by name; `nil` deletes a configured policy.
    public var policies: [String: Policy?] = [:]

    /// No changes.
    public init() {}

    /// `catalog` with these changes laid over it.
    public func applied(to catalog: GovernanceCatalog) -> GovernanceCatalog {
        var result = catalog
        for (name, meaning) in labels where result.labels[name] == nil || result.labels[name]?.category == .custom {
            result.labels[name] = DataLabel(name: name, category: .custom, meaning: meaning)
        }
        for (path, labels) in fields { result.assignments.fields[path] = labels }
        for (name, labels) in sources { result.assignments.sources[name] = labels }
        for (name, policy) in policies { result.policies[name] = policy }
        return result
    }

    /// The stored form.
    public var json: JSONValue {
        func object(_ map: [String: Set<String>]) -> JSONValue {
            .object(map.mapValues { .array($0.sorted().map(JSONValue.string)) })
        }
        return [
            "labels": .object(labels.mapValues(JSONValue.string)), "fields": object(fields),
            "sources": object(sources), "policies": .object(policies.mapValues { $0?.json ?? .null }),
        ]
    }

    /// Reads the stored form.
    ///
    /// - Throws: ``GovernanceError`` when the stored form is damaged.
    public init(json: JSONValue) throws(GovernanceError) {
        labels = (json["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        fields = try GovernanceCatalog.labelMap(json["fields"] ?? [:], field: "fields", isValidKey: { _ in true })
        sources = try GovernanceCatalog.labelMap(json["sources"] ?? [:], field: "sources", isValidKey: { _ in true })
        for (name, value) in json["policies"]?.objectValue ?? [:] {
            policies[name] = value == .null ? .some(nil) : try Policy(json: value, name: name)
        }
    }
}
