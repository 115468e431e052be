/// A rule prepared for scanning: columns resolved and every value test turned into a table.
indirect enum Plan: Sendable {
    case all([Plan])
    case any([Plan])
    case not(Plan)
    /// An attribute test: the row's code indexes `truth`.
    case value(ValueTable)
    /// Identities and audience memberships: the row is in the set.
    case rows(DenseBitset)
    /// A consent answer per row compared with the required one.
    case consent(answers: [ConsentAnswer], required: ConsentAnswer)
    case event(EventPlan)
    case aggregate(AggregatePlan)
    case sequence(SequencePlan)

    /// Prepares `rule` over `snapshot`, reading `in audience` sets from `memberships`.
    init(
        _ rule: AudienceRule, snapshot: AudienceSnapshot, memberships: inout MembershipSource
    ) throws(BatchEvaluationError) {
        switch rule {
        case .and(let children):
            var plans: [Plan] = []
            for child in children { plans.append(try Plan(child, snapshot: snapshot, memberships: &memberships)) }
            self = .all(plans)
        case .or(let children):
            var plans: [Plan] = []
            for child in children { plans.append(try Plan(child, snapshot: snapshot, memberships: &memberships)) }
            self = .any(plans)
        case .not(let child): self = .not(try Plan(child, snapshot: snapshot, memberships: &memberships))
        case .attribute(let condition):
            guard let column = snapshot.attributes[condition.path] else { throw .notInSnapshot }
            self = .value(ValueTable(column, condition.test))
        case .identity(let namespace):
            guard let rows = snapshot.identities[namespace] else { throw .notInSnapshot }
            self = .rows(rows)
        case .audience(let name):
            guard let rows = memberships.members(of: name) else { throw .unknownAudience }
            self = .rows(rows)
        case .consent(let condition):
            guard let answers = snapshot.consent[condition.path] else { throw .notInSnapshot }
            self = .consent(answers: answers, required: condition.answer)
        case .event(let condition): self = .event(try EventPlan(condition, snapshot: snapshot))
        case .aggregate(let condition): self = .aggregate(try AggregatePlan(condition, snapshot: snapshot))
        case .sequence(let condition): self = .sequence(try SequencePlan(condition, snapshot: snapshot))
        }
    }
}

/// A column with the answer of one test for each of its distinct values.
struct ValueTable: Sendable {
    let codes: [UInt32]
    /// `truth[code]`: whether the test holds for that value; entry 0 for a missing value.
    let truth: [Bool]

    init(_ column: ValueColumn, _ test: ValueTest) {
        codes = column.codes
        truth = column.truthTable(for: test)
    }

    static func filters(
        _ filters: [EventFilter], of columns: AudienceSnapshot.EventColumns
    ) throws(BatchEvaluationError) -> [ValueTable] {
        var tables: [ValueTable] = []
        for filter in filters {
            guard let column = columns.fields[filter.path] else { throw .notInSnapshot }
            tables.append(ValueTable(column, filter.test))
        }
        return tables
    }
}

/// `did "E" where … quantifier window`.
struct EventPlan: Sendable {
    let columns: AudienceSnapshot.EventColumns
    let filters: [ValueTable]
    let window: TimeWindow
    let quantifier: EventQuantifier

    init(_ condition: EventCondition, snapshot: AudienceSnapshot) throws(BatchEvaluationError) {
        guard let columns = snapshot.events[condition.event] else { throw .notInSnapshot }
        self.columns = columns
        filters = try ValueTable.filters(condition.filters, of: columns)
        window = condition.window
        quantifier = condition.quantifier
    }
}

/// `count|sum|min|max|avg of … for "E" where … window comparison threshold`.
struct AggregatePlan: Sendable {
    let columns: AudienceSnapshot.EventColumns
    let filters: [ValueTable]
    let window: TimeWindow
    /// The condition, whose `isSatisfied(by:)` compares the totals.
    let condition: AggregateCondition
    /// The aggregated field's codes and the number each code holds (NaN: not a number); empty for `count`.
    let fieldCodes: [UInt32]
    let numbers: [Double]

    init(_ condition: AggregateCondition, snapshot: AudienceSnapshot) throws(BatchEvaluationError) {
        guard let columns = snapshot.events[condition.event] else { throw .notInSnapshot }
        self.columns = columns
        filters = try ValueTable.filters(condition.filters, of: columns)
        window = condition.window
        self.condition = condition
        if condition.function == .count {
            fieldCodes = []
            numbers = []
        } else {
            guard let path = condition.field, let field = columns.fields[path] else { throw .notInSnapshot }
            fieldCodes = field.codes
            numbers = field.numberTable()
        }
    }
}

/// `did "A" where … then "B" where … within D`.
struct SequencePlan: Sendable {
    struct Step: Sendable {
        /// Index into `names`.
        let name: Int
        let filters: [ValueTable]
    }

    /// Per distinct event name of the steps: its row offsets, times and log sequences (kept as
    /// plain arrays so the scan reads them without copying a column struct per profile).
    let offsets: [[UInt32]]
    let times: [[Int64]]
    let sequences: [[Int64]]
    let steps: [Step]
    /// The longest span from the first step to the last, in milliseconds.
    let within: Int64?

    init(_ condition: SequenceCondition, snapshot: AudienceSnapshot) throws(BatchEvaluationError) {
        var order: [String] = []
        var names: [AudienceSnapshot.EventColumns] = []
        var steps: [Step] = []
        for step in condition.steps {
            guard let columns = snapshot.events[step.event] else { throw .notInSnapshot }
            let index = order.firstIndex(of: step.event) ?? order.count
            if index == order.count {
                order.append(step.event)
                names.append(columns)
            }
            steps.append(Step(name: index, filters: try ValueTable.filters(step.filters, of: columns)))
        }
        offsets = names.map(\.offsets)
        times = names.map(\.times)
        sequences = names.map(\.sequences)
        self.steps = steps
        within = condition.within?.milliseconds
    }
}
