public import TesseraCore

/// Why a rule holds or not for one profile: every condition with its answer and the facts behind it.
public struct AudienceExplanation: Sendable, Equatable {
    /// The condition in canonical text.
    public var condition: String
    /// Whether it holds.
    public var holds: Bool
    /// For `and`, `or` and `not`: the explanations of the parts.
    public var parts: [AudienceExplanation] = []
    /// For attribute conditions: the value read (`null` when missing).
    public var value: JSONValue?
    /// For event conditions: the number of matching events; for aggregates, the aggregate's value.
    public var figure: Double?
    /// The events that satisfied an event, aggregate or sequence condition, newest first (at most
    /// `eventLimit`).
    public var events: [AudienceEvent] = []
    /// For a `within` window: when the answer changes by time alone, if nothing else happens.
    public var changesAt: Timestamp?

    /// The most events listed per condition.
    public static let eventLimit = 10

    /// The explanation as JSON; events are listed by log sequence, name and time, never their contents.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["condition": .string(condition), "holds": .bool(holds)]
        if !parts.isEmpty { object["conditions"] = .array(parts.map(\.json)) }
        if let value { object["value"] = value }
        if let figure {
            object["value"] = figure.rounded() == figure && abs(figure) < 9e15 ? .int(Int64(figure)) : .double(figure)
        }
        if !events.isEmpty {
            object["events"] = .array(
                events.map {
                    ["sequence": .int($0.sequence), "event": .string($0.name), "timestamp": .string($0.time.iso8601)]
                })
        }
        if let changesAt { object["changesAt"] = .string(changesAt.iso8601) }
        return .object(object)
    }
}

extension AudienceEvaluator {
    /// Explains `rule` for a profile whose events are listed in full.
    ///
    /// The answers are those of `holds(_:for:at:)` on the same facts.
    public static func explain(
        _ rule: AudienceRule, for facts: ProfileFacts, events: EventList, at now: Timestamp
    ) -> AudienceExplanation {
        var facts = facts
        facts.history = events
        return explanation(rule, facts: facts, events: events, at: now)
    }

    private static func explanation(
        _ rule: AudienceRule, facts: ProfileFacts, events: EventList, at now: Timestamp
    ) -> AudienceExplanation {
        var result = AudienceExplanation(condition: rule.text, holds: holds(rule, for: facts, at: now))
        switch rule {
        case .and(let children), .or(let children):
            result.parts = children.map { explanation($0, facts: facts, events: events, at: now) }
        case .not(let child):
            result.parts = [explanation(child, facts: facts, events: events, at: now)]
        case .attribute(let condition):
            result.value = facts.value(of: condition) ?? .null
        case .event(let condition):
            let matching = events.matching(condition.atom, at: now)
            result.figure = Double(matching.count)
            result.events = Array(matching.prefix(AudienceExplanation.eventLimit))
            result.changesAt = changeByTime(of: condition, matching: matching)
        case .aggregate(let condition):
            let matching = events.matching(condition.atom, at: now)
            result.figure = events.totals(of: condition.atom, at: now).value(of: condition.function)
            result.events = Array(matching.prefix(AudienceExplanation.eventLimit))
            result.changesAt = matching.last.flatMap { condition.window.expiry(of: $0.time) }
        case .sequence(let condition):
            result.events = (events.chain(completing: condition) ?? []).reversed()
        case .identity, .audience, .consent:
            break
        }
        return result
    }

    /// When time alone changes an event condition's answer: for a held "at least N", when the N-th
    /// newest matching event leaves the window; otherwise when the oldest one does.
    private static func changeByTime(of condition: EventCondition, matching: [AudienceEvent]) -> Timestamp? {
        if case .atLeast(let bound) = condition.quantifier, bound >= 1, matching.count >= bound {
            return condition.window.expiry(of: matching[Int(bound) - 1].time)
        }
        return matching.last.flatMap { condition.window.expiry(of: $0.time) }
    }
}
