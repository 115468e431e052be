import Activation
import Audiences
import Foundation
import HTTPServer
import Identity
import Segmentation
import JSONParsing
import Storage
import TesseraCore
import Unification

/// Routes that read unified profiles and explain or correct the identity graph.
///
/// Reads need `profiles:read` and show identity values and personal attributes masked unless the
/// caller also has `profiles:read-pii`; every read is audited with the profiles it touched.
/// Correcting the graph (unlink) needs `admin`.
struct ProfileRoutes: Sendable {
    let store: Store
    let engine: ProfileEngine
    let reader: ProfileReader
    let audit: AuditLog
    /// Masking for callers without `profiles:read-pii`.
    var mask = Mask()

    static let maxLookups = 1_000

    /// `GET /v1/profiles/{namespace}/{value}` and `GET /v1/profiles/{id}`.
    func profile(_ call: RouteRequest) {
        call.answer {
            let fields = call.request.query["fields"].map { $0.split(separator: ",").map(String.init) }
            let policy = call.request.query["mergePolicy"]
            if let namespace = call.parameters["namespace"], let value = call.parameters["value"],
                call.seesPersonalData
            {
                // Unmasked readers get the cached rendering as is, read with its id for the audit.
                guard
                    let found = try reader.documentBytes(
                        namespace: namespace, value: value, policyName: policy, fields: fields)
                else { throw RouteFailure.notFound("no profile has that identity") }
                audit.record(call, profiles: [found.profile.rawValue])
                return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: found.bytes)
            }
            let id = try resolve(call.parameters)
            guard let document = try reader.document(of: id, policyName: policy, fields: fields) else {
                throw RouteFailure.notFound("no profile has that identity")
            }
            audit.record(call, profiles: [id.rawValue])
            return .json(200, call.seesPersonalData ? document : mask.profile(document))
        }
    }

    /// `GET /v1/profiles/{namespace}/{value}/events`: the timeline, newest first.
    func events(_ call: RouteRequest) {
        call.answer {
            let id = try resolve(call.parameters)
            let before = try call.request.query["before"].map { text -> Int64 in
                guard let value = Int64(text), value > 0 else {
                    throw RouteFailure.invalid("`before` must be a sequence number", field: "before")
                }
                return value
            }
            let limit = try Page(call.request.query).limit
            let events = try reader.events(of: id, before: before, limit: limit)
            let next = events.count == limit ? events.last?.sequence : nil
            let body = AdminRoutes.page(events, next: next, masked: !call.seesPersonalData)
            audit.record(call, profiles: [id.rawValue])
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: body)
        }
    }

    /// `GET /v1/profiles/{namespace}/{value}/graph`: identities and links with their provenance.
    func graph(_ call: RouteRequest) {
        call.answerLater {
            let id = try resolve(call.parameters)
            let view = try await engine.graphView(of: id, store: store)
            let graph: JSONValue = [
                "profileId": .int(id.rawValue), "identities": .array(view.identities.map(\.json)),
                "links": .array(view.links.map(\.json)),
            ]
            audit.record(call, profiles: [id.rawValue])
            return .json(200, call.seesPersonalData ? graph : mask.identityStrings(in: graph))
        }
    }

    /// `POST /v1/profiles/lookup` with `{"identities": ["email:jane@example.com", …]}` (up to 1,000).
    func lookup(_ call: RouteRequest) {
        call.answer {
            guard let body = try? JSONValue(parsing: call.request.body), let items = body["identities"]?.arrayValue
            else { throw RouteFailure.invalid("the body needs an `identities` array", field: "identities") }
            guard items.count <= ProfileRoutes.maxLookups else {
                throw RouteFailure.invalid(
                    "at most \(ProfileRoutes.maxLookups) identities at once", field: "identities")
            }
            var results: [JSONValue] = []
            var found: [Int64] = []
            for (index, item) in items.enumerated() {
                let identity = try ProfileRoutes.identity(item, field: "identities[\(index)]")
                let id: ProfileID?
                do {
                    id = try reader.profileID(namespace: identity.namespace, value: identity.value)
                } catch is ProfileReader.LookupError {
                    id = nil
                }
                var document = try id.flatMap { try reader.document(of: $0, policyName: nil, fields: nil) }
                if let id, document != nil { found.append(id.rawValue) }
                if !call.seesPersonalData { document = document.map(mask.profile) }
                results.append(["identity": .string(identity.description), "profile": document ?? .null])
            }
            audit.record(call, profiles: Array(Set(found)).sorted())
            return .json(200, ["results": .array(results)])
        }
    }

    /// `GET /v1/identities/explain?from=NS:VALUE&to=NS:VALUE`.
    func explain(_ call: RouteRequest) {
        call.answerLater {
            let from = try normalised(call.request.query["from"], field: "from", keepingBlocked: true)
            let to = try normalised(call.request.query["to"], field: "to", keepingBlocked: true)
            let explanation = try await engine.explain(from: from, to: to, store: store)
            audit.record(call, profiles: explanation.profile.map { [$0.rawValue] } ?? [])
            return .json(200, call.seesPersonalData ? explanation.json : mask.identityStrings(in: explanation.json))
        }
    }

    /// `POST /v1/identities/unlink` with `{"from", "to"}` (a link) or `{"identity"}` (out of its profile).
    func unlink(_ call: RouteRequest) {
        call.answerLater {
            guard let body = try? JSONValue(parsing: call.request.body) else {
                throw RouteFailure.invalid("the body must be JSON", field: nil)
            }
            let split: Split
            if let single = body["identity"] {
                let identity = try normalised(single.stringValue, field: "identity")
                split = try await engine.remove(identity, store: store, by: call.caller?.tokenID ?? "admin")
            } else {
                let from = try normalised(body["from"]?.stringValue, field: "from")
                let to = try normalised(body["to"]?.stringValue, field: "to")
                split = try await engine.unlink(from, to, store: store, by: call.caller?.tokenID ?? "admin")
            }
            guard split.changed else { throw RouteFailure.notFound("no such link or identity in the graph") }
            return .json(200, split.json)
        }
    }

    // MARK: - Helpers

    private func resolve(_ parameters: [String: String]) throws -> ProfileID {
        if let text = parameters["id"] {
            guard let raw = Int64(text), let id = try reader.resolve(ProfileID(rawValue: raw)) else {
                throw RouteFailure.notFound("no profile has that id")
            }
            return id
        }
        let namespace = parameters["namespace"] ?? ""
        let value = parameters["value"] ?? ""
        guard let id = try reader.profileID(namespace: namespace, value: value) else {
            throw RouteFailure.notFound("no profile has that identity")
        }
        return id
    }

    /// The identity named by `text`, normalised as collection does.
    ///
    /// - Parameter keepingBlocked: return a blocked value as given (trimmed) instead of refusing it,
    ///   so that explain can say why it links nothing.
    private func normalised(_ text: String?, field: String, keepingBlocked: Bool = false) throws -> Identity {
        guard let text, let identity = Identity(parsing: text) else {
            throw RouteFailure.invalid("`\(field)` must be NAMESPACE:VALUE", field: field)
        }
        do {
            return try reader.normalised(namespace: identity.namespace, value: identity.value)
        } catch ProfileReader.LookupError.blockedIdentity where keepingBlocked {
            return Identity(namespace: identity.namespace, value: identity.value.trimmingCharacters(in: .whitespaces))
        } catch ProfileReader.LookupError.invalidIdentity(let reason) {
            throw RouteFailure.invalidIdentity(reason, field: field)
        } catch ProfileReader.LookupError.blockedIdentity {
            throw RouteFailure.invalidIdentity("the value is blocked and never identifies anyone", field: field)
        }
    }

    static func identity(_ item: JSONValue, field: String) throws -> Identity {
        if let text = item.stringValue, let identity = Identity(parsing: text) { return identity }
        if let namespace = item["namespace"]?.stringValue, let value = item["value"]?.stringValue {
            return Identity(namespace: namespace, value: value)
        }
        throw RouteFailure.invalid("each identity is NAMESPACE:VALUE or {namespace, value}", field: field)
    }
}

/// A route's refusal, mapped to a status and the standard error body.
enum RouteFailure: Error {
    case notFound(String)
    case invalid(String, field: String?)
    case invalidIdentity(String, field: String)
    case invalidRule(AudienceSyntaxError)

    static func response(for error: any Error) -> HTTPResponse {
        switch error {
        case RouteFailure.invalidRule(let error):
            var details: [String: JSONValue] = [
                "code": "invalid_rule", "message": .string(error.description), "field": "rule",
                "expected": .array(error.expected.map(JSONValue.string)),
            ]
            if let pointer = error.pointer {
                details["pointer"] = .string(pointer)
            } else {
                details["line"] = .int(Int64(error.line))
                details["column"] = .int(Int64(error.column))
            }
            return .json(400, ["error": .object(details)])
        case AudienceError.notFound(let id):
            return ErrorBody.response(404, code: "not_found", message: "no audience has id \(id)")
        case AudienceError.invalidName(let reason):
            let status = reason.hasSuffix("already exists") ? 409 : 400
            return ErrorBody.response(
                status, code: status == 409 ? "conflict" : "invalid_value", message: reason, field: "name")
        case AudienceError.dependency(let error):
            return ErrorBody.response(400, code: "invalid_rule", message: error.description, field: "rule")
        case AudienceError.inUse:
            return ErrorBody.response(409, code: "conflict", message: "\(error)")
        case let error as ActivationError:
            switch error.kind {
            case .notFound:
                return ErrorBody.response(404, code: "not_found", message: error.message, field: error.field)
            case .conflict: return ErrorBody.response(409, code: "conflict", message: error.message, field: error.field)
            case .corruptSettings: return ErrorBody.storageUnavailable()
            default:
                return ErrorBody.response(400, code: error.kind.description, message: error.message, field: error.field)
            }
        case RouteFailure.notFound(let message):
            return ErrorBody.response(404, code: "not_found", message: message)
        case RouteFailure.invalid(let message, let field):
            return ErrorBody.response(400, code: "invalid_value", message: message, field: field)
        case RouteFailure.invalidIdentity(let reason, let field):
            return ErrorBody.response(400, code: "invalid_identity", message: reason, field: field)
        case ProfileReader.LookupError.invalidIdentity(let reason):
            return ErrorBody.response(400, code: "invalid_identity", message: reason, field: "value")
        case ProfileReader.LookupError.blockedIdentity:
            return ErrorBody.response(
                400, code: "invalid_identity", message: "the value is blocked and never identifies anyone",
                field: "value")
        case ProfileReader.LookupError.unknownMergePolicy:
            return ErrorBody.response(400, code: "invalid_value", message: "no such merge policy", field: "mergePolicy")
        case let error as PageError:
            return ErrorBody.response(400, code: "invalid_value", message: error.message, field: error.field)
        default:
            return ErrorBody.storageUnavailable()
        }
    }
}
