public import Audiences

/// One field a use of data reads, and what reads it: the audience rule, a nested audience, or the
/// destination's payload mapping.
public struct UsedField: Sendable, Hashable {
    /// The field path, as labels name it (`attributes.email`, `events.properties.total`).
    public var field: String
    /// What reads it: `rule`, `audience "NAME"` for a nested audience, `mapping`.
    public var via: String

    /// Creates a used field.
    public init(_ field: String, via: String) {
        self.field = field
        self.via = via
    }
}

extension AudienceRule {
    /// The fields the rule reads, as label paths: attributes (`attributes.tier`, `computed.ltv`),
    /// identity namespaces (`identities.email`), event names (`events.event`) and the event fields
    /// filters and aggregates read (`events.properties.total`), consent purposes
    /// (`consent.marketing.email`), and — through `resolve` — the fields of audiences it nests.
    ///
    /// - Parameters:
    ///   - via: What to record as the reader of this rule's own fields.
    ///   - resolve: The rule of an audience by name; `nil` when there is none.
    /// - Complexity: O(size of the rule and of every audience it nests, each once).
    public func usedFields(via: String = "rule", resolve: (String) -> AudienceRule? = { _ in nil }) -> [UsedField] {
        var seen: Set<String> = []
        var result: [UsedField] = []
        collect(via: via, resolve: resolve, visited: &seen, into: &result)
        var unique: Set<UsedField> = []
        return result.filter { unique.insert($0).inserted }
    }

    private func collect(
        via: String, resolve: (String) -> AudienceRule?, visited: inout Set<String>, into result: inout [UsedField]
    ) {
        var nested: [String] = []
        visit { rule in
            switch rule {
            case .attribute(let condition):
                let path = condition.isComputed ? condition.path : "attributes.\(condition.path)"
                result.append(UsedField(path, via: via))
            case .identity(let namespace):
                result.append(UsedField("identities.\(namespace)", via: via))
            case .event(let condition):
                result.append(UsedField("events.event", via: via))
                result += condition.filters.map { UsedField("events.\($0.path)", via: via) }
            case .aggregate(let condition):
                result.append(UsedField("events.event", via: via))
                if let field = condition.field { result.append(UsedField("events.\(field)", via: via)) }
                result += condition.filters.map { UsedField("events.\($0.path)", via: via) }
            case .sequence(let condition):
                result.append(UsedField("events.event", via: via))
                result += condition.steps.flatMap { $0.filters.map { UsedField("events.\($0.path)", via: via) } }
            case .consent(let condition):
                result.append(UsedField("consent.\(condition.path)", via: via))
            case .audience(let name):
                nested.append(name)
            case .and, .or, .not:
                break
            }
        }
        for name in nested where visited.insert(name).inserted {
            resolve(name)?.collect(via: "audience \"\(name)\"", resolve: resolve, visited: &visited, into: &result)
        }
    }
}
