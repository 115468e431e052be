/// A saved audience as evaluators see it: its id, its name and its rule.
public struct AudienceDefinition: Sendable, Hashable {
    /// The audience's id.
    public var id: Int64
    /// Its name, unique; `in audience "NAME"` refers to it.
    public var name: String
    /// Its rule.
    public var rule: AudienceRule

    /// Creates a definition.
    public init(id: Int64, name: String, rule: AudienceRule) {
        self.id = id
        self.name = name
        self.rule = rule
    }
}

/// Why a set of audiences cannot be evaluated together.
public struct AudienceDependencyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The audiences involved, in the order of the problem.
    public var names: [String]
    /// What is wrong.
    public var reason: Reason

    /// The problems a set of audiences can have.
    public enum Reason: Sendable, Equatable {
        /// The audiences refer to each other in a circle.
        case cycle
        /// The first audience refers to the second, which does not exist.
        case unknownAudience
    }

    /// Creates an error.
    public init(names: [String], reason: Reason) {
        self.names = names
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .cycle: return "audiences refer to each other in a circle: " + names.joined(separator: " → ")
        case .unknownAudience: return "audience \"\(names[0])\" refers to \"\(names[1])\", which does not exist"
        }
    }
}

/// The active audiences arranged for streaming: every distinct atom and sequence numbered once,
/// each rule compiled to refer to them by number, which atoms and sequences each event name feeds,
/// which audiences a change can affect, and an order in which every audience comes after the
/// audiences it refers to.
///
/// Numbers are only valid for one plan; streaming state is stored under the atoms' and sequences'
/// keys (their canonical text) and numbered again when read with another plan.
public final class StreamingPlan: Sendable {
    /// Every audience, each after those it refers to.
    public let ordered: [AudienceDefinition]
    /// The rules of `ordered`, compiled.
    public let compiled: [CompiledRule]
    /// Every distinct atom, by number.
    public let atoms: [EventAtom]
    /// The key of each atom, by number.
    public let atomKeys: [String]
    /// The matcher of each atom, by number.
    public let matchers: [EventMatcher]
    /// Every distinct sequence, by number.
    public let sequences: [SequenceCondition]
    /// The key of each sequence, by number.
    public let sequenceKeys: [String]

    let atomNumbers: [String: Int]
    let sequenceNumbers: [String: Int]
    private let atomsByEvent: [String: [Int]]
    private let sequencesByEvent: [String: [Int]]
    private let position: [Int64: Int]
    private let byEvent: [String: Set<Int>]
    private let readingAttributes: Set<Int>
    private let readingComputed: Set<Int>
    private let readingIdentities: Set<Int>
    private let readingConsent: Set<Int>
    private let sliding: Set<Int>
    private let dependents: [Int: Set<Int>]
    /// The audiences a profile with nothing is a member of.
    private let holdingWhenEmpty: Set<Int>
    /// Per event name, the positions an event of that name can affect, dependents included, sorted.
    private let affectedByEvent: [String: [Int]]

    /// Arranges `audiences`.
    ///
    /// - Throws: `AudienceDependencyError` when an audience refers to one that is not in the set,
    ///   or audiences refer to each other in a circle.
    /// - Complexity: O(total size of the rules), with one canonical text per distinct atom.
    public init(audiences: [AudienceDefinition]) throws(AudienceDependencyError) {
        ordered = try Self.dependencyOrder(audiences)
        var numbering = Numbering(
            positions: Dictionary(ordered.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first }))
        var position: [Int64: Int] = [:]
        var byEvent: [String: Set<Int>] = [:]
        var attributes: Set<Int> = []
        var computed: Set<Int> = []
        var identities: Set<Int> = []
        var consent: Set<Int> = []
        var sliding: Set<Int> = []
        var dependents: [Int: Set<Int>] = [:]
        var compiled: [CompiledRule] = []
        let index = Dictionary(ordered.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (offset, audience) in ordered.enumerated() {
            position[audience.id] = offset
            let rule = audience.rule
            compiled.append(numbering.compile(rule))
            for atom in rule.eventAtoms {
                byEvent[atom.event, default: []].insert(offset)
                if atom.slides { sliding.insert(offset) }
            }
            for sequence in rule.sequences {
                for step in sequence.steps { byEvent[step.event, default: []].insert(offset) }
            }
            for path in rule.referencedAttributes {
                if path.hasPrefix("computed.") { computed.insert(offset) } else { attributes.insert(offset) }
            }
            rule.visit { node in
                if case .identity = node { identities.insert(offset) }
                if case .consent = node { consent.insert(offset) }
            }
            for name in rule.referencedAudiences {
                if let dependency = index[name] { dependents[dependency, default: []].insert(offset) }
            }
        }
        self.compiled = compiled
        atoms = numbering.atoms
        atomKeys = numbering.atoms.map(\.key)
        matchers = numbering.atoms.map(EventMatcher.init)
        sequences = numbering.sequences
        sequenceKeys = numbering.sequences.map(\.key)
        atomNumbers = Dictionary(atomKeys.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        sequenceNumbers = Dictionary(
            sequenceKeys.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        atomsByEvent = Dictionary(grouping: atoms.indices, by: { numbering.atoms[$0].event })
        var sequencesByEvent: [String: [Int]] = [:]
        for (number, sequence) in numbering.sequences.enumerated() {
            for name in Set(sequence.steps.map(\.event)) { sequencesByEvent[name, default: []].append(number) }
        }
        self.sequencesByEvent = sequencesByEvent
        self.position = position
        self.byEvent = byEvent
        readingAttributes = attributes
        readingComputed = computed
        readingIdentities = identities
        readingConsent = consent
        self.sliding = sliding
        self.dependents = dependents
        var emptyMemberships = AudienceFlags(count: compiled.count)
        var holdingWhenEmpty: Set<Int> = []
        for (position, rule) in compiled.enumerated() where rule.holdsForEmptyProfile(memberships: emptyMemberships) {
            emptyMemberships.set(position, true)
            holdingWhenEmpty.insert(position)
        }
        self.holdingWhenEmpty = holdingWhenEmpty
        affectedByEvent = byEvent.mapValues { Self.closure(of: $0, dependents: dependents) }
    }

    /// `positions` and every position that depends on them, directly or through others, sorted.
    private static func closure(of positions: Set<Int>, dependents: [Int: Set<Int>]) -> [Int] {
        var chosen = positions
        var pending = Array(positions)
        while let next = pending.popLast() {
            for dependent in dependents[next] ?? [] where chosen.insert(dependent).inserted {
                pending.append(dependent)
            }
        }
        return chosen.sorted()
    }

    /// The numbers of the atoms an event of this name can count into.
    public func atoms(for event: String) -> [Int] { atomsByEvent[event] ?? [] }

    /// The numbers of the sequences an event of this name can advance.
    public func sequences(for event: String) -> [Int] { sequencesByEvent[event] ?? [] }

    /// Whether any atom or sequence asks about events of this name.
    public func asksAbout(_ event: String) -> Bool { atomsByEvent[event] != nil || sequencesByEvent[event] != nil }

    /// The position in `ordered` of the audience with this id.
    public func position(of id: Int64) -> Int? { position[id] }

    /// The number of the atom with this key, if the plan has it.
    public func atomNumber(_ key: String) -> Int? { atomNumbers[key] }

    /// The number of the sequence with this key, if the plan has it.
    public func sequenceNumber(_ key: String) -> Int? { sequenceNumbers[key] }

    /// What changed about a profile, to choose the audiences to evaluate again.
    public struct Change: Sendable {
        /// The names of events the profile performed.
        public var events: Set<String> = []
        /// Its merged attributes may have changed.
        public var attributes = false
        /// Its computed attributes may have changed (any record changes them).
        public var computed = false
        /// Its identities may have changed.
        public var identities = false
        /// Its consent may have changed.
        public var consent = false
        /// Time passed: sliding windows may count fewer events.
        public var time = false
        /// The profile is new: the audiences a profile with nothing is in are evaluated too, since
        /// it may enter them.
        public var created = false
        /// Anything may have changed (a merge, a split): evaluate every audience.
        public var everything = false

        /// Nothing changed yet.
        public init() {}
    }

    /// The positions in `ordered` of the audiences a change can affect, and of those that refer to
    /// them, in dependency order.
    ///
    /// - Complexity: O(a log a) in the number of audiences affected.
    public func affected(by change: Change) -> [Int] {
        if change.everything { return Array(ordered.indices) }
        // The common case, a track record of a profile that exists: one event name, and computed
        // attributes that no audience reads.
        if change.events.count <= 1, !change.attributes, !change.identities, !change.consent, !change.time,
            !change.created, !change.computed || readingComputed.isEmpty
        {
            return change.events.first.flatMap { affectedByEvent[$0] } ?? []
        }
        var chosen: Set<Int> = []
        for name in change.events { chosen.formUnion(byEvent[name] ?? []) }
        if change.attributes { chosen.formUnion(readingAttributes) }
        if change.computed { chosen.formUnion(readingComputed) }
        if change.identities { chosen.formUnion(readingIdentities) }
        if change.consent { chosen.formUnion(readingConsent) }
        if change.time { chosen.formUnion(sliding) }
        if change.created { chosen.formUnion(holdingWhenEmpty) }
        return Self.closure(of: chosen, dependents: dependents)
    }

    /// The positions in `ordered` of the audiences with the given ids and of every audience that
    /// refers to them, directly or through others, in dependency order.
    public func including(dependentsOf ids: Set<Int64>) -> [Int] {
        var chosen = Set(ids.compactMap { position[$0] })
        var pending = Array(chosen)
        while let next = pending.popLast() {
            for dependent in dependents[next] ?? [] where chosen.insert(dependent).inserted {
                pending.append(dependent)
            }
        }
        return chosen.sorted()
    }

    /// What evaluating the audiences at `positions` reads of the profile besides its events.
    public func reads(_ positions: [Int]) -> (attributes: Bool, computed: Bool, identities: Bool) {
        (
            positions.contains(where: readingAttributes.contains), positions.contains(where: readingComputed.contains),
            positions.contains(where: readingIdentities.contains)
        )
    }

    /// Whether any audience has a sliding window, so time passing can change membership.
    public var hasSlidingWindows: Bool { !sliding.isEmpty }

    /// Whether any audience reads consent, whose answers can expire.
    public var readsConsent: Bool { !readingConsent.isEmpty }

    /// Orders audiences so that each comes after the audiences it refers to.
    static func dependencyOrder(
        _ audiences: [AudienceDefinition]
    ) throws(AudienceDependencyError) -> [AudienceDefinition] {
        let byName = Dictionary(audiences.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var state: [String: Bool] = [:]  // false while visiting, true when placed
        var ordered: [AudienceDefinition] = []
        func place(_ audience: AudienceDefinition, path: [String]) throws(AudienceDependencyError) {
            if let placed = state[audience.name] {
                if placed { return }
                let start = path.firstIndex(of: audience.name) ?? 0
                throw AudienceDependencyError(names: Array(path[start...]) + [audience.name], reason: .cycle)
            }
            state[audience.name] = false
            for name in audience.rule.referencedAudiences.sorted() {
                guard let dependency = byName[name] else {
                    throw AudienceDependencyError(names: [audience.name, name], reason: .unknownAudience)
                }
                try place(dependency, path: path + [audience.name])
            }
            state[audience.name] = true
            ordered.append(audience)
        }
        for audience in audiences.sorted(by: { $0.id < $1.id }) {
            try place(audience, path: [])
        }
        return ordered
    }
}
