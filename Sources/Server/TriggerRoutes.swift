import Activation
import HTTPServer
import JSONParsing
import Segmentation
import TesseraCore

/// Routes that create, list, read and delete real-time triggers.
struct TriggerRoutes: Sendable {
    let triggers: TriggerEngine
    let audiences: AudienceEngine

    /// `POST /v1/triggers`: `201` with the stored trigger, its rules in canonical text.
    func create(_ call: RouteRequest) {
        Task {
            do {
                guard let body = try? JSONValue(parsing: call.request.body) else {
                    throw RouteFailure.invalid("the body must be JSON", field: nil)
                }
                let trigger = try Trigger(json: body)
                let known = Set(try audiences.audiences().map(\.name))
                let stored = try await triggers.create(trigger, knownAudiences: known)
                call.respond(.json(201, stored.json))
            } catch {
                call.respond(RouteFailure.response(for: error))
            }
        }
    }

    /// `GET /v1/triggers`.
    func list(_ call: RouteRequest) {
        do {
            call.respond(.json(200, ["triggers": .array(try triggers.list().map(\.json))]))
        } catch {
            call.respond(RouteFailure.response(for: error))
        }
    }

    /// `GET /v1/triggers/{id}`.
    func show(_ call: RouteRequest) {
        do {
            guard let trigger = try triggers.trigger(id: try Self.id(call)) else { throw Self.notFound }
            call.respond(.json(200, trigger.json))
        } catch {
            call.respond(RouteFailure.response(for: error))
        }
    }

    /// `DELETE /v1/triggers/{id}`; deliveries it already queued are still sent.
    func delete(_ call: RouteRequest) {
        Task {
            do {
                let id = try Self.id(call)
                guard try await triggers.delete(id: id) else { throw Self.notFound }
                call.respond(.json(200, ["deleted": .int(id)]))
            } catch {
                call.respond(RouteFailure.response(for: error))
            }
        }
    }

    private static let notFound = RouteFailure.notFound("no trigger has that id")

    private static func id(_ call: RouteRequest) throws -> Int64 {
        guard let text = call.parameters["id"], let id = Int64(text), id > 0 else { throw notFound }
        return id
    }
}
