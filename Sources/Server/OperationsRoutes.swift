import HTTPServer
import Synchronization
import TesseraCore

/// Health, readiness, metrics and the OpenAPI document: open to anyone, cheap to answer.
final class OperationsRoutes: Sendable {
    enum Readiness: Sendable {
        case starting, ready, stopping
    }

    private let registry: MetricsRegistry
    private let state = Mutex<Readiness>(.starting)
    private let document = Mutex<[UInt8]>([])

    init(registry: MetricsRegistry) {
        self.registry = registry
    }

    var readiness: Readiness {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    /// Sets the OpenAPI document served at `/openapi.json`, once the route table exists.
    func publish(openAPI: JSONValue) {
        document.withLock { $0 = openAPI.serializedBytes }
    }

    func health(_ call: RouteRequest) {
        call.respond(.json(200, ["status": "ok"]))
    }

    func ready(_ call: RouteRequest) {
        switch readiness {
        case .ready: call.respond(.json(200, ["status": "ready"]))
        case .starting: call.respond(.json(503, ["status": "starting"]))
        case .stopping: call.respond(.json(503, ["status": "stopping"]))
        }
    }

    func metrics(_ call: RouteRequest) {
        call.respond(.text(200, registry.render(), contentType: "text/plain; version=0.0.4; charset=utf-8"))
    }

    func openAPI(_ call: RouteRequest) {
        let bytes = document.withLock { $0 }
        call.respond(HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: bytes))
    }
}
