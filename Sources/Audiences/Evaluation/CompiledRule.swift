public import TesseraCore

/// A rule whose event questions refer to the numbered atoms and sequences of a `StreamingPlan`,
/// so that streaming evaluation reads a profile's state by number instead of by key.
public indirect enum CompiledRule: Sendable {
    case and([CompiledRule])
    case or([CompiledRule])
    case not(CompiledRule)
    case attribute(AttributeCondition)
    case identity(namespace: String)
    case event(atom: Int, quantifier: EventQuantifier)
    case aggregate(atom: Int, condition: AggregateCondition)
    case sequence(Int)
    /// Membership in the audience at this position of the plan.
    case audience(position: Int)
    case consent(ConsentCondition)

    /// Whether the rule holds for a profile whose events are summed up in `state` (built with the
    /// same plan) and whose memberships are `members`, with the rest of `facts`, at `now`; the same
    /// answer as `AudienceEvaluator.holds`. `facts.memberships` is not read.
    public func holds(
        for facts: ProfileFacts, members: AudienceFlags, state: StreamingState, plan: StreamingPlan, at now: Timestamp
    ) -> Bool {
        switch self {
        case .and(let children):
            return children.allSatisfy { $0.holds(for: facts, members: members, state: state, plan: plan, at: now) }
        case .or(let children):
            return children.contains { $0.holds(for: facts, members: members, state: state, plan: plan, at: now) }
        case .not(let child): return !child.holds(for: facts, members: members, state: state, plan: plan, at: now)
        case .attribute(let condition): return condition.test.matches(facts.value(of: condition))
        case .identity(let namespace): return facts.identityNamespaces.contains(namespace)
        case .event(let atom, let quantifier):
            return quantifier.isSatisfied(by: state.totals(ofAtom: atom, plan: plan, at: now).count)
        case .aggregate(let atom, let condition):
            return condition.isSatisfied(by: state.totals(ofAtom: atom, plan: plan, at: now))
        case .sequence(let number): return state.completes(sequence: number, plan: plan)
        case .audience(let position): return position >= 0 && members.contains(position)
        case .consent(let condition): return facts.answer(for: condition) == condition.answer
        }
    }
}

/// A set of audiences by their position in a plan: one bit each.
public struct AudienceFlags: Sendable, Equatable {
    private var words: [UInt64]

    /// No audience, among `count`.
    public init(count: Int) {
        words = Array(repeating: 0, count: (count + 63) / 64)
    }

    /// Whether the audience at `position` is in the set.
    public func contains(_ position: Int) -> Bool {
        words[position >> 6] & (1 << UInt64(position & 63)) != 0
    }

    /// Puts the audience at `position` in or out of the set.
    public mutating func set(_ position: Int, _ member: Bool) {
        if member {
            words[position >> 6] |= 1 << UInt64(position & 63)
        } else {
            words[position >> 6] &= ~(1 << UInt64(position & 63))
        }
    }
}

extension CompiledRule {
    /// Whether the rule holds for a profile with no attributes, identities, events or consent,
    /// given the audiences such a profile is in.
    ///
    /// A new profile differs from this empty one only in what its first records changed, so the
    /// audiences those changes cannot affect keep the answer this gives.
    public func holdsForEmptyProfile(memberships: AudienceFlags) -> Bool {
        switch self {
        case .and(let children): return children.allSatisfy { $0.holdsForEmptyProfile(memberships: memberships) }
        case .or(let children): return children.contains { $0.holdsForEmptyProfile(memberships: memberships) }
        case .not(let child): return !child.holdsForEmptyProfile(memberships: memberships)
        case .attribute(let condition): return condition.test.matches(nil)
        case .identity: return false
        case .event(_, let quantifier): return quantifier.isSatisfied(by: 0)
        case .aggregate(_, let condition): return condition.isSatisfied(by: AtomTotals())
        case .sequence: return false
        case .audience(let position): return position >= 0 && memberships.contains(position)
        case .consent(let condition): return condition.answer == .unknown
        }
    }
}

/// Numbers distinct atoms and sequences while compiling rules.
struct Numbering {
    /// The position of each audience in dependency order, by name.
    let positions: [String: Int]
    var atoms: [EventAtom] = []
    var sequences: [SequenceCondition] = []
    private var atomNumbers: [EventAtom: Int] = [:]
    private var sequenceNumbers: [SequenceCondition: Int] = [:]

    init(positions: [String: Int]) {
        self.positions = positions
    }

    mutating func compile(_ rule: AudienceRule) -> CompiledRule {
        switch rule {
        case .and(let children): return .and(children.map { compile($0) })
        case .or(let children): return .or(children.map { compile($0) })
        case .not(let child): return .not(compile(child))
        case .attribute(let condition): return .attribute(condition)
        case .identity(let namespace): return .identity(namespace: namespace)
        case .event(let condition): return .event(atom: number(condition.atom), quantifier: condition.quantifier)
        case .aggregate(let condition): return .aggregate(atom: number(condition.atom), condition: condition)
        case .sequence(let condition): return .sequence(number(condition))
        // A name not in the plan cannot be saved (the plan refuses it); -1 never matches.
        case .audience(let name): return .audience(position: positions[name] ?? -1)
        case .consent(let condition): return .consent(condition)
        }
    }

    private mutating func number(_ atom: EventAtom) -> Int {
        if let known = atomNumbers[atom] { return known }
        atoms.append(atom)
        atomNumbers[atom] = atoms.count - 1
        return atoms.count - 1
    }

    private mutating func number(_ sequence: SequenceCondition) -> Int {
        if let known = sequenceNumbers[sequence] { return known }
        sequences.append(sequence)
        sequenceNumbers[sequence] = sequences.count - 1
        return sequences.count - 1
    }
}
