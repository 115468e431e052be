import HTTPServer
import TesseraCore

/// One HTTP route: where it lives, who may call it, what it does, and its OpenAPI description.
///
/// The OpenAPI document is generated from the route table, so a route cannot exist undocumented.
struct Route: Sendable {
    /// Who may call a route.
    enum Access: Sendable {
        /// Anyone: health, readiness, metrics, the OpenAPI document.
        case open
        /// A source's write key, as the HTTP Basic user name or `writeKey` in the body.
        case writeKey
        /// A bearer token (an API token or the admin token) that carries this scope.
        case scope(Scope)

        /// The scope a bearer token needs, for routes that need one.
        var scope: Scope? {
            if case .scope(let scope) = self { return scope }
            return nil
        }
    }

    typealias Handler = @Sendable (RouteRequest) -> Void

    let method: String
    let path: String
    let access: Access
    let summary: String
    let documentation: RouteDocumentation
    let handler: Handler
    /// Whether the handler runs on the HTTP worker that read the request rather than on the shared
    /// queue: for short reads that never wait on the writer, where handing the request to another
    /// thread and the answer back costs more than the read itself. Open routes (health, readiness,
    /// metrics, the OpenAPI document) always do.
    let runsOnWorker: Bool
    /// The path split into segments, once; `{name}` segments are parameters.
    let segments: [Substring]

    init(
        method: String, path: String, access: Access, summary: String, documentation: RouteDocumentation,
        runsOnWorker: Bool = false, handler: @escaping Handler
    ) {
        self.method = method
        self.path = path
        self.access = access
        self.summary = summary
        self.documentation = documentation
        if case .open = access { self.runsOnWorker = true } else { self.runsOnWorker = runsOnWorker }
        self.handler = handler
        segments = path.split(separator: "/")
    }

    /// The route name used as a metric label: the path pattern, never the concrete path.
    var metricName: String { path }
}

/// What a handler receives: the request, its path parameters, who calls, and the way to answer.
struct RouteRequest: Sendable {
    let request: HTTPRequest
    let parameters: [String: String]
    /// The route's path pattern (`/v1/profiles/{id}`), for the audit log.
    var route: String = ""
    /// The bearer token's holder, for routes that need a scope; nil on open and write-key routes.
    var caller: Caller?
    let respond: @Sendable (HTTPResponse) -> Void

    /// Whether personal data goes out unmasked: only to callers with `profiles:read-pii`.
    var seesPersonalData: Bool { caller?.seesPersonalData ?? false }

    /// Answers with what `body` returns, or with the error it throws as `failure` renders it
    /// (``RouteFailure`` by default).
    func answer(
        failure: (any Error) -> HTTPResponse = RouteFailure.response(for:), _ body: () throws -> HTTPResponse
    ) {
        do {
            respond(try body())
        } catch {
            respond(failure(error))
        }
    }

    /// Answers, once `body` has run in a task of its own, like ``answer(failure:_:)``.
    func answerLater(
        failure: @escaping @Sendable (any Error) -> HTTPResponse = RouteFailure.response(for:),
        _ body: @escaping @Sendable () async throws -> HTTPResponse
    ) {
        Task {
            do {
                respond(try await body())
            } catch {
                respond(failure(error))
            }
        }
    }
}

/// The OpenAPI details of a route beyond its method, path and summary.
struct RouteDocumentation: Sendable {
    var description: String = ""
    var tag: String
    var queryParameters: [(name: String, type: String, description: String)] = []
    /// A JSON Schema for the request body (a `$ref` to a component or an inline schema).
    var requestBody: JSONValue?
    /// Status → (description, optional response schema).
    var responses: [(status: Int, description: String, schema: JSONValue?)]
    var responseContentType = "application/json"
}

/// Finds the route for a method and path.
///
/// - Complexity: O(routes with as many segments × segments) per lookup; the table holds a few dozen
///   routes, and each request compares its path with those of its length only.
struct Router: Sendable {
    let routes: [Route]
    /// Positions in `routes` by number of path segments, in table order.
    private let byLength: [Int: [Int]]

    init(routes: [Route]) {
        self.routes = routes
        byLength = Dictionary(grouping: routes.indices) { routes[$0].segments.count }
    }

    enum Match {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    func match(method: String, path: String) -> Match {
        let requested = path.split(separator: "/")
        var allowed: [String] = []
        for position in byLength[requested.count] ?? [] {
            guard let parameters = Router.parameters(routes[position].segments, requested) else { continue }
            if routes[position].method == method { return .found(routes[position], parameters: parameters) }
            allowed.append(routes[position].method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// The values of the pattern's `{name}` segments, or nil when a literal segment differs.
    private static func parameters(_ pattern: [Substring], _ path: [Substring]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        for (expected, actual) in zip(pattern, path) where !isParameter(expected) && expected != actual {
            return nil
        }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) where isParameter(expected) {
            parameters[String(expected.dropFirst().dropLast())] = String(actual)
        }
        return parameters
    }

    private static func isParameter(_ segment: Substring) -> Bool {
        segment.first == "{" && segment.last == "}"
    }
}
