/// A parsed audience rule: the tree the text language and its JSON form both describe.
///
/// Rules only describe conditions; nothing inside a rule is ever executed. `and` and `or` hold two
/// or more children as written in one chain (`a and b and c`); a parenthesised group stays a nested
/// node, so the canonical text parses back to an equal tree.
public indirect enum AudienceRule: Sendable, Hashable {
    /// Every child holds.
    case and([AudienceRule])
    /// At least one child holds.
    case or([AudienceRule])
    /// The child does not hold.
    case not(AudienceRule)
    /// A profile or computed attribute compared with a literal: `attribute loyalty.tier = "gold"`.
    case attribute(AttributeCondition)
    /// The profile has at least one identity in the namespace: `has email`.
    case identity(namespace: String)
    /// The profile did (or did not) perform an event, a number of times, in a window.
    case event(EventCondition)
    /// An aggregate over events compared with a number: `sum of properties.revenue for "Order Completed" > 500`.
    case aggregate(AggregateCondition)
    /// Events performed in order: `did "Product Viewed" then "Order Completed" within 1 hour`.
    case sequence(SequenceCondition)
    /// The profile is a member of another audience: `in audience "Travellers"`.
    case audience(name: String)
    /// The profile's consent answer for a purpose (and channel): `consent marketing.email = "y"`.
    case consent(ConsentCondition)
}

/// How a value is compared with a literal.
public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
    /// Equal to the literal.
    case equal = "="
    /// Not equal to the literal.
    case notEqual = "!="
    /// Smaller than a number, or earlier than a date.
    case less = "<"
    /// Smaller than or equal to a number, or not later than a date.
    case lessOrEqual = "<="
    /// Greater than a number, or later than a date.
    case greater = ">"
    /// Greater than or equal to a number, or not earlier than a date.
    case greaterOrEqual = ">="
    /// Case-insensitive substring test on strings.
    case contains = "contains"
    /// Case-insensitive prefix test on strings.
    case startsWith = "starts with"
    /// The value is a date earlier than the literal date.
    case before = "before"
    /// The value is a date later than the literal date.
    case after = "after"

    /// Whether the operator is one of `=`, `!=`, `<`, `<=`, `>`, `>=`, the only ones aggregates accept.
    public var isNumericComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: return true
        default: return false
        }
    }
}

/// A test applied to one value: a comparison, membership in a list, or presence.
public enum ValueTest: Sendable, Hashable {
    /// Compare with one literal.
    case compare(ComparisonOperator, AudienceValue)
    /// Equal to one of the literals: `in ["Leeds", "York"]`.
    case oneOf([AudienceValue])
    /// The value is present (not missing, not null).
    case exists
}

/// A condition on a profile attribute; paths starting with `computed.` name computed attributes.
public struct AttributeCondition: Sendable, Hashable {
    /// The dotted attribute path, e.g. `loyalty.tier` or `computed.orderCount`.
    public var path: String
    /// The test applied to the attribute's value.
    public var test: ValueTest

    /// Creates an attribute condition.
    public init(path: String, test: ValueTest) {
        self.path = path
        self.test = test
    }

    /// Whether the path names a computed attribute (`computed.…`).
    public var isComputed: Bool { path.hasPrefix("computed.") }
}

/// A filter on one field of an event, under `properties.` or `context.`.
public struct EventFilter: Sendable, Hashable {
    /// The dotted field path, e.g. `properties.total` or `context.device.type`.
    public var path: String
    /// The test applied to the field's value.
    public var test: ValueTest

    /// Creates an event filter.
    public init(path: String, test: ValueTest) {
        self.path = path
        self.test = test
    }
}

/// The period of event history a condition looks at.
public enum TimeWindow: Sendable, Hashable {
    /// The whole history.
    case allTime
    /// The last `duration` before the moment of evaluation (a sliding window).
    case within(AudienceDuration)
    /// From the first date (inclusive) to the second (exclusive).
    case between(AudienceDate, AudienceDate)
    /// Strictly before the date.
    case before(AudienceDate)
    /// At or after the date.
    case after(AudienceDate)
}

/// How many matching events an event condition asks for.
public enum EventQuantifier: Sendable, Hashable {
    /// `did` is `atLeast(1)`; `at least N times`.
    case atLeast(Int64)
    /// `at most N times`.
    case atMost(Int64)
    /// `did not` is `exactly(0)`; `exactly N times`.
    case exactly(Int64)

    /// Whether `count` matching events satisfy the quantifier.
    public func isSatisfied(by count: Int64) -> Bool {
        switch self {
        case .atLeast(let bound): return count >= bound
        case .atMost(let bound): return count <= bound
        case .exactly(let bound): return count == bound
        }
    }
}

/// A condition on events the profile performed: `did "Order Completed" at least 2 times within 30 days`.
public struct EventCondition: Sendable, Hashable {
    /// The event name, matched exactly.
    public var event: String
    /// Filters every counted event must pass (all of them).
    public var filters: [EventFilter]
    /// How many matching events are required.
    public var quantifier: EventQuantifier
    /// Which part of the history is counted.
    public var window: TimeWindow

    /// Creates an event condition; by default "did it at least once, ever".
    public init(
        event: String, filters: [EventFilter] = [], quantifier: EventQuantifier = .atLeast(1),
        window: TimeWindow = .allTime
    ) {
        self.event = event
        self.filters = filters
        self.quantifier = quantifier
        self.window = window
    }
}

/// The function an aggregate applies to matching events.
public enum AggregateFunction: String, Sendable, Hashable, CaseIterable {
    /// The number of events, the total, smallest, largest or mean value of a field.
    case count, sum, min, max, avg
}

/// A numeric aggregate over events compared with a threshold.
public struct AggregateCondition: Sendable, Hashable {
    /// The function applied.
    public var function: AggregateFunction
    /// The aggregated field (`properties.revenue`); `nil` for `count`, which counts events.
    public var field: String?
    /// The event name, matched exactly.
    public var event: String
    /// Filters every aggregated event must pass.
    public var filters: [EventFilter]
    /// Which part of the history is aggregated.
    public var window: TimeWindow
    /// How the aggregate is compared; one of `=`, `!=`, `<`, `<=`, `>`, `>=`.
    public var comparison: ComparisonOperator
    /// The threshold; an integer for `count`.
    public var threshold: AudienceNumber

    /// Creates an aggregate condition.
    public init(
        function: AggregateFunction, field: String?, event: String, filters: [EventFilter] = [],
        window: TimeWindow = .allTime, comparison: ComparisonOperator, threshold: AudienceNumber
    ) {
        self.function = function
        self.field = field
        self.event = event
        self.filters = filters
        self.window = window
        self.comparison = comparison
        self.threshold = threshold
    }
}

/// One step of a sequence: an event name and its filters.
public struct SequenceStep: Sendable, Hashable {
    /// The event name, matched exactly.
    public var event: String
    /// Filters the step's event must pass.
    public var filters: [EventFilter]

    /// Creates a sequence step.
    public init(event: String, filters: [EventFilter] = []) {
        self.event = event
        self.filters = filters
    }
}

/// Two or more events performed in order, optionally all inside one span of time (a funnel).
public struct SequenceCondition: Sendable, Hashable {
    /// The steps, in the order they must happen.
    public var steps: [SequenceStep]
    /// The longest time allowed from the first step to the last; `nil` for no limit.
    public var within: AudienceDuration?

    /// Creates a sequence condition.
    public init(steps: [SequenceStep], within: AudienceDuration? = nil) {
        self.steps = steps
        self.within = within
    }
}

/// A consent answer as recorded in the XDM Consents & Preferences field group.
public enum ConsentAnswer: String, Sendable, Hashable, CaseIterable {
    /// The person agreed.
    case yes = "y"
    /// The person refused.
    case no = "n"
    /// The person was never asked, or the answer is not known.
    case unknown = "u"
}

/// A condition on a profile's consent for a purpose, optionally one channel of it.
public struct ConsentCondition: Sendable, Hashable {
    /// The purpose, e.g. `marketing`, `collect`, `share`, `personalize`.
    public var purpose: String
    /// The channel within the purpose, e.g. `email`; `nil` for the purpose as a whole.
    public var channel: String?
    /// The answer required.
    public var answer: ConsentAnswer

    /// Creates a consent condition.
    public init(purpose: String, channel: String? = nil, answer: ConsentAnswer) {
        self.purpose = purpose
        self.channel = channel
        self.answer = answer
    }

    /// `purpose` or `purpose.channel`.
    public var path: String { channel.map { "\(purpose).\($0)" } ?? purpose }
}
