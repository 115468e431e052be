import HTTPServer
import Ingestion
import TesseraCore

/// Every route the server answers, with its OpenAPI description.
enum RouteTable {
    static func routes(
        collection: CollectionService, admin: AdminRoutes, operations: OperationsRoutes
    ) -> [Route] {
        collectionRoutes(collection) + adminRoutes(admin) + operationsRoutes(operations)
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
        let unauthorized = (status: 401, description: "The admin token is missing or wrong.", schema: ref("Error"))
        return [
            Route(
                method: "GET", path: "/v1/sources", access: .admin, summary: "List sources and their write keys",
                documentation: RouteDocumentation(
                    tag: "admin",
                    responses: [(200, "The sources.", ref("SourceList")), unauthorized]),
                handler: admin.listSources),
            Route(
                method: "POST", path: "/v1/sources", access: .admin, summary: "Add a source with a new write key",
                documentation: RouteDocumentation(
                    tag: "admin", requestBody: ref("NewSource"),
                    responses: [
                        (201, "The new source.", ref("Source")), (400, "The name is missing or invalid.", ref("Error")),
                        unauthorized, (409, "The name is taken.", ref("Error")),
                    ]),
                handler: admin.addSource),
            Route(
                method: "POST", path: "/v1/sources/{name}/rotate-key", access: .admin,
                summary: "Give a source a new write key; the old one stops working",
                documentation: RouteDocumentation(
                    tag: "admin",
                    responses: [
                        (200, "The source with its new key.", ref("Source")), unauthorized,
                        (404, "No such source.", ref("Error")),
                    ]),
                handler: admin.rotateKey),
            Route(
                method: "GET", path: "/v1/events", access: .admin, summary: "Page through stored records, newest last",
                documentation: RouteDocumentation(
                    tag: "admin",
                    queryParameters: [("source", "string", "Only records from this source (by name).")] + paging,
                    responses: [
                        (200, "A page of records.", ref("EventPage")), (400, "A bad query parameter.", ref("Error")),
                        unauthorized, (404, "No such source.", ref("Error")),
                    ]),
                handler: admin.listEvents),
            Route(
                method: "GET", path: "/v1/dead-letters", access: .admin, summary: "Page through refused records",
                documentation: RouteDocumentation(
                    tag: "admin", queryParameters: paging,
                    responses: [
                        (200, "A page of dead letters.", ref("DeadLetterPage")),
                        (400, "A bad query parameter.", ref("Error")), unauthorized,
                    ]),
                handler: admin.listDeadLetters),
            Route(
                method: "POST", path: "/v1/dead-letters/{id}/replay", access: .admin,
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
