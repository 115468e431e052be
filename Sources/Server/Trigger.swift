import Audiences
import TesseraCore

/// A real-time trigger: a rule that sends one profile to a destination the moment something
/// happens to it, instead of waiting for an audience to be synced.
///
/// A trigger fires on one of three moments, and both its parts are written in the audience
/// language (docs/audiences.md), so nothing new has to be learnt:
///
/// - `on: "event"` — a record arrives whose event passes `event`, one `did "NAME" where …`
///   condition (no count and no window: the trigger looks at the one record that arrived);
/// - `on: "audience_entered"` or `"audience_exited"` — the profile enters or leaves `audience`.
///
/// An optional `condition` is then checked against the profile as it stands after the record (or
/// the membership change) has been applied: attributes, computed attributes, `has`, `consent` and
/// `in audience` in any `and`/`or`/`not` combination. Event, aggregate and sequence conditions are
/// refused there: history belongs in an audience, which the condition can then name.
struct Trigger: Sendable, Equatable {
    /// The moment a trigger fires on.
    enum Moment: Sendable, Equatable {
        /// A record whose event passes the condition arrives.
        case event(EventCondition)
        /// The profile enters the named audience.
        case audienceEntered(String)
        /// The profile leaves the named audience.
        case audienceExited(String)

        /// The written name of the moment.
        var name: String {
            switch self {
            case .event: "event"
            case .audienceEntered: "audience_entered"
            case .audienceExited: "audience_exited"
            }
        }
    }

    /// The id the store gave the trigger.
    var id: Int64
    /// A unique name of 1–64 characters; it is the delivery's reason (`trigger: NAME`).
    var name: String
    /// The destination the profile is sent to, with that destination's mapping.
    var destinationID: Int64
    /// When the trigger fires.
    var moment: Moment
    /// What must also hold for the profile, after the change was applied.
    var condition: AudienceRule?
    /// When the trigger was created.
    var createdAt: Timestamp

    /// What the trigger reads, as one rule: its event (for record triggers) and its condition.
    var rule: AudienceRule {
        var parts: [AudienceRule] = []
        if case .event(let event) = moment { parts.append(.event(event)) }
        if let condition { parts.append(condition) }
        return .and(parts)
    }

    /// The audiences the trigger names, in its moment and its condition.
    var audienceNames: Set<String> {
        var names = condition.map(Self.audiences(in:)) ?? []
        switch moment {
        case .event: break
        case .audienceEntered(let name), .audienceExited(let name): names.insert(name)
        }
        return names
    }

    /// The trigger as the API shows it and the store keeps it; rules in their canonical text.
    var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .int(id), "name": .string(name), "destinationId": .int(destinationID), "on": .string(moment.name),
            "condition": .optional(condition?.text), "createdAt": .string(createdAt.iso8601),
        ]
        switch moment {
        case .event(let event): members["event"] = .string(AudienceRule.event(event).text)
        case .audienceEntered(let audience), .audienceExited(let audience): members["audience"] = .string(audience)
        }
        return .object(members)
    }

    /// Reads a trigger from an API body or its stored form.
    ///
    /// - Throws: `RouteFailure.invalid` naming the member that is missing or breaks a rule, or
    ///   `RouteFailure.invalidRule` (with the field in the message) when a rule does not parse.
    init(json: JSONValue, id: Int64 = 0, createdAt: Timestamp = .now()) throws {
        guard json.objectValue != nil else {
            throw RouteFailure.invalid("the trigger must be a JSON object", field: nil)
        }
        guard let name = json["name"]?.stringValue, (1...64).contains(name.count), !name.contains("\0") else {
            throw RouteFailure.invalid("`name` must be a string of 1 to 64 characters", field: "name")
        }
        guard let destination = json["destinationId"]?.intValue, destination > 0 else {
            throw RouteFailure.invalid("`destinationId` must be a destination's id", field: "destinationId")
        }
        self.id = id
        self.name = name
        self.destinationID = destination
        self.createdAt = createdAt
        self.moment = try Self.moment(json)
        if let text = json["condition"], text != .null {
            guard let text = text.stringValue else {
                throw RouteFailure.invalid("`condition` must be a rule in the audience language", field: "condition")
            }
            let rule = try Self.parse(text, field: "condition")
            if let refused = Self.historyCondition(in: rule) {
                throw RouteFailure.invalid(
                    "`condition` reads the profile only; \(refused) conditions belong in an audience, which "
                        + "the condition can name with `in audience`", field: "condition")
            }
            condition = rule
        } else {
            condition = nil
        }
    }

    private static func moment(_ json: JSONValue) throws -> Moment {
        switch json["on"]?.stringValue ?? "event" {
        case "event":
            guard let text = json["event"]?.stringValue else {
                throw RouteFailure.invalid("`event` must be a `did \"NAME\" where …` condition", field: "event")
            }
            guard case .event(let event) = try parse(text, field: "event") else {
                throw RouteFailure.invalid("`event` must be one `did \"NAME\" where …` condition", field: "event")
            }
            guard event.quantifier == .atLeast(1), event.window == .allTime else {
                throw RouteFailure.invalid(
                    "`event` looks at the one record that arrived: no count and no window", field: "event")
            }
            return .event(event)
        case "audience_entered", "audience_exited":
            guard let audience = json["audience"]?.stringValue, !audience.isEmpty else {
                throw RouteFailure.invalid("`audience` must name an audience", field: "audience")
            }
            return json["on"]?.stringValue == "audience_entered"
                ? .audienceEntered(audience) : .audienceExited(audience)
        default:
            throw RouteFailure.invalid("`on` must be event, audience_entered or audience_exited", field: "on")
        }
    }

    private static func parse(_ text: String, field: String) throws -> AudienceRule {
        do {
            return try AudienceParser.parse(text)
        } catch {
            throw RouteFailure.invalid("`\(field)` does not parse: \(error.description)", field: field)
        }
    }

    /// The kind of the first condition in `rule` that reads event history, if any.
    private static func historyCondition(in rule: AudienceRule) -> String? {
        switch rule {
        case .and(let children), .or(let children): return children.lazy.compactMap(historyCondition(in:)).first
        case .not(let child): return historyCondition(in: child)
        case .event: return "event"
        case .aggregate: return "aggregate"
        case .sequence: return "sequence"
        case .attribute, .identity, .audience, .consent: return nil
        }
    }

    private static func audiences(in rule: AudienceRule) -> Set<String> {
        switch rule {
        case .and(let children), .or(let children): return children.reduce(into: []) { $0.formUnion(audiences(in: $1)) }
        case .not(let child): return audiences(in: child)
        case .audience(let name): return [name]
        default: return []
        }
    }
}
