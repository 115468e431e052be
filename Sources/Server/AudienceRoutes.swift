import Audiences
import HTTPServer
import Identity
import JSONParsing
import Segmentation
import Storage
import TesseraCore
import Unification

/// Routes that define audiences and read their members, history and explanations.
///
/// Reads need `profiles:read`, changes `audiences:write`. Members, a profile's memberships and `why`
/// are reads of personal data and audited; `why` masks the values of personal attributes unless
/// the caller has `profiles:read-pii`.
struct AudienceRoutes: Sendable {
    let engine: AudienceEngine
    let reader: ProfileReader
    let audit: AuditLog
    /// Masking for callers without `profiles:read-pii`.
    var mask = Mask()

    /// `POST /v1/audiences` with `{"name", "rule", "description"}`; the rule is text or its JSON form.
    func create(_ call: RouteRequest) {
        call.answerLater {
            let body = try Self.body(call)
            guard let name = body["name"]?.stringValue else {
                throw RouteFailure.invalid("`name` is required and must be a string", field: "name")
            }
            guard let ruleValue = body["rule"] else { throw RouteFailure.invalid("`rule` is required", field: "rule") }
            let rule = try Self.rule(ruleValue)
            let description = try Self.description(body) ?? ""
            let audience = try await engine.create(name: name, rule: rule, description: description)
            return .json(201, audience.json(size: try engine.size(of: audience.id)))
        }
    }

    /// `GET /v1/audiences`.
    func list(_ call: RouteRequest) {
        call.answer {
            let audiences = try engine.audiences().map { $0.json(size: try engine.size(of: $0.id)) }
            return .json(200, ["audiences": .array(audiences)])
        }
    }

    /// `GET /v1/audiences/{id}`.
    func show(_ call: RouteRequest) {
        call.answer {
            let id = try Self.id(call)
            return .json(200, try engine.audience(id).json(size: try engine.size(of: id)))
        }
    }

    /// `PUT /v1/audiences/{id}` with any of `name`, `rule`, `description`.
    func update(_ call: RouteRequest) {
        call.answerLater {
            let id = try Self.id(call)
            let body = try Self.body(call)
            let name = try body["name"].map { value -> String in
                guard let name = value.stringValue else {
                    throw RouteFailure.invalid("`name` must be a string", field: "name")
                }
                return name
            }
            let rule = try body["rule"].map(Self.rule)
            let audience = try await engine.update(
                id: id, name: name, rule: rule, description: try Self.description(body))
            return .json(200, audience.json(size: try engine.size(of: id)))
        }
    }

    /// `DELETE /v1/audiences/{id}`.
    func delete(_ call: RouteRequest) {
        call.answerLater {
            let id = try Self.id(call)
            try await engine.delete(id: id)
            return .json(200, ["deleted": .int(id)])
        }
    }

    /// `GET /v1/audiences/{id}/members?after=PROFILE&limit=N`: current members by profile id.
    func members(_ call: RouteRequest) {
        call.answer {
            let id = try Self.id(call)
            let page = try Page(call.request.query)
            let members = try engine.members(of: id, after: page.after, limit: page.limit)
            audit.record(call, profiles: members.map(\.profileID))
            let next = members.count == page.limit ? members.last.map { JSONValue.int($0.profileID) } : nil
            return .json(200, ["members": .array(members.map(\.json)), "next": next ?? .null])
        }
    }

    /// `GET /v1/audiences/{id}/size`.
    func size(_ call: RouteRequest) {
        call.answer {
            let id = try Self.id(call)
            return .json(200, ["audienceId": .int(id), "size": .int(Int64(try engine.size(of: id)))])
        }
    }

    /// `GET /v1/audiences/{id}/history?before=ID&limit=N`: entries and exits, newest first.
    func history(_ call: RouteRequest) {
        call.answer {
            let id = try Self.id(call)
            let before = try Self.before(call)
            let limit = try Page(call.request.query).limit
            let changes = try engine.history(of: id, before: before, limit: limit)
            let next = changes.count == limit ? changes.last.map { JSONValue.int($0.id) } : nil
            return .json(200, ["history": .array(changes.map(\.json)), "next": next ?? .null])
        }
    }

    /// `POST /v1/audiences/{id}/evaluate` and `POST /v1/audiences/evaluate`: recompute membership
    /// over every profile from the events.
    func evaluate(_ call: RouteRequest) {
        call.answerLater {
            let ids = try call.parameters["id"] == nil ? [] : [Self.id(call)]
            let started = ContinuousClock.now
            let (entered, exited) = try await engine.evaluate(ids: ids)
            let elapsed = ContinuousClock.now - started
            return .json(
                200,
                [
                    "entered": .int(Int64(entered)), "exited": .int(Int64(exited)),
                    "milliseconds": .int(Self.milliseconds(elapsed)),
                ])
        }
    }

    /// `POST /v1/audiences/estimate` with `{"rule"}`: about how many profiles an unsaved rule matches.
    func estimate(_ call: RouteRequest) {
        call.answerLater {
            let body = try Self.body(call)
            guard let value = body["rule"] else { throw RouteFailure.invalid("`rule` is required", field: "rule") }
            let rule = try Self.rule(value)
            let started = ContinuousClock.now
            let (size, profiles) = try await engine.estimate(rule)
            let elapsed = ContinuousClock.now - started
            return .json(
                200,
                [
                    "rule": .string(rule.text), "size": .int(Int64(size)), "profiles": .int(Int64(profiles)),
                    "milliseconds": .int(Self.milliseconds(elapsed)),
                ])
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// `GET /v1/audiences/{id}/why/{namespace}/{value}`: which conditions hold for the profile.
    func why(_ call: RouteRequest) {
        call.answerLater {
            let id = try Self.id(call)
            let profile = try profileID(call.parameters)
            guard case (var explanation, let member)? = try await engine.why(audience: id, profile: profile) else {
                throw RouteFailure.notFound("no profile has that identity")
            }
            if !call.seesPersonalData { explanation = mask.explanation(explanation, of: try engine.audience(id).rule) }
            audit.record(call, profiles: [profile])
            return .json(
                200,
                ["audienceId": .int(id), "profileId": .int(profile), "member": .bool(member), "rule": explanation.json])
        }
    }

    /// `GET /v1/profiles/{namespace}/{value}/audiences`: the profile's memberships and recent changes.
    func memberships(_ call: RouteRequest) {
        call.answer {
            let profile = try profileID(call.parameters)
            let memberships = try engine.memberships(ofProfile: profile).map { entry -> JSONValue in
                var json = entry.membership.json
                if case .object(var members) = json {
                    members["audience"] = .string(entry.name)
                    json = .object(members)
                }
                return json
            }
            let history = try engine.history(ofProfile: profile, limit: 50).map(\.json)
            audit.record(call, profiles: [profile])
            return .json(
                200, ["profileId": .int(profile), "audiences": .array(memberships), "history": .array(history)])
        }
    }

    // MARK: - Reading requests

    private static func body(_ call: RouteRequest) throws -> JSONValue {
        guard let body = try? JSONValue(parsing: call.request.body), body.objectValue != nil else {
            throw RouteFailure.invalid("the body must be a JSON object", field: nil)
        }
        return body
    }

    /// A rule from its text or its JSON form; a syntax error becomes a 400 naming where it is.
    static func rule(_ value: JSONValue) throws -> AudienceRule {
        do {
            if let text = value.stringValue { return try AudienceParser.parse(text) }
            return try AudienceRule(json: value)
        } catch {
            throw RouteFailure.invalidRule(error)
        }
    }

    private static func description(_ body: JSONValue) throws -> String? {
        guard let value = body["description"] else { return nil }
        guard let text = value.stringValue, text.utf8.count <= 4_096 else {
            throw RouteFailure.invalid("`description` must be a string of at most 4 KB", field: "description")
        }
        return text
    }

    private static func id(_ call: RouteRequest) throws -> Int64 {
        guard let text = call.parameters["id"], let id = Int64(text), id > 0 else {
            throw RouteFailure.notFound("no audience has that id")
        }
        return id
    }

    private static func before(_ call: RouteRequest) throws -> Int64? {
        guard let text = call.request.query["before"] else { return nil }
        guard let value = Int64(text), value > 0 else {
            throw RouteFailure.invalid("`before` must be a history id", field: "before")
        }
        return value
    }

    private func profileID(_ parameters: [String: String]) throws -> Int64 {
        let namespace = parameters["namespace"] ?? ""
        let value = parameters["value"] ?? ""
        guard let id = try reader.profileID(namespace: namespace, value: value) else {
            throw RouteFailure.notFound("no profile has that identity")
        }
        return id.rawValue
    }
}
