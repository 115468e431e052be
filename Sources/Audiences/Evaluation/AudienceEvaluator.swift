public import TesseraCore

/// Decides whether a rule holds for one profile at one moment.
///
/// This is the meaning `docs/audiences.md` gives rules, applied profile by profile; streaming
/// evaluation runs it on incremental state, and batch evaluation must agree with it.
public enum AudienceEvaluator {
    /// Whether `rule` holds for the profile described by `facts` at `now`.
    ///
    /// - Complexity: O(size of the rule) calls into the history.
    public static func holds(_ rule: AudienceRule, for facts: ProfileFacts, at now: Timestamp) -> Bool {
        switch rule {
        case .and(let children): return children.allSatisfy { holds($0, for: facts, at: now) }
        case .or(let children): return children.contains { holds($0, for: facts, at: now) }
        case .not(let child): return !holds(child, for: facts, at: now)
        case .attribute(let condition): return condition.test.matches(facts.value(of: condition))
        case .identity(let namespace): return facts.identityNamespaces.contains(namespace)
        case .event(let condition):
            return condition.quantifier.isSatisfied(by: facts.history.totals(of: condition.atom, at: now).count)
        case .aggregate(let condition):
            return condition.isSatisfied(by: facts.history.totals(of: condition.atom, at: now))
        case .sequence(let condition): return facts.history.completes(condition)
        case .audience(let name): return facts.memberships.contains(name)
        case .consent(let condition): return facts.answer(for: condition) == condition.answer
        }
    }
}

extension AggregateCondition {
    /// Whether the totals of the condition's atom pass its comparison; a function without a value
    /// (`min`, `max`, `avg` of no numbers) passes nothing.
    public func isSatisfied(by totals: AtomTotals) -> Bool {
        guard let value = totals.value(of: function) else { return false }
        let threshold = self.threshold.doubleValue
        return comparison.holds(value < threshold ? -1 : (value == threshold ? 0 : 1))
    }
}
