public import TesseraCore

/// One event of a profile as rules see it: its name, when it happened, its place in the log, and
/// the two objects event filters read.
public struct AudienceEvent: Sendable, Hashable {
    /// The Segment `event` or XDM `eventType`.
    public var name: String
    /// When the event happened (the record's timestamp).
    public var time: Timestamp
    /// The record's place in the event log; breaks ties between events of the same time.
    public var sequence: Int64
    /// What `properties.…` filters read: Segment `properties`, or the XDM record itself.
    public var properties: JSONValue
    /// What `context.…` filters read: Segment `context`; empty for XDM.
    public var context: JSONValue

    /// Creates an event.
    public init(
        name: String, time: Timestamp, sequence: Int64, properties: JSONValue = [:], context: JSONValue = [:]
    ) {
        self.name = name
        self.time = time
        self.sequence = sequence
        self.properties = properties
        self.context = context
    }

    /// The value of a filter's field, `properties.…` or `context.…`.
    public func field(_ path: String) -> JSONValue? {
        AudienceFacts.eventField(path, properties: properties, context: context)
    }

    /// Whether the event is ordered before `other`: earlier, or as early and earlier in the log.
    public func precedes(_ other: AudienceEvent) -> Bool {
        (time, sequence) < (other.time, other.sequence)
    }
}

extension EventFilter {
    /// Whether the event's field passes the filter's test.
    public func matches(_ event: AudienceEvent) -> Bool { test.matches(event.field(path)) }
}

extension TimeWindow {
    /// Whether an event at `time` is counted when the rule is evaluated at `now`.
    ///
    /// `within D` counts `now − D < time`; `between A and B` counts `A ≤ time < B`; `before A`
    /// counts `time < A`; `after A` counts `time ≥ A`.
    public func contains(_ time: Timestamp, at now: Timestamp) -> Bool {
        switch self {
        case .allTime: return true
        case .within(let duration): return time.milliseconds > now.milliseconds - duration.milliseconds
        case .between(let start, let end): return start.timestamp <= time && time < end.timestamp
        case .before(let date): return time < date.timestamp
        case .after(let date): return time >= date.timestamp
        }
    }

    /// When an event at `time` stops being counted as time passes, or `nil` when it never does.
    public func expiry(of time: Timestamp) -> Timestamp? {
        guard case .within(let duration) = self else { return nil }
        return time.adding(milliseconds: duration.milliseconds)
    }
}
