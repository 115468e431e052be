@testable import Server
import Testing

/// How a request's `Authorization` header and path are read, without a running server.
@Suite struct RequestRoutingTests {
    @Test(
        "a bearer token is read whatever the scheme's case and the spaces around it",
        arguments: [
            ("Bearer adm_1", "adm_1"),
            ("bearer adm_1", "adm_1"),
            ("BEARER adm_1", "adm_1"),
            ("Bearer   adm_1 \t", "adm_1"),
            ("Bearer \tadm 1", "adm 1"),
        ])
    func bearerToken(header: String, token: String) {
        #expect(Authenticator.bearerToken(header) == token)
    }

    @Test(
        "no bearer token in another scheme, an empty one or a scheme without its space",
        arguments: [nil, "", "Bearer", "Bearer ", "Bearer  \t ", "Bearerx adm_1", "Basic adm_1", "Bearex adm_1"])
    func noBearerToken(header: String?) {
        #expect(Authenticator.bearerToken(header) == nil)
    }

    @Test("a Basic header gives its user name: where Segment clients put the write key")
    func basicUser() {
        #expect(Authenticator.basicUser("Basic d2tfMTI6") == "wk_12")
        #expect(Authenticator.basicUser("basic  d2tfMTI6cGFzcw== ") == "wk_12")
        #expect(Authenticator.basicUser("Basic Og==") == nil)
        #expect(Authenticator.basicUser("Basic !!!") == nil)
        #expect(Authenticator.basicUser("Bearer d2tfMTI6") == nil)
    }

    @Test("the router finds a route by method and path, reads its parameters and tells 404 from 405")
    func routes() {
        let router = Router(routes: [
            route("GET", "/v1/profiles/{namespace}/{value}"),
            route("GET", "/v1/profiles/{id}"),
            route("GET", "/v1/profiles/{namespace}/{value}/events"),
            route("POST", "/v1/profiles/lookup"),
        ])

        guard case .found(let found, let parameters) = router.match(method: "GET", path: "/v1/profiles/email/a@b.c")
        else { Issue.record("no route for a profile by identity"); return }
        #expect(found.path == "/v1/profiles/{namespace}/{value}")
        #expect(parameters == ["namespace": "email", "value": "a@b.c"])

        let timeline = router.match(method: "GET", path: "/v1/profiles/userId/u-7/events")
        guard case .found(let events, let eventParameters) = timeline else {
            Issue.record("no route for a timeline")
            return
        }
        #expect(events.path == "/v1/profiles/{namespace}/{value}/events")
        #expect(eventParameters == ["namespace": "userId", "value": "u-7"])

        guard case .found(let lookup, let none) = router.match(method: "POST", path: "/v1/profiles/lookup") else {
            Issue.record("no route for a lookup")
            return
        }
        #expect(lookup.method == "POST" && none.isEmpty)

        guard case .methodNotAllowed(let allowed) = router.match(method: "DELETE", path: "/v1/profiles/lookup")
        else { Issue.record("DELETE on a known path is not a 405"); return }
        #expect(allowed == ["GET", "POST"])

        guard case .notFound = router.match(method: "GET", path: "/v1/profiles/a/b/c/d") else {
            Issue.record("a path no route has is not a 404")
            return
        }
    }

    private func route(_ method: String, _ path: String) -> Route {
        Route(
            method: method, path: path, access: .open, summary: path,
            documentation: RouteDocumentation(tag: "test", responses: []), handler: { _ in })
    }
}
