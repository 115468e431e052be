public import TesseraCore

/// What a profile's events say to rules: totals per atom, and whether each sequence completed.
///
/// Two histories answer the same questions: `EventList` from the events themselves (for
/// explanations and as the reference), and `StreamingState` from per-profile incremental state.
public protocol EventHistory {
    /// The atom's totals over the events in its window at `now`.
    func totals(of atom: EventAtom, at now: Timestamp) -> AtomTotals
    /// Whether some chain of events completes the sequence.
    func completes(_ sequence: SequenceCondition) -> Bool
}

/// Everything a rule can read about one profile at one moment.
public struct ProfileFacts {
    /// Merged attributes under the default merge policy.
    public var attributes: JSONValue
    /// Computed attributes (`computed.…` paths read here, without the prefix).
    public var computed: JSONValue
    /// The namespaces the profile holds identities in.
    public var identityNamespaces: Set<String>
    /// Consent answers by `purpose` or `purpose.channel`; absent ones are "u".
    public var consent: [String: ConsentAnswer]
    /// The audiences (by name) the profile is a member of at this moment.
    public var memberships: Set<String>
    /// The profile's events as rules see them.
    public var history: any EventHistory

    /// Creates the facts of one profile.
    public init(
        attributes: JSONValue = [:], computed: JSONValue = [:], identityNamespaces: Set<String> = [],
        consent: [String: ConsentAnswer] = [:], memberships: Set<String> = [], history: any EventHistory
    ) {
        self.attributes = attributes
        self.computed = computed
        self.identityNamespaces = identityNamespaces
        self.consent = consent
        self.memberships = memberships
        self.history = history
    }

    /// The value an attribute condition reads.
    public func value(of condition: AttributeCondition) -> JSONValue? {
        if condition.isComputed { return AudienceFacts.value(at: String(condition.path.dropFirst(9)), in: computed) }
        return AudienceFacts.value(at: condition.path, in: attributes)
    }

    /// The consent answer for a purpose (or purpose and channel); "u" when none was given.
    public func answer(for condition: ConsentCondition) -> ConsentAnswer {
        consent[condition.path] ?? .unknown
    }
}

/// A profile's history as a plain list of its events.
public struct EventList: EventHistory {
    /// The events, in any order.
    public var events: [AudienceEvent]

    /// Creates a history from events in any order.
    public init(_ events: [AudienceEvent]) {
        self.events = events
    }

    public func totals(of atom: EventAtom, at now: Timestamp) -> AtomTotals {
        var totals = AtomTotals()
        for event in events where atom.matches(event) && atom.window.contains(event.time, at: now) {
            totals.add(atom.field.flatMap { event.field($0) }.flatMap(AudienceFacts.number(of:)))
        }
        return totals
    }

    public func completes(_ sequence: SequenceCondition) -> Bool {
        chain(completing: sequence) != nil
    }

    /// The events that complete the sequence, first step first, or `nil`.
    public func chain(completing sequence: SequenceCondition) -> [AudienceEvent]? {
        let ordered = events.sorted { $0.precedes($1) }
        let occurrences = sequence.steps.map { step in
            ordered.filter(step.matches).map { EventMark(time: $0.time, sequence: $0.sequence) }
        }
        guard let marks = sequence.completingChain(occurrences) else { return nil }
        return marks.compactMap { mark in ordered.first { $0.sequence == mark.sequence } }
    }

    /// The events an atom counts at `now`, newest first.
    public func matching(_ atom: EventAtom, at now: Timestamp) -> [AudienceEvent] {
        events.filter { atom.matches($0) && atom.window.contains($0.time, at: now) }
            .sorted { $1.precedes($0) }
    }
}
