public import TesseraCore

/// Everything data-usage governance knows: the label definitions, the marketing actions, the
/// policies, and which labels sit on which fields and sources.
///
/// Pure values: the server builds one from the configuration file and the changes made through the
/// API (``GovernanceOverrides``), and asks it for decisions.
public struct GovernanceCatalog: Sendable, Hashable {
    /// Label definitions by name.
    public var labels: [String: DataLabel]
    /// Marketing actions by name.
    public var actions: [String: MarketingAction]
    /// Policies by name.
    public var policies: [String: Policy]
    /// Labels on fields and sources.
    public var assignments: LabelAssignments

    /// Creates a catalog.
    public init(
        labels: [DataLabel], actions: [MarketingAction], policies: [Policy], assignments: LabelAssignments
    ) {
        self.labels = Dictionary(labels.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        self.actions = Dictionary(actions.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        self.policies = Dictionary(policies.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        self.assignments = assignments
    }

    /// The built-in labels, actions, policies and field labels.
    public static let standard = GovernanceCatalog(
        labels: DataLabel.standard, actions: MarketingAction.standard, policies: Policy.standard,
        assignments: .standard)

    // MARK: - Decisions

    /// Whether `actions` may use the data in `used`, with every violation.
    ///
    /// Each policy whose action is among `actions` is tested against the union of the labels of
    /// every field used; when it holds, each field carrying one of the labels that made it hold is
    /// a violation.
    /// - Complexity: O(policies × fields × labels).
    public func evaluate(_ used: [UsedField], actions: [String]) -> PolicyDecision {
        var carried: [(used: UsedField, labels: Set<String>, sources: [String: Set<String>])] = []
        var all: Set<String> = []
        var byField: [String: [String]] = [:]
        for field in used {
            let sources = assignments.sourceLabels(of: field.field)
            let labels = assignments.fieldLabels(of: field.field).union(sources.values.joined())
            carried.append((field, labels, sources))
            all.formUnion(labels)
            if !labels.isEmpty { byField[field.field] = labels.sorted() }
        }
        let requested = Set(actions)
        var violations: [Violation] = []
        for policy in policies.values where requested.contains(policy.action) {
            guard let witnesses = policy.deny.witnesses(in: all) else { continue }
            for entry in carried {
                let guilty = entry.labels.intersection(witnesses)
                guard !guilty.isEmpty else { continue }
                let sources = entry.sources.filter { !$0.value.isDisjoint(with: guilty) }.keys.sorted()
                violations.append(
                    Violation(
                        policy: policy.name, action: policy.action, field: entry.used.field, via: entry.used.via,
                        labels: guilty.sorted(), sources: sources))
            }
        }
        violations.sort { ($0.policy, $0.field, $0.via) < ($1.policy, $1.field, $1.via) }
        return PolicyDecision(violations: violations, labels: byField)
    }

    /// The consent purposes `actions` need, in order, without repeats; unknown actions need none.
    public func consentPurposes(for actions: [String]) -> [String] {
        var seen: Set<String> = []
        return actions.flatMap { self.actions[$0]?.consentPurposes ?? [] }.filter { seen.insert($0).inserted }
    }

    // MARK: - Checks

    /// Checks that every policy names a known action and defined labels, and every assignment
    /// defined labels.
    ///
    /// - Throws: ``GovernanceError`` naming the first policy or field at fault.
    public func validate() throws(GovernanceError) {
        for name in policies.keys.sorted() {
            guard let policy = policies[name] else { continue }
            try validate(policy, field: "policies.\(name)")
        }
        for (field, labels) in assignments.fields.sorted(by: { $0.key < $1.key }) {
            try checkDefined(labels, field: "fields.\(field)")
        }
        for (source, labels) in assignments.sources.sorted(by: { $0.key < $1.key }) {
            try checkDefined(labels, field: "sources.\(source)")
        }
    }

    /// Checks one policy against the catalog's actions and labels.
    ///
    /// - Throws: ``GovernanceError`` with `field` as the prefix of the member at fault.
    public func validate(_ policy: Policy, field: String = "") throws(GovernanceError) {
        guard actions[policy.action] != nil else {
            throw GovernanceError(field: "action", "`\(policy.action)` is not a marketing action").within(field)
        }
        try checkDefined(policy.deny.labels, field: field.isEmpty ? "deny" : "\(field).deny")
    }

    /// Checks that every label in `labels` is defined.
    public func checkDefined(_ labels: Set<String>, field: String) throws(GovernanceError) {
        if let unknown = labels.sorted().first(where: { self.labels[$0] == nil }) {
            throw GovernanceError(field: field, "`\(unknown)` is not a defined label")
        }
    }

    /// Whether `path` can name a field: a known root (`attributes`, `computed`, `identities`,
    /// `events`, `consent`) followed by at least one non-empty step.
    public static func isValidField(_ path: String) -> Bool {
        let steps = path.split(separator: ".", omittingEmptySubsequences: false)
        guard steps.count >= 2, !steps.contains(where: \.isEmpty), path.utf8.count <= 256 else { return false }
        return ["attributes", "computed", "identities", "events", "consent"].contains(String(steps[0]))
    }

    // MARK: - JSON

    /// The label definitions as the API shows them, sorted by name.
    public var labelsJSON: JSONValue {
        .array(
            labels.values.sorted { $0.name < $1.name }.map {
                ["name": .string($0.name), "category": .string($0.category.rawValue), "meaning": .string($0.meaning)]
            })
    }

    /// The marketing actions as the API shows them, sorted by name.
    public var actionsJSON: JSONValue {
        .array(
            actions.values.sorted { $0.name < $1.name }.map {
                [
                    "name": .string($0.name), "description": .string($0.description),
                    "consentPurposes": .array($0.consentPurposes.map(JSONValue.string)),
                ]
            })
    }

    /// Field and source labels as the API shows them: `{"fields": {PATH: [LABEL]}, "sources": {…}}`.
    public var assignmentsJSON: JSONValue {
        func object(_ map: [String: Set<String>]) -> JSONValue {
            .object(map.filter { !$0.value.isEmpty }.mapValues { .array($0.sorted().map(JSONValue.string)) })
        }
        return ["fields": object(assignments.fields), "sources": object(assignments.sources)]
    }
}
