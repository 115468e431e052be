import HTTPServer
import Ingestion
import TesseraCore

/// Every route the server answers, with its OpenAPI description.
enum RouteTable {
    static func routes(
        collection: CollectionService, admin: AdminRoutes, profiles: ProfileRoutes, audiences: AudienceRoutes?,
        destinations: DestinationRoutes?, tokens: TokenRoutes, operations: OperationsRoutes,
        governance: (policies: PolicyRoutes, consent: ConsentRoutes)? = nil,
        privacy: PrivacyRoutes? = nil
    ) -> [Route] {
        collectionRoutes(collection) + adminRoutes(admin) + profileRoutes(profiles)
            + (audiences.map(audienceRoutes) ?? []) + (destinations.map(destinationRoutes) ?? [])
            + (destinations.map { triggerRoutes($0.triggers) } ?? [])
            + tokenRoutes(tokens) + operationsRoutes(operations)
            + (governance.map { governanceRoutes(policies: $0.policies, consent: $0.consent) } ?? [])
            + (privacy.map(privacyRoutes) ?? [])
    }

    /// Consent by API, data-usage labels and policies.
    private static func governanceRoutes(policies: PolicyRoutes, consent: ConsentRoutes) -> [Route] {
        let invalid = (status: 400, description: "An invalid member, naming the field.", schema: ref("Error"))
        func route(
            _ method: String, _ path: String, _ scope: Scope, _ summary: String, ok: (Int, String),
            notFound: String? = nil, conflict: Bool = false, _ handler: @escaping @Sendable (RouteRequest) -> Void
        ) -> Route {
            var responses: [(status: Int, description: String, schema: JSONValue?)] = [
                (ok.0, ok.1, nil), invalid, unauthorized,
            ]
            if let notFound { responses.append((404, notFound, ref("Error"))) }
            if conflict { responses.append((409, "A policy with that name exists.", ref("Error"))) }
            return Route(
                method: method, path: path, access: .scope(scope), summary: summary,
                documentation: RouteDocumentation(
                    tag: "governance", requestBody: method == "GET" || method == "DELETE" ? nil : ["type": "object"],
                    responses: responses),
                handler: handler)
        }
        let noProfile = "No profile has that identity."
        let noPolicy = "No policy has that name."
        return [
            route(
                "PUT", "/v1/profiles/{namespace}/{value}/consent", .privacyWrite,
                "Record consent answers for a profile (`purposes`, `identity`, `basis`, `time`, `expiresAt`, `source`)",
                ok: (200, "The profile's consent after the change."), notFound: noProfile, consent.set),
            route(
                "GET", "/v1/profiles/{namespace}/{value}/consent", .profilesRead,
                "A profile's current consent answers, effective values and history (`before`, `limit`)",
                ok: (200, "Answers, effective values and a page of history."), notFound: noProfile, consent.show),
            route(
                "GET", "/v1/policies", .profilesRead, "List data-usage policies and marketing actions",
                ok: (200, "Every policy, with its origin, and every marketing action."), policies.list),
            route(
                "POST", "/v1/policies", .privacyWrite, "Add a policy: deny an action on data carrying labels",
                ok: (201, "The policy."), conflict: true, policies.create),
            route(
                "POST", "/v1/policies/evaluate", .profilesRead,
                "Whether an audience (or rule) may go to a destination (or be used for marketing actions)",
                ok: (200, "`allowed`, and each violation's policy, action, field and labels."),
                notFound: "No audience or destination has that id.", policies.evaluate),
            route(
                "GET", "/v1/policies/{name}", .profilesRead, "Read a policy", ok: (200, "The policy."),
                notFound: noPolicy, policies.show),
            route(
                "PUT", "/v1/policies/{name}", .privacyWrite, "Create or replace a policy",
                ok: (200, "The policy."), policies.replace),
            route(
                "DELETE", "/v1/policies/{name}", .privacyWrite, "Delete a policy (configured ones too)",
                ok: (200, "The name deleted."), notFound: noPolicy, policies.delete),
            route(
                "GET", "/v1/labels", .profilesRead, "Label definitions and the labels on fields and sources",
                ok: (200, "`labels`, `fields` and `sources`."), policies.labels),
            route(
                "PUT", "/v1/labels", .privacyWrite,
                "Set the labels of fields and sources, and define custom labels",
                ok: (200, "`labels`, `fields` and `sources` after the change."), policies.setLabels),
        ]
    }

    private static func privacyRoutes(_ routes: PrivacyRoutes) -> [Route] {
        let invalid = (status: 400, description: "An invalid request, naming the field.", schema: ref("Error"))
        let notFound = (status: 404, description: "No privacy job has that id.", schema: ref("Error"))
        return [
            Route(
                method: "POST", path: "/v1/privacy/jobs", access: .scope(.privacyWrite),
                summary: "Ask for everything held about a person (access) or erase them (delete)",
                documentation: RouteDocumentation(
                    description: "The job runs in the background; the answer waits briefly for it to finish.",
                    tag: "privacy", requestBody: privacyRequestSchema,
                    responses: [
                        (200, "The finished job, with its document or signed receipt.", nil),
                        (202, "The job, queued or running.", nil), invalid, unauthorized,
                    ]),
                handler: routes.create),
            Route(
                method: "GET", path: "/v1/privacy/jobs/{id}", access: .scope(.privacyWrite),
                summary: "A privacy job's state, and its access document or delete receipt",
                documentation: RouteDocumentation(
                    tag: "privacy", responses: [(200, "The job.", nil), unauthorized, notFound]),
                handler: routes.show),
        ]
    }

    private static func destinationRoutes(_ routes: DestinationRoutes) -> [Route] {
        let notFound = (status: 404, description: "No such destination, delivery or audience.", schema: ref("Error"))
        let invalid = (status: 400, description: "Invalid settings, naming the field.", schema: ref("Error"))
        func route(
            _ method: String, _ path: String, _ summary: String, ok: (Int, String),
            _ handler: @escaping @Sendable (RouteRequest) -> Void
        ) -> Route {
            Route(
                method: method, path: path, access: .scope(.destinationsWrite), summary: summary,
                documentation: RouteDocumentation(
                    tag: "activation", requestBody: method == "POST" || method == "PUT" ? ["type": "object"] : nil,
                    responses: [(ok.0, ok.1, nil), invalid, unauthorized, notFound]),
                handler: handler)
        }
        return [
            route(
                "POST", "/v1/destinations", "Create a webhook or file destination",
                ok: (201, "The destination with its signing secret, shown only here."), routes.create),
            route("GET", "/v1/destinations", "List destinations", ok: (200, "Every destination."), routes.list),
            route(
                "GET", "/v1/destinations/{id}", "Read a destination with its delivery counts",
                ok: (200, "The destination."), routes.show),
            route(
                "PUT", "/v1/destinations/{id}", "Replace a destination's settings", ok: (200, "The destination."),
                routes.update),
            route(
                "DELETE", "/v1/destinations/{id}", "Delete a destination; its waiting deliveries are skipped",
                ok: (200, "The id deleted."), routes.delete),
            route(
                "GET", "/v1/destinations/{id}/deliveries", "A destination's deliveries (`state`, `after`, `limit`)",
                ok: (200, "A page of deliveries and the `next` cursor."), routes.deliveries),
            route(
                "POST", "/v1/deliveries/{id}/replay", "Send a dead or skipped delivery again",
                ok: (200, "The delivery, pending again."), routes.replay),
            route(
                "POST", "/v1/audiences/{id}/activations",
                "Send an audience to a destination on entry and/or exit, queueing every current member",
                ok: (201, "The activation and how many members were queued."), routes.activate),
            route(
                "GET", "/v1/audiences/{id}/activations", "The destinations an audience is sent to",
                ok: (200, "The activations."), routes.activations),
            route(
                "DELETE", "/v1/audiences/{id}/activations/{destinationId}", "Stop sending an audience to a destination",
                ok: (200, "Deleted."), routes.deactivate),
        ]
    }

    private static func triggerRoutes(_ routes: TriggerRoutes) -> [Route] {
        let notFound = (status: 404, description: "No such trigger.", schema: ref("Error"))
        let invalid = (status: 400, description: "Invalid trigger, naming the field.", schema: ref("Error"))
        func route(
            _ method: String, _ path: String, _ summary: String, ok: (Int, String),
            _ handler: @escaping @Sendable (RouteRequest) -> Void
        ) -> Route {
            Route(
                method: method, path: path, access: .scope(.destinationsWrite), summary: summary,
                documentation: RouteDocumentation(
                    tag: "activation", requestBody: method == "POST" ? ["type": "object"] : nil,
                    responses: [(ok.0, ok.1, nil), invalid, unauthorized, notFound]),
                handler: handler)
        }
        return [
            route(
                "POST", "/v1/triggers", "Create a real-time trigger on an event or an audience entry or exit",
                ok: (201, "The trigger."), routes.create),
            route("GET", "/v1/triggers", "List triggers", ok: (200, "Every trigger."), routes.list),
            route("GET", "/v1/triggers/{id}", "Read a trigger", ok: (200, "The trigger."), routes.show),
            route("DELETE", "/v1/triggers/{id}", "Delete a trigger", ok: (200, "Deleted."), routes.delete),
        ]
    }

    /// The 401 every route that needs a bearer token documents (the 403 is added by the OpenAPI builder).
    static let unauthorized = (
        status: 401, description: "No valid API token or admin token as a bearer token.", schema: ref("Error")
    )

    private static func audienceRoutes(_ audiences: AudienceRoutes) -> [Route] {
        let notFound = (status: 404, description: "No audience has that id.", schema: ref("Error"))
        let invalid = (
            status: 400, description: "An invalid rule (with its line and column) or parameter.", schema: ref("Error")
        )
        let conflict = (
            status: 409, description: "The name is taken, or other audiences refer to it.", schema: ref("Error")
        )
        let paging: [(name: String, type: String, description: String)] = [
            ("after", "integer", "Continue after this profile id (the previous page's `next`)."),
            ("limit", "integer", "The most members returned (1 to 1,000; default 100)."),
        ]
        func route(
            _ method: String, _ path: String, _ summary: String, body: String? = nil,
            query: [(name: String, type: String, description: String)] = [], scope: Scope? = nil,
            ok: (Int, String, JSONValue?), _ handler: @escaping @Sendable (RouteRequest) -> Void
        ) -> Route {
            // Reads need `profiles:read`; changes need `audiences:write`.
            let scope = scope ?? (method == "GET" ? .profilesRead : .audiencesWrite)
            var responses: [(status: Int, description: String, schema: JSONValue?)] = [
                (ok.0, ok.1, ok.2), invalid, unauthorized, notFound,
            ]
            if method != "GET" { responses.append(conflict) }
            return Route(
                method: method, path: path, access: .scope(scope), summary: summary,
                documentation: RouteDocumentation(
                    tag: "audiences", queryParameters: query, requestBody: body.map(ref), responses: responses),
                handler: handler)
        }
        return [
            route(
                "POST", "/v1/audiences", "Save an audience and compute its membership over every profile",
                body: "AudienceInput", ok: (201, "The audience, with its size.", ref("Audience")), audiences.create),
            route(
                "GET", "/v1/audiences", "List the audiences",
                ok: (200, "Every audience, with its size.", ref("AudienceList")), audiences.list),
            route(
                "GET", "/v1/audiences/{id}", "Read an audience",
                ok: (200, "The audience, with its size.", ref("Audience")), audiences.show),
            route(
                "PUT", "/v1/audiences/{id}", "Change an audience's name, rule or description",
                body: "AudienceInput", ok: (200, "The audience, recomputed if its rule changed.", ref("Audience")),
                audiences.update),
            route(
                "DELETE", "/v1/audiences/{id}", "Delete an audience with its membership and history",
                ok: (200, "The id of the deleted audience.", nil), audiences.delete),
            route(
                "GET", "/v1/audiences/{id}/members", "The audience's current members, by profile id", query: paging,
                ok: (200, "A page of memberships and the `next` cursor.", ref("AudienceMembers")), audiences.members),
            route(
                "GET", "/v1/audiences/{id}/size", "How many profiles are members now",
                ok: (200, "The size.", nil), audiences.size),
            route(
                "GET", "/v1/audiences/{id}/history", "Entries and exits, newest first",
                query: [
                    ("before", "integer", "Continue before this history id (the previous page's `next`)."),
                    ("limit", "integer", "The most entries returned (1 to 1,000; default 100)."),
                ],
                ok: (200, "A page of changes and the `next` cursor.", ref("AudienceHistory")), audiences.history),
            route(
                "POST", "/v1/audiences/{id}/evaluate", "Recompute the audience over every profile from the events",
                ok: (200, "How many profiles entered and left.", nil), audiences.evaluate),
            route(
                "POST", "/v1/audiences/evaluate", "Recompute every audience over every profile from the events",
                ok: (200, "How many profiles entered and left.", nil), audiences.evaluate),
            route(
                "POST", "/v1/audiences/estimate", "About how many profiles an unsaved rule matches",
                body: "AudienceEstimate", scope: .profilesRead,
                ok: (200, "The estimated size, from a snapshot at most a minute old.", nil), audiences.estimate),
            route(
                "GET", "/v1/audiences/{id}/why/{namespace}/{value}",
                "Which conditions of the rule hold for a profile, with the values and events behind them",
                ok: (200, "The explanation.", ref("AudienceWhy")), audiences.why),
            route(
                "GET", "/v1/profiles/{namespace}/{value}/audiences", "A profile's audience memberships and changes",
                ok: (200, "Memberships (exited ones too) and the 50 latest changes.", nil), audiences.memberships),
        ]
    }

    private static func profileRoutes(_ profiles: ProfileRoutes) -> [Route] {
        let notFound = (status: 404, description: "No profile has that identity or id.", schema: ref("Error"))
        let invalid = (status: 400, description: "An invalid identity or parameter.", schema: ref("Error"))
        let profileQuery: [(name: String, type: String, description: String)] = [
            ("fields", "string", "Comma-separated attribute paths to return (`email,address.city`)."),
            ("mergePolicy", "string", "The merge policy to combine fragments with (default: the configured one)."),
        ]
        return [
            Route(
                method: "GET", path: "/v1/profiles/{namespace}/{value}", access: .scope(.profilesRead),
                summary: "Read the unified profile of an identity",
                documentation: RouteDocumentation(
                    description: "Identities with first and last seen, merged attributes, computed attributes.",
                    tag: "profiles", queryParameters: profileQuery,
                    responses: [(200, "The profile.", ref("Profile")), invalid, unauthorized, notFound]),
                runsOnWorker: true, handler: profiles.profile),
            Route(
                method: "GET", path: "/v1/profiles/{id}", access: .scope(.profilesRead),
                summary: "Read a unified profile by its id (merged ids redirect)",
                documentation: RouteDocumentation(
                    tag: "profiles", queryParameters: profileQuery,
                    responses: [(200, "The profile.", ref("Profile")), invalid, unauthorized, notFound]),
                runsOnWorker: true, handler: profiles.profile),
            Route(
                method: "GET", path: "/v1/profiles/{namespace}/{value}/events", access: .scope(.profilesRead),
                summary: "A profile's timeline, newest first",
                documentation: RouteDocumentation(
                    tag: "profiles",
                    queryParameters: [
                        (
                            "before", "integer",
                            "Return events before this sequence number (the previous page's `next`)."
                        ),
                        ("limit", "integer", "Events per page, 1 to 1000 (default 100)."),
                    ],
                    responses: [(200, "A page of events.", ref("EventPage")), invalid, unauthorized, notFound]),
                handler: profiles.events),
            Route(
                method: "GET", path: "/v1/profiles/{namespace}/{value}/graph", access: .scope(.profilesRead),
                summary: "A profile's identities and links, with provenance",
                documentation: RouteDocumentation(
                    tag: "profiles",
                    responses: [
                        (200, "The identity graph of the profile.", ref("ProfileGraph")), invalid, unauthorized,
                        notFound,
                    ]),
                handler: profiles.graph),
            Route(
                method: "POST", path: "/v1/profiles/lookup", access: .scope(.profilesRead),
                summary: "Read the profiles of up to 1,000 identities at once",
                documentation: RouteDocumentation(
                    tag: "profiles", requestBody: ref("ProfileLookup"),
                    responses: [
                        (200, "One result per identity, in order.", ref("ProfileLookupResults")), invalid, unauthorized,
                    ]),
                handler: profiles.lookup),
            Route(
                method: "GET", path: "/v1/identities/explain", access: .scope(.profilesRead),
                summary: "Explain how two identities are joined, or why they are not",
                documentation: RouteDocumentation(
                    tag: "identity",
                    queryParameters: [
                        ("from", "string", "An identity as NAMESPACE:VALUE."),
                        ("to", "string", "An identity as NAMESPACE:VALUE."),
                    ],
                    responses: [
                        (200, "The chain of links with provenance, or the reasons.", ref("Explanation")), invalid,
                        unauthorized,
                    ]),
                handler: profiles.explain),
            Route(
                method: "POST", path: "/v1/identities/unlink", access: .scope(.admin),
                summary: "Remove a link, or an identity from its profile; the profile splits if the graph disconnects",
                documentation: RouteDocumentation(
                    tag: "identity", requestBody: ref("Unlink"),
                    responses: [
                        (200, "What became of the profile.", ref("Split")), invalid, unauthorized,
                        (404, "No such link or identity.", ref("Error")),
                    ]),
                handler: profiles.unlink),
        ]
    }

    private static let collected: [(status: Int, description: String, schema: JSONValue?)] = [
        (200, "Every record is durable (or was a duplicate); for batches, lists any refused indexes.", ref("Success")),
        (400, "The body or a record is invalid; refused records are kept as dead letters.", ref("Error")),
        (401, "The write key is missing or unknown.", ref("Error")),
        (413, "The body is larger than the request limit.", ref("Error")),
        (503, "The store could not commit; retry.", ref("Error")),
    ]

    private static func collectionRoutes(_ service: CollectionService) -> [Route] {
        var routes = SegmentEndpoint.allCases.map { endpoint in
            let batch = endpoint.carriesBatch
            return Route(
                method: "POST", path: "/v1/\(endpoint.rawValue)", access: .writeKey,
                summary: batch
                    ? "Collect a batch of Segment messages (\(endpoint.rawValue))"
                    : "Collect one Segment \(endpoint.rawValue) message",
                documentation: RouteDocumentation(
                    description: "Segment HTTP Tracking API compatible. Write key as the HTTP Basic user name "
                        + "or `writeKey` in the body. Answered only once the records are durable.",
                    tag: "collection", requestBody: ref(batch ? "SegmentBatch" : "SegmentMessage"),
                    responses: collected),
                handler: { service.collect($0, endpoint: .segment(endpoint)) })
        }
        routes.append(
            Route(
                method: "POST", path: "/v1/xdm", access: .writeKey,
                summary: "Collect XDM records (one record, {\"records\": [...]}, or a streaming envelope)",
                documentation: RouteDocumentation(
                    description: "Individual Profile, ExperienceEvent and B2B records, with `xdm:`-prefixed or "
                        + "plain keys. The class comes from `schemaRef.id` or from the record's fields.",
                    tag: "collection", requestBody: ref("XDMBody"), responses: collected),
                handler: { service.collect($0, endpoint: .xdm) }))
        return routes
    }

    private static func adminRoutes(_ admin: AdminRoutes) -> [Route] {
        let paging: [(name: String, type: String, description: String)] = [
            ("after", "integer", "Return items after this sequence number or id."),
            ("limit", "integer", "Items per page, 1 to 1000 (default 100)."),
        ]
        return [
            Route(
                method: "GET", path: "/v1/sources", access: .scope(.admin),
                summary: "List sources and their write keys",
                documentation: RouteDocumentation(
                    tag: "admin",
                    responses: [(200, "The sources.", ref("SourceList")), unauthorized]),
                handler: admin.listSources),
            Route(
                method: "POST", path: "/v1/sources", access: .scope(.admin),
                summary: "Add a source with a new write key",
                documentation: RouteDocumentation(
                    tag: "admin", requestBody: ref("NewSource"),
                    responses: [
                        (201, "The new source.", ref("Source")), (400, "The name is missing or invalid.", ref("Error")),
                        unauthorized, (409, "The name is taken.", ref("Error")),
                    ]),
                handler: admin.addSource),
            Route(
                method: "POST", path: "/v1/sources/{name}/rotate-key", access: .scope(.admin),
                summary: "Give a source a new write key; the old one stops working",
                documentation: RouteDocumentation(
                    tag: "admin",
                    responses: [
                        (200, "The source with its new key.", ref("Source")), unauthorized,
                        (404, "No such source.", ref("Error")),
                    ]),
                handler: admin.rotateKey),
            Route(
                method: "GET", path: "/v1/events", access: .scope(.admin),
                summary: "Page through stored records, newest last",
                documentation: RouteDocumentation(
                    tag: "admin",
                    queryParameters: [("source", "string", "Only records from this source (by name).")] + paging,
                    responses: [
                        (200, "A page of records.", ref("EventPage")), (400, "A bad query parameter.", ref("Error")),
                        unauthorized, (404, "No such source.", ref("Error")),
                    ]),
                handler: admin.listEvents),
            Route(
                method: "GET", path: "/v1/dead-letters", access: .scope(.admin),
                summary: "Page through refused records",
                documentation: RouteDocumentation(
                    tag: "admin", queryParameters: paging,
                    responses: [
                        (200, "A page of dead letters.", ref("DeadLetterPage")),
                        (400, "A bad query parameter.", ref("Error")), unauthorized,
                    ]),
                handler: admin.listDeadLetters),
            Route(
                method: "POST", path: "/v1/dead-letters/{id}/replay", access: .scope(.admin),
                summary: "Decode a dead letter again and store it if it is now valid",
                documentation: RouteDocumentation(
                    tag: "admin",
                    queryParameters: [
                        ("source", "string", "The source to replay to, for letters refused for their key.")
                    ],
                    responses: [
                        (200, "Replayed and durable.", ref("Replayed")), (400, "No source to replay to.", ref("Error")),
                        unauthorized, (404, "No such dead letter.", ref("Error")),
                        (409, "Replayed already.", ref("Error")), (422, "Still invalid.", ref("Error")),
                    ]),
                handler: admin.replayDeadLetter),
        ]
    }

    private static func tokenRoutes(_ tokens: TokenRoutes) -> [Route] {
        let invalid = (status: 400, description: "A missing or invalid field or parameter.", schema: ref("Error"))
        return [
            Route(
                method: "POST", path: "/v1/tokens", access: .scope(.admin),
                summary: "Create an API token; its secret is shown in this answer only",
                documentation: RouteDocumentation(
                    description: "Scopes: \(Scope.names). `admin` implies every scope; `profiles:read-pii` "
                        + "implies `profiles:read`. The store keeps only the secret's SHA-256 digest.",
                    tag: "access", requestBody: ref("NewToken"),
                    responses: [(201, "The token with its secret (`token`).", ref("Token")), invalid, unauthorized]),
                handler: tokens.create),
            Route(
                method: "GET", path: "/v1/tokens", access: .scope(.admin), summary: "List API tokens, without secrets",
                documentation: RouteDocumentation(
                    tag: "access",
                    responses: [(200, "Every token, revoked ones too.", ref("TokenList")), unauthorized]),
                handler: tokens.list),
            Route(
                method: "DELETE", path: "/v1/tokens/{id}", access: .scope(.admin),
                summary: "Revoke an API token; it stops working at once",
                documentation: RouteDocumentation(
                    tag: "access",
                    responses: [
                        (200, "The revoked token.", ref("Token")), unauthorized,
                        (404, "No token has that id.", ref("Error")),
                    ]),
                handler: tokens.revoke),
            Route(
                method: "GET", path: "/v1/audit", access: .scope(.admin),
                summary: "Page through the audit log of personal-data reads, oldest first",
                documentation: RouteDocumentation(
                    description: "Who (token id), when, what (route pattern and action: `read` masked or "
                        + "`read-pii` unmasked) and which profile. Entries appear within about a second.",
                    tag: "access",
                    queryParameters: [
                        ("after", "integer", "Return entries after this id (the previous page's `next`)."),
                        ("limit", "integer", "Entries per page, 1 to 1000 (default 100)."),
                        ("profileId", "integer", "Only entries about this profile."),
                    ],
                    responses: [(200, "A page of entries.", ref("AuditPage")), invalid, unauthorized]),
                handler: tokens.audit),
        ]
    }

    private static func operationsRoutes(_ operations: OperationsRoutes) -> [Route] {
        [
            Route(
                method: "GET", path: "/health", access: .open, summary: "Liveness: the process answers",
                documentation: RouteDocumentation(tag: "operations", responses: [(200, "Alive.", ref("Status"))]),
                handler: operations.health),
            Route(
                method: "GET", path: "/ready", access: .open, summary: "Readiness: the store is open and accepting",
                documentation: RouteDocumentation(
                    tag: "operations",
                    responses: [(200, "Ready.", ref("Status")), (503, "Starting or shutting down.", ref("Status"))]),
                handler: operations.ready),
            Route(
                method: "GET", path: "/metrics", access: .open, summary: "Prometheus metrics",
                documentation: RouteDocumentation(
                    tag: "operations", responses: [(200, "Prometheus text format 0.0.4.", nil)],
                    responseContentType: "text/plain"),
                handler: operations.metrics),
            Route(
                method: "GET", path: "/openapi.json", access: .open, summary: "This API's OpenAPI 3 document",
                documentation: RouteDocumentation(tag: "operations", responses: [(200, "The document.", nil)]),
                handler: operations.openAPI),
        ]
    }

    static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }
}
