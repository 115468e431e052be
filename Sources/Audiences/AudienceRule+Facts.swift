extension AudienceRule {
    /// The event names the rule reads, from event, aggregate and sequence conditions.
    ///
    /// - Complexity: O(n) in the size of the rule.
    public var referencedEvents: Set<String> {
        var names: Set<String> = []
        visit { rule in
            switch rule {
            case .event(let condition): names.insert(condition.event)
            case .aggregate(let condition): names.insert(condition.event)
            case .sequence(let condition): names.formUnion(condition.steps.map(\.event))
            default: break
            }
        }
        return names
    }

    /// The profile and computed attribute paths the rule reads (computed ones start with `computed.`).
    public var referencedAttributes: Set<String> {
        var paths: Set<String> = []
        visit { rule in
            if case .attribute(let condition) = rule { paths.insert(condition.path) }
        }
        return paths
    }

    /// The names of the other audiences the rule depends on.
    public var referencedAudiences: Set<String> {
        var names: Set<String> = []
        visit { rule in
            if case .audience(let name) = rule { names.insert(name) }
        }
        return names
    }

    /// Whether any event or aggregate condition is limited to a window (`within`, `between`, `before`, `after`).
    ///
    /// A sequence's `within` bounds the span between its steps, not the history, so it does not count.
    public var hasTimeWindows: Bool {
        var found = false
        visit { rule in
            switch rule {
            case .event(let condition) where condition.window != .allTime: found = true
            case .aggregate(let condition) where condition.window != .allTime: found = true
            default: break
            }
        }
        return found
    }

    /// The longest sliding `within` window of any event or aggregate condition, or `nil` when there is none.
    ///
    /// Membership can change with nothing but the passing of time only through these windows; an
    /// evaluator schedules a re-check for when the oldest counted event leaves this window.
    public var longestWindow: AudienceDuration? {
        var longest: AudienceDuration?
        visit { rule in
            let window: TimeWindow
            switch rule {
            case .event(let condition): window = condition.window
            case .aggregate(let condition): window = condition.window
            default: return
            }
            guard case .within(let duration) = window else { return }
            if longest.map({ duration.milliseconds > $0.milliseconds }) ?? true { longest = duration }
        }
        return longest
    }

    /// Calls `body` on this rule and every rule nested in it, parents first.
    ///
    /// - Complexity: O(n) in the size of the rule.
    public func visit(_ body: (AudienceRule) -> Void) {
        body(self)
        switch self {
        case .and(let children), .or(let children):
            for child in children { child.visit(body) }
        case .not(let child): child.visit(body)
        default: break
        }
    }
}
