public import TesseraCore

/// The smallest question a rule asks of a profile's events: which events of one name, passing some
/// filters, inside one window — and, for `sum`/`min`/`max`/`avg`, which field to read.
///
/// Event and aggregate conditions reduce to atoms, so audiences that ask the same question share
/// the per-profile state that answers it.
public struct EventAtom: Sendable, Hashable {
    /// The event name, matched exactly.
    public var event: String
    /// Filters every counted event must pass.
    public var filters: [EventFilter]
    /// Which part of the history is counted.
    public var window: TimeWindow
    /// The numeric field aggregated, or `nil` when only the count is asked.
    public var field: String?

    /// Creates an atom.
    public init(event: String, filters: [EventFilter] = [], window: TimeWindow = .allTime, field: String? = nil) {
        self.event = event
        self.filters = filters
        self.window = window
        self.field = field
    }

    /// Whether the event has the atom's name and passes its filters (the window is checked apart).
    public func matches(_ candidate: AudienceEvent) -> Bool {
        candidate.name == event && filters.allSatisfy { $0.matches(candidate) }
    }

    /// A stable name for the atom, for storing its state: the canonical text of the aggregate it
    /// answers, so that equal atoms written differently share one name.
    public var key: String {
        let condition = AggregateCondition(
            function: field == nil ? .count : .sum, field: field, event: event, filters: filters, window: window,
            comparison: .greaterOrEqual, threshold: .int(0))
        return AudienceRule.aggregate(condition).text
    }

    /// Whether time passing alone changes what the atom counts (a `within` window).
    public var slides: Bool {
        if case .within = window { return true }
        return false
    }
}

/// What an atom counts over a profile's events: how many matched, and the field's figures.
public struct AtomTotals: Sendable, Hashable {
    /// Matching events in the window.
    public var count: Int64 = 0
    /// Matching events whose field holds a number.
    public var numericCount: Int64 = 0
    /// The sum of those numbers; 0 when there are none.
    public var sum: Double = 0
    /// The smallest of them, or `nil` when there are none.
    public var minimum: Double?
    /// The largest of them, or `nil` when there are none.
    public var maximum: Double?

    /// No events counted.
    public init() {}

    /// Counts one matching event, with its field's number when it has one.
    public mutating func add(_ number: Double?) {
        count += 1
        guard let number else { return }
        numericCount += 1
        sum += number
        minimum = Swift.min(minimum ?? number, number)
        maximum = Swift.max(maximum ?? number, number)
    }

    /// Totals over both sets of events.
    public mutating func combine(_ other: AtomTotals) {
        count += other.count
        numericCount += other.numericCount
        sum += other.sum
        if let low = other.minimum { minimum = Swift.min(minimum ?? low, low) }
        if let high = other.maximum { maximum = Swift.max(maximum ?? high, high) }
    }

    /// The value of an aggregate function, or `nil` when `min`, `max` or `avg` have no numbers.
    public func value(of function: AggregateFunction) -> Double? {
        switch function {
        case .count: return Double(count)
        case .sum: return sum
        case .min: return minimum
        case .max: return maximum
        case .avg: return numericCount > 0 ? sum / Double(numericCount) : nil
        }
    }
}

extension AudienceRule {
    /// The atoms of the rule's event and aggregate conditions.
    public var eventAtoms: Set<EventAtom> {
        var atoms: Set<EventAtom> = []
        visit { rule in
            switch rule {
            case .event(let condition):
                atoms.insert(EventAtom(event: condition.event, filters: condition.filters, window: condition.window))
            case .aggregate(let condition):
                atoms.insert(condition.atom)
            default: break
            }
        }
        return atoms
    }

    /// The rule's sequence conditions.
    public var sequences: Set<SequenceCondition> {
        var found: Set<SequenceCondition> = []
        visit { rule in
            if case .sequence(let condition) = rule { found.insert(condition) }
        }
        return found
    }
}

extension AggregateCondition {
    /// The atom whose totals answer the aggregate.
    public var atom: EventAtom {
        EventAtom(event: event, filters: filters, window: window, field: function == .count ? nil : field)
    }
}

extension EventCondition {
    /// The atom whose count answers the condition.
    public var atom: EventAtom { EventAtom(event: event, filters: filters, window: window) }
}

extension SequenceStep {
    /// Whether the event is this step's name and passes its filters.
    public func matches(_ candidate: AudienceEvent) -> Bool {
        candidate.name == event && filters.allSatisfy { $0.matches(candidate) }
    }
}

extension SequenceCondition {
    /// A stable name for the sequence, for storing its state: its canonical text.
    public var key: String { AudienceRule.sequence(self).text }

    /// The steps' matching events in order, when one chain of them completes the sequence.
    ///
    /// Each step's occurrences must be sorted by (time, sequence). Starting from each first-step
    /// occurrence in turn, every later step takes its earliest occurrence after the previous one;
    /// the earliest chain from a start ends soonest, so it is the one to test against `within`.
    ///
    /// - Complexity: O(s · k · log n) for s starts, k steps and n occurrences per step.
    public func completingChain(_ occurrences: [[EventMark]]) -> [EventMark]? {
        guard occurrences.count == steps.count, let starts = occurrences.first else { return nil }
        for start in starts {
            var chain = [start]
            for later in occurrences.dropFirst() {
                guard let next = later.first(after: chain[chain.count - 1]) else { return nil }
                chain.append(next)
            }
            guard let within else { return chain }
            let span = chain[chain.count - 1].time.milliseconds - start.time.milliseconds
            if span <= within.milliseconds { return chain }
        }
        return nil
    }
}

/// Where an event sits in a profile's history: its time and its place in the log.
public struct EventMark: Sendable, Hashable, Comparable {
    /// When the event happened.
    public var time: Timestamp
    /// Its place in the event log.
    public var sequence: Int64

    /// Creates a mark.
    public init(time: Timestamp, sequence: Int64) {
        self.time = time
        self.sequence = sequence
    }

    /// Orders by time, then by place in the log.
    public static func < (lhs: EventMark, rhs: EventMark) -> Bool {
        (lhs.time, lhs.sequence) < (rhs.time, rhs.sequence)
    }
}

extension Array where Element == EventMark {
    /// The first mark after `mark`, in an array sorted ascending.
    func first(after mark: EventMark) -> EventMark? {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] <= mark { low = middle + 1 } else { high = middle }
        }
        return low < count ? self[low] : nil
    }
}
