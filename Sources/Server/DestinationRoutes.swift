import Activation
import Governance
import HTTPServer
import JSONParsing
import Segmentation
import TesseraCore

/// Routes that manage destinations, send audiences to them and inspect or replay deliveries.
struct DestinationRoutes: Sendable {
    let destinations: DestinationStore
    let outbox: Outbox
    let engine: DeliveryEngine
    let activation: AudienceActivation
    let audiences: AudienceEngine
    /// The data-usage policies an activation must pass.
    var policies: PolicyCheck?
    /// The trigger routes, served beside these (they share the `destinations:write` scope).
    let triggers: TriggerRoutes

    /// `POST /v1/destinations`: `201` with the destination and its signing secret, shown only here.
    func create(_ call: RouteRequest) {
        call.answerLater {
            let settings = try Self.settings(call)
            try checkActions(settings)
            let created = try await destinations.create(settings)
            try await engine.reloadDestinations()
            var json = created.destination.json
            if case .object(var members) = json {
                members["secret"] = .string(created.secret)
                json = .object(members)
            }
            return .json(201, json)
        }
    }

    /// `GET /v1/destinations`.
    func list(_ call: RouteRequest) {
        call.answer { .json(200, ["destinations": .array(try destinations.list().map(\.json))]) }
    }

    /// `GET /v1/destinations/{id}`, with delivery counts per state.
    func show(_ call: RouteRequest) {
        call.answer {
            let id = try Self.id(call, "id")
            guard let destination = try destinations.destination(id: id) else { throw Self.notFound }
            var json = destination.json
            let counts = try outbox.counts(destination: id)
            if case .object(var members) = json {
                members["deliveries"] = .object(
                    Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, JSONValue.int(Int64($0.value))) }))
                json = .object(members)
            }
            return .json(200, json)
        }
    }

    /// `PUT /v1/destinations/{id}` with the whole settings object.
    func update(_ call: RouteRequest) {
        call.answerLater {
            let id = try Self.id(call, "id")
            let settings = try Self.settings(call)
            try checkActions(settings)
            let destination = try await destinations.update(id: id, settings)
            try await engine.reloadDestinations()
            return .json(200, destination.json)
        }
    }

    /// `DELETE /v1/destinations/{id}`; its waiting deliveries are skipped.
    func delete(_ call: RouteRequest) {
        call.answerLater {
            let id = try Self.id(call, "id")
            try await destinations.delete(id: id)
            try await engine.reloadDestinations()
            return .json(200, ["deleted": .int(id)])
        }
    }

    /// `GET /v1/destinations/{id}/deliveries?state=&after=&limit=`.
    func deliveries(_ call: RouteRequest) {
        call.answer {
            let id = try Self.id(call, "id")
            let state = try call.request.query["state"].map { text -> DeliveryState in
                guard let state = DeliveryState(rawValue: text) else {
                    throw RouteFailure.invalid("`state` is not a delivery state", field: "state")
                }
                return state
            }
            let page = try Page(call.request.query)
            let items = try outbox.deliveries(destination: id, state: state, after: page.after ?? 0, limit: page.limit)
            let next = items.count == page.limit ? items.last.map { JSONValue.int($0.id) } : nil
            return .json(200, ["deliveries": .array(items.map(\.json)), "next": next ?? .null])
        }
    }

    /// `POST /v1/deliveries/{id}/replay`: a dead or skipped delivery goes back to pending.
    func replay(_ call: RouteRequest) {
        call.answerLater {
            let delivery = try await engine.replay(id: try Self.id(call, "id"))
            return .json(200, delivery.json)
        }
    }

    /// `POST /v1/audiences/{id}/activations` with `{"destinationId", "onEnter", "onExit",
    /// "fullSyncEveryMinutes"}`: sends the audience to the destination from now on and queues every
    /// current member, then again on the schedule when one is given.
    func activate(_ call: RouteRequest) {
        call.answerLater {
            let audience = try audiences.audience(try Self.id(call, "id"))
            guard let body = try? JSONValue(parsing: call.request.body),
                let destination = body["destinationId"]?.intValue
            else { throw RouteFailure.invalid("the body needs a `destinationId`", field: "destinationId") }
            let onEnter = body["onEnter"]?.boolValue ?? true
            let onExit = body["onExit"]?.boolValue ?? false
            let minutes = body["fullSyncEveryMinutes"].map { $0.intValue ?? -1 } ?? 0
            guard (0...525_600).contains(minutes) else {
                throw RouteFailure.invalid(
                    "`fullSyncEveryMinutes` must be 0 (never) to 525600 (a year)", field: "fullSyncEveryMinutes")
            }
            if let policies, let settings = try destinations.destination(id: destination) {
                let decision = try policies.decision(audience: audience, destination: settings)
                guard decision.allowed else { return Self.denied(decision) }
            }
            let (activation, queued) = try await activation.activate(
                audience: audience, destination: destination, onEnter: onEnter, onExit: onExit,
                fullSyncMinutes: minutes)
            engine.wake()
            var json = activation.json
            if case .object(var members) = json {
                members["queued"] = .int(Int64(queued))
                json = .object(members)
            }
            return .json(201, json)
        }
    }

    /// `GET /v1/audiences/{id}/activations`.
    func activations(_ call: RouteRequest) {
        call.answer {
            let id = try Self.id(call, "id")
            _ = try audiences.audience(id)
            return .json(200, ["activations": .array(try activation.activations(of: id).map(\.json))])
        }
    }

    /// `DELETE /v1/audiences/{id}/activations/{destinationId}`.
    func deactivate(_ call: RouteRequest) {
        call.answerLater {
            let removed = try await activation.deactivate(
                audience: try Self.id(call, "id"), destination: try Self.id(call, "destinationId"))
            guard removed else { throw RouteFailure.notFound("that audience is not sent to that destination") }
            return .json(200, ["deleted": true])
        }
    }

    /// Runs the scheduled full syncs due at `now` and wakes the delivery engine when any queued.
    ///
    /// - Returns: How many deliveries were queued.
    @discardableResult
    func runScheduledSyncs(at now: Timestamp = .now()) async throws -> Int {
        let queued = try await activation.syncDue(at: now)
        if queued > 0 { engine.wake() }
        return queued
    }

    // MARK: - Helpers

    private static let notFound = RouteFailure.notFound("no destination has that id")

    /// Refuses marketing actions the governance catalog does not define, so that policies and
    /// implied consent apply to every action a destination declares.
    private func checkActions(_ settings: DestinationSettings) throws {
        guard let catalog = policies?.governance.catalog else { return }
        for (index, action) in settings.marketingActions.enumerated() where catalog.actions[action] == nil {
            throw RouteFailure.invalid(
                "`\(action)` is not a marketing action (GET /v1/policies lists them)",
                field: "marketingActions[\(index)]")
        }
    }

    /// The `422` for an activation a data-usage policy denies, with every violation.
    static func denied(_ decision: PolicyDecision) -> HTTPResponse {
        let first = decision.violations[0]
        let message =
            "policy \(first.policy) denies \(first.action) on \(first.field) (\(first.labels.joined(separator: ", ")))"
        return .json(
            422,
            [
                "error": [
                    "code": "policy_violation", "message": .string(message),
                    "violations": .array(decision.violations.map(\.json)),
                ]
            ])
    }

    private static func settings(_ call: RouteRequest) throws -> DestinationSettings {
        guard let body = try? JSONValue(parsing: call.request.body) else {
            throw RouteFailure.invalid("the body must be JSON", field: nil)
        }
        let settings = try DestinationSettings(json: body)
        try settings.validate()
        return settings
    }

    private static func id(_ call: RouteRequest, _ name: String) throws -> Int64 {
        guard let text = call.parameters[name], let id = Int64(text), id > 0 else {
            throw RouteFailure.notFound("no such \(name == "id" ? "item" : "destination")")
        }
        return id
    }
}
