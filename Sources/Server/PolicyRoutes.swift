import Activation
import Audiences
import Governance
import HTTPServer
import JSONParsing
import Segmentation
import Storage
import TesseraCore

/// Routes that manage data-usage labels and policies and evaluate uses of data against them.
///
/// Reading and evaluating need `profiles:read`; changing labels and policies needs `privacy:write`.
struct PolicyRoutes: Sendable {
    let governance: GovernanceState
    let store: Store
    /// Audiences and destinations, for evaluating saved ones; `nil` when profiles are not unified.
    let check: PolicyCheck?
    let destinations: DestinationStore?

    // MARK: - Policies

    /// `GET /v1/policies`: every policy with where it comes from, and the marketing actions.
    func list(_ call: RouteRequest) {
        call.answer(failure: Self.failure) {
            let catalog = governance.catalog
            let policies = catalog.policies.values.sorted { $0.name < $1.name }.map(json)
            return .json(200, ["policies": .array(policies), "marketingActions": catalog.actionsJSON])
        }
    }

    /// `GET /v1/policies/{name}`.
    func show(_ call: RouteRequest) {
        call.answer(failure: Self.failure) {
            let name = call.parameters["name"] ?? ""
            guard let policy = governance.catalog.policies[name] else { throw Self.notFound }
            return .json(200, json(policy))
        }
    }

    /// `POST /v1/policies` with `{"name", "action", "deny", "description"?}`: `201`, or `409` when
    /// the name is taken.
    func create(_ call: RouteRequest) {
        call.answerLater(failure: Self.failure) {
            let policy = try Policy(json: try Self.body(call))
            try await governance.update { overrides, catalog in
                guard catalog.policies[policy.name] == nil else {
                    throw PolicyConflict(message: "a policy named \(policy.name) exists; PUT changes it")
                }
                try catalog.validate(policy)
                overrides.policies[policy.name] = policy
            }
            return .json(201, json(policy))
        }
    }

    /// `PUT /v1/policies/{name}`: creates or replaces the policy of that name.
    func replace(_ call: RouteRequest) {
        call.answerLater(failure: Self.failure) {
            let policy = try Policy(json: try Self.body(call), name: call.parameters["name"] ?? "")
            try await governance.update { overrides, catalog in
                try catalog.validate(policy)
                overrides.policies[policy.name] = policy
            }
            return .json(200, json(policy))
        }
    }

    /// `DELETE /v1/policies/{name}`: configured policies stay deleted until the change is undone by
    /// a `PUT` of the same name.
    func delete(_ call: RouteRequest) {
        call.answerLater(failure: Self.failure) {
            let name = call.parameters["name"] ?? ""
            try await governance.update { overrides, catalog in
                guard catalog.policies[name] != nil else { throw Self.notFound }
                if governance.configured.policies[name] != nil {
                    overrides.policies[name] = .some(nil)
                } else {
                    overrides.policies[name] = nil
                }
            }
            return .json(200, ["deleted": .string(name)])
        }
    }

    // MARK: - Labels

    /// `GET /v1/labels`: label definitions, and the labels on fields and sources.
    func labels(_ call: RouteRequest) {
        call.answer(failure: Self.failure) { .json(200, labelsJSON(governance.catalog)) }
    }

    /// `PUT /v1/labels` with any of `{"labels": {NAME: MEANING}, "fields": {PATH: [LABEL]},
    /// "sources": {NAME: [LABEL]}}`: each path or source listed gets exactly the labels given (`[]`
    /// removes them); others keep theirs.
    func setLabels(_ call: RouteRequest) {
        call.answerLater(failure: Self.failure) {
            let body = try Self.body(call)
            if let unknown = body.objectValue?.keys.sorted().first(where: {
                !["labels", "fields", "sources"].contains($0)
            }) {
                throw RouteFailure.invalid("`\(unknown)` is not a member (labels, fields, sources)", field: unknown)
            }
            let definitions = try body["labels"].map { try GovernanceCatalog.definitions($0, field: "labels") } ?? []
            let fields = try body["fields"].map {
                try GovernanceCatalog.labelMap($0, field: "fields", isValidKey: GovernanceCatalog.isValidField)
            }
            let sources = try body["sources"].map {
                try GovernanceCatalog.labelMap($0, field: "sources", isValidKey: { !$0.isEmpty })
            }
            for name in (sources ?? [:]).keys.sorted() where try store.source(name: name) == nil {
                throw RouteFailure.invalid("no source is named \(name)", field: "sources.\(name)")
            }
            let catalog = try await governance.update { overrides, _ in
                for (name, meaning) in definitions { overrides.labels[name] = meaning }
                for (path, labels) in fields ?? [:] { overrides.fields[path] = labels }
                for (name, labels) in sources ?? [:] { overrides.sources[name] = labels }
            }
            return .json(200, labelsJSON(catalog))
        }
    }

    // MARK: - Evaluation

    /// `POST /v1/policies/evaluate`: the data comes from `audienceId` or `rule`, the use from
    /// `destinationId` or `marketingActions` (with an optional `mapping`).
    func evaluate(_ call: RouteRequest) {
        call.answer(failure: Self.failure) {
            let body = try Self.body(call)
            let catalog = governance.catalog
            var used: [UsedField] = []
            if let id = body["audienceId"] {
                guard let check, let id = id.intValue else {
                    throw RouteFailure.invalid("`audienceId` must be an audience id", field: "audienceId")
                }
                used += try check.usedFields(of: try check.audiences.audience(id).rule)
            } else if let rule = body["rule"] {
                let parsed = try AudienceRoutes.rule(rule)
                used += try check?.usedFields(of: parsed) ?? parsed.usedFields()
            }
            var actions: [String]
            if let id = body["destinationId"] {
                guard let destinations, let id = id.intValue, let destination = try destinations.destination(id: id)
                else { throw RouteFailure.notFound("no destination has that id") }
                actions = destination.settings.marketingActions
                used += PolicyCheck.usedFields(of: destination.settings.mapping)
            } else {
                actions = try Self.actions(body["marketingActions"], catalog: catalog)
                used += try Self.mapping(body["mapping"])
            }
            guard !used.isEmpty else {
                throw RouteFailure.invalid("give `audienceId`, `rule` or `mapping`: the data used", field: "rule")
            }
            actions = Array(Set(actions)).sorted()
            var json = catalog.evaluate(used, actions: actions).json
            if case .object(var members) = json {
                members["marketingActions"] = .array(actions.map(JSONValue.string))
                members["fields"] = .array(used.map { ["field": .string($0.field), "via": .string($0.via)] })
                json = .object(members)
            }
            return .json(200, json)
        }
    }

    // MARK: - Helpers

    private static let notFound = RouteFailure.notFound("no policy has that name")

    private func json(_ policy: Policy) -> JSONValue {
        var members = policy.json.objectValue ?? [:]
        let configured = governance.configured.policies[policy.name]
        members["origin"] = configured == policy ? "configuration" : "api"
        return .object(members)
    }

    private func labelsJSON(_ catalog: GovernanceCatalog) -> JSONValue {
        var members = catalog.assignmentsJSON.objectValue ?? [:]
        members["labels"] = catalog.labelsJSON
        return .object(members)
    }

    private static func body(_ call: RouteRequest) throws -> JSONValue {
        guard let body = try? JSONValue(parsing: call.request.body), body.objectValue != nil else {
            throw RouteFailure.invalid("the body must be a JSON object", field: nil)
        }
        return body
    }

    /// Marketing actions named in a request: known ones only.
    private static func actions(_ value: JSONValue?, catalog: GovernanceCatalog) throws -> [String] {
        guard let items = value?.arrayValue, !items.isEmpty else {
            throw RouteFailure.invalid(
                "`marketingActions` must be a non-empty array of actions (or give `destinationId`)",
                field: "marketingActions")
        }
        return try items.enumerated().map { index, item in
            guard let name = item.stringValue, catalog.actions[name] != nil else {
                throw RouteFailure.invalid("not a marketing action", field: "marketingActions[\(index)]")
            }
            return name
        }
    }

    /// The fields a mapping in a request reads: paths as strings or `{field, path}` objects.
    private static func mapping(_ value: JSONValue?) throws -> [UsedField] {
        guard let value else { return [] }
        guard let items = value.arrayValue else {
            throw RouteFailure.invalid("`mapping` must be an array of paths", field: "mapping")
        }
        return try items.enumerated().map { index, item in
            guard let text = item.stringValue ?? item["path"]?.stringValue, let path = try? ProfilePath(parsing: text)
            else {
                throw RouteFailure.invalid(
                    "a path must be identities.NAMESPACE, attributes.KEY…, computed.KEY…, audience, event or profileId",
                    field: "mapping[\(index)]")
            }
            return UsedField(path.description, via: "mapping")
        }
    }

    static func failure(_ error: any Error) -> HTTPResponse {
        if let error = error as? GovernanceError {
            return ErrorBody.response(400, code: "invalid_value", message: error.message, field: error.field)
        }
        if let error = error as? PolicyConflict {
            return ErrorBody.response(409, code: "conflict", message: error.message, field: "name")
        }
        return RouteFailure.response(for: error)
    }
}

/// A policy name that is taken.
struct PolicyConflict: Error {
    var message: String
}
