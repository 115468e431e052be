public import TesseraCore

/// A profile's incremental event state: just enough to answer every atom and sequence of the
/// active audiences without reading its events again.
///
/// In memory it is keyed by the numbers of one `StreamingPlan`; it is stored under ids the store
/// gives the atoms' and sequences' keys (see `encoded(keys:)`), so it survives changes of the plan.
///
/// - An atom with a fixed window (all time, `between`, `before`, `after`) keeps running totals:
///   whether an event counts depends only on its own time, so it is decided once, on arrival.
/// - An atom with a `within` window keeps its matching events still inside the window (time and the
///   field's number); they leave as time passes, which is what makes exits exact.
/// - A sequence keeps the marks of each step's matching events until some chain completes it, and
///   then only that fact: a completed sequence stays complete. At most `stepLimit` marks are kept
///   per step (the earliest, which are the ones a chain starts from).
public struct StreamingState: Sendable, Equatable {
    /// The most marks kept per sequence step.
    public static let stepLimit = 1_000

    /// One event an atom with a sliding window still counts.
    struct Recent: Sendable, Equatable {
        var time: Timestamp
        var number: Double?
    }

    /// A sliding atom's events, oldest first, with its window length.
    struct Window: Sendable, Equatable {
        var milliseconds: Int64
        var events: [Recent] = []

        /// Puts an event in time order; events mostly arrive in order, so the search starts at the end.
        mutating func insert(_ event: Recent) {
            var index = events.count
            while index > 0, events[index - 1].time > event.time { index -= 1 }
            events.insert(event, at: index)
        }
    }

    /// How far a sequence has got.
    enum Progress: Sendable, Equatable {
        case completed
        case pending([[EventMark]])
    }

    var fixed: [Int: AtomTotals] = [:]
    var sliding: [Int: Window] = [:]
    var sequences: [Int: Progress] = [:]

    /// An empty state: no events seen.
    public init() {}

    /// Whether nothing is held.
    public var isEmpty: Bool { fixed.isEmpty && sliding.isEmpty && sequences.isEmpty }

    // MARK: - Answering rules

    /// The totals of atom `number` of `plan` at `now`.
    public func totals(ofAtom number: Int, plan: StreamingPlan, at now: Timestamp) -> AtomTotals {
        let atom = plan.atoms[number]
        guard case .within = atom.window else { return fixed[number] ?? AtomTotals() }
        var totals = AtomTotals()
        for event in sliding[number]?.events ?? [] where atom.window.contains(event.time, at: now) {
            totals.add(event.number)
        }
        return totals
    }

    /// Whether sequence `number` of `plan` is complete.
    public func completes(sequence number: Int, plan: StreamingPlan) -> Bool {
        switch sequences[number] {
        case .completed: return true
        case .pending(let marks): return plan.sequences[number].completingChain(marks) != nil
        case nil: return false
        }
    }

    // MARK: - Taking events in

    /// Counts one event into every atom and sequence of `plan` it matches.
    ///
    /// - Returns: whether the state changed.
    @discardableResult
    public mutating func observe(_ event: AudienceEvent, plan: StreamingPlan, at now: Timestamp) -> Bool {
        observe(
            event, atoms: plan.atoms(for: event.name), sequences: plan.sequences(for: event.name), plan: plan, at: now)
    }

    /// Counts one event into those of the numbered atoms and sequences of `plan` it matches.
    ///
    /// - Returns: whether the state changed.
    @discardableResult
    public mutating func observe(
        _ event: AudienceEvent, atoms: [Int], sequences: [Int], plan: StreamingPlan, at now: Timestamp
    ) -> Bool {
        var changed = false
        for number in atoms {
            let atom = plan.atoms[number]
            let matcher = plan.matchers[number]
            guard matcher.matches(event), atom.window.contains(event.time, at: now) else { continue }
            let value = matcher.number(in: event)
            if case .within(let duration) = atom.window {
                let recent = Recent(time: event.time, number: value)
                // Mutated in place, so the window's events are not copied on every insert.
                sliding[number, default: Window(milliseconds: duration.milliseconds)].insert(recent)
            } else {
                fixed[number, default: AtomTotals()].add(value)
            }
            changed = true
        }
        for number in sequences {
            changed = observe(event, inSequence: number, plan: plan) || changed
        }
        return changed
    }

    private mutating func observe(_ event: AudienceEvent, inSequence number: Int, plan: StreamingPlan) -> Bool {
        let sequence = plan.sequences[number]
        if case .completed = sequences[number] { return false }
        guard case .pending(var marks) = sequences[number] ?? .pending(sequence.steps.map { _ in [] }) else {
            return false
        }
        let mark = EventMark(time: event.time, sequence: event.sequence)
        var changed = false
        for (index, step) in sequence.steps.enumerated() where step.matches(event) {
            let position = marks[index].firstIndex { $0 > mark } ?? marks[index].count
            guard position < Self.stepLimit else { continue }
            marks[index].insert(mark, at: position)
            if marks[index].count > Self.stepLimit { marks[index].removeLast() }
            changed = true
        }
        guard changed else { return false }
        sequences[number] = sequence.completingChain(marks) != nil ? .completed : .pending(marks)
        return true
    }

    // MARK: - Time passing

    /// Drops the events that sliding windows no longer count at `now`.
    ///
    /// - Returns: whether any was dropped.
    @discardableResult
    public mutating func prune(at now: Timestamp) -> Bool {
        var changed = false
        for (key, var window) in sliding {
            let cutoff = now.milliseconds - window.milliseconds
            let kept = window.events.drop { $0.time.milliseconds <= cutoff }
            guard kept.count != window.events.count else { continue }
            window.events = Array(kept)
            sliding[key] = window.events.isEmpty ? nil : window
            changed = true
        }
        return changed
    }

    /// The next moment after `now` at which a sliding window stops counting an event, or `nil`.
    public func nextExpiry(after now: Timestamp) -> Timestamp? {
        var earliest: Int64?
        for window in sliding.values {
            for event in window.events {
                let expiry = event.time.milliseconds + window.milliseconds
                guard expiry > now.milliseconds else { continue }
                earliest = Swift.min(earliest ?? expiry, expiry)
                break
            }
        }
        return earliest.map { Timestamp(milliseconds: $0) }
    }

    // MARK: - Profiles merging

    /// Takes in the state of a profile merged into this one.
    public mutating func absorb(_ other: StreamingState) {
        for (key, totals) in other.fixed { fixed[key, default: AtomTotals()].combine(totals) }
        for (key, window) in other.sliding {
            var mine = sliding[key] ?? Window(milliseconds: window.milliseconds)
            mine.events = (mine.events + window.events).sorted { $0.time < $1.time }
            sliding[key] = mine
        }
        for (key, progress) in other.sequences {
            switch (sequences[key], progress) {
            case (.completed, _): continue
            case (_, .completed), (nil, _): sequences[key] = progress
            case (.pending(let mine), .pending(let theirs)):
                let marks = zip(mine, theirs).map { Array(($0 + $1).sorted().prefix(Self.stepLimit)) }
                sequences[key] = .pending(marks)
            }
        }
    }

    /// The state as an `EventHistory` that answers by atom and sequence, for comparing with other
    /// histories; an atom or sequence the plan does not number answers as if no event matched.
    public func history(plan: StreamingPlan) -> some EventHistory { PlannedHistory(state: self, plan: plan) }
}

/// A streaming state read through the keys of its plan.
struct PlannedHistory: EventHistory {
    let state: StreamingState
    let plan: StreamingPlan

    func totals(of atom: EventAtom, at now: Timestamp) -> AtomTotals {
        plan.atomNumber(atom.key).map { state.totals(ofAtom: $0, plan: plan, at: now) } ?? AtomTotals()
    }

    func completes(_ sequence: SequenceCondition) -> Bool {
        plan.sequenceNumber(sequence.key).map { state.completes(sequence: $0, plan: plan) } ?? false
    }
}
