import TesseraCore

/// Builds the OpenAPI 3.0 document from the route table, so that what is served is what is described.
enum OpenAPIDocument {
    static func make(routes: [Route], version: String) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for route in routes {
            var item = paths[route.path]?.objectValue ?? [:]
            item[route.method.lowercased()] = operation(route)
            paths[route.path] = .object(item)
        }
        return [
            "openapi": "3.0.3",
            "info": [
                "title": "Tessera",
                "version": .string(version),
                "description": "A self-hosted, real-time customer data platform.",
            ],
            "servers": [["url": "http://127.0.0.1:8080"]],
            "paths": .object(paths),
            "components": ["schemas": .object(schemas), "securitySchemes": securitySchemes],
        ]
    }

    private static func operation(_ route: Route) -> JSONValue {
        let docs = route.documentation
        var operation: [String: JSONValue] = [
            "summary": .string(route.summary),
            "operationId": .string(operationID(route)),
            "tags": [.string(docs.tag)],
            "responses": .object(responses(docs, scope: route.access.scope)),
        ]
        var description = docs.description
        if let scope = route.access.scope {
            let requirement = "Needs the `\(scope.rawValue)` scope."
            description = description.isEmpty ? requirement : description + " " + requirement
            operation["x-required-scope"] = .string(scope.rawValue)
        }
        if !description.isEmpty { operation["description"] = .string(description) }
        var parameters: [JSONValue] = route.segments.filter { $0.first == "{" }.map { segment in
            let name = String(segment.dropFirst().dropLast())
            return ["name": .string(name), "in": "path", "required": true, "schema": ["type": "string"]]
        }
        parameters += docs.queryParameters.map { parameter in
            [
                "name": .string(parameter.name), "in": "query", "required": false,
                "description": .string(parameter.description), "schema": ["type": .string(parameter.type)],
            ]
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let body = docs.requestBody {
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]]
        }
        switch route.access {
        case .open: operation["security"] = []
        case .writeKey: operation["security"] = [["writeKey": []]]
        case .scope: operation["security"] = [["apiToken": []]]
        }
        return .object(operation)
    }

    /// The documented responses; a route that needs a scope also answers 401 and 403.
    private static func responses(_ docs: RouteDocumentation, scope: Scope?) -> [String: JSONValue] {
        var responses: [String: JSONValue] = [:]
        if let scope {
            responses["401"] = [
                "description": "No valid API token or admin token.",
                "content": [docs.responseContentType: ["schema": RouteTable.ref("Error")]],
            ]
            responses["403"] = [
                "description": .string("The token lacks the `\(scope.rawValue)` scope."),
                "content": [docs.responseContentType: ["schema": RouteTable.ref("Forbidden")]],
            ]
        }
        for response in docs.responses {
            var entry: [String: JSONValue] = ["description": .string(response.description)]
            let media: JSONValue = response.schema.map { ["schema": $0] } ?? [:]
            entry["content"] = .object([docs.responseContentType: media])
            responses[String(response.status)] = .object(entry)
        }
        return responses
    }

    /// `postV1Batch`, `getV1DeadLetters`, `postV1DeadLettersIdReplay`, …
    private static func operationID(_ route: Route) -> String {
        let words = route.path.split(whereSeparator: { "/{}-.".contains($0) }).map { word in
            word.prefix(1).uppercased() + word.dropFirst()
        }
        return route.method.lowercased() + words.joined()
    }

    private static let securitySchemes: JSONValue = [
        "writeKey": [
            "type": "http", "scheme": "basic",
            "description": "A source's write key as the user name, empty password (as Segment).",
        ],
        "apiToken": [
            "type": "http", "scheme": "bearer",
            "description": .string(
                "An API token (`tsk_…`) or the admin token. Each operation names the scope it needs in "
                    + "`x-required-scope`; the admin token has every scope."),
        ],
    ]

    private static let scopeSchema: JSONValue = [
        "type": "string", "enum": .array(Scope.allCases.map { .string($0.rawValue) }),
    ]

    private static let schemas: [String: JSONValue] = [
        "Success": [
            "type": "object", "required": ["success"],
            "properties": [
                "success": ["type": "boolean"], "accepted": ["type": "integer"],
                "rejected": ["type": "array", "items": ["$ref": "#/components/schemas/ErrorDetail"]],
            ],
        ],
        "Error": [
            "type": "object", "required": ["error"],
            "properties": [
                "error": ["$ref": "#/components/schemas/ErrorDetail"],
                "rejected": ["type": "array", "items": ["$ref": "#/components/schemas/ErrorDetail"]],
            ],
        ],
        "ErrorDetail": [
            "type": "object", "required": ["code", "message"],
            "properties": [
                "code": ["type": "string"], "message": ["type": "string"], "field": ["type": "string"],
                "index": ["type": "integer"],
            ],
        ],
        "SegmentMessage": [
            "type": "object",
            "description": "A Segment Spec message: identify, track, page, screen, group or alias.",
            "properties": [
                "type": ["type": "string"], "userId": ["type": "string"], "anonymousId": ["type": "string"],
                "messageId": ["type": "string"], "event": ["type": "string"], "name": ["type": "string"],
                "groupId": ["type": "string"], "previousId": ["type": "string"],
                "timestamp": ["type": "string", "format": "date-time"], "sentAt": ["type": "string"],
                "properties": ["type": "object"], "traits": ["type": "object"], "context": ["type": "object"],
                "integrations": ["type": "object"], "writeKey": ["type": "string"],
            ],
        ],
        "SegmentBatch": [
            "type": "object", "required": ["batch"],
            "properties": [
                "batch": ["type": "array", "items": ["$ref": "#/components/schemas/SegmentMessage"]],
                "context": ["type": "object"], "integrations": ["type": "object"], "sentAt": ["type": "string"],
                "writeKey": ["type": "string"],
            ],
        ],
        "XDMBody": [
            "type": "object",
            "description":
                "One XDM record, {\"records\": [...]}, or {\"header\", \"body\": {\"xdmMeta\", \"xdmEntity\"}}.",
        ],
        "Source": [
            "type": "object",
            "properties": [
                "id": ["type": "integer"], "name": ["type": "string"], "writeKey": ["type": "string"],
                "createdAt": ["type": "string", "format": "date-time"],
            ],
        ],
        "SourceList": [
            "type": "object",
            "properties": ["sources": ["type": "array", "items": ["$ref": "#/components/schemas/Source"]]],
        ],
        "NewSource": ["type": "object", "required": ["name"], "properties": ["name": ["type": "string"]]],
        "EventPage": [
            "type": "object",
            "properties": [
                "events": ["type": "array", "items": ["$ref": "#/components/schemas/StoredEvent"]],
                "next": ["type": "integer", "nullable": true],
            ],
        ],
        "StoredEvent": [
            "type": "object",
            "properties": [
                "sequence": ["type": "integer"], "sourceId": ["type": "integer"], "messageId": ["type": "string"],
                "type": ["type": "string"], "event": ["type": "string", "nullable": true],
                "userId": ["type": "string", "nullable": true], "anonymousId": ["type": "string", "nullable": true],
                "timestamp": ["type": "string"], "receivedAt": ["type": "string"], "record": ["type": "object"],
            ],
        ],
        "DeadLetterPage": [
            "type": "object",
            "properties": [
                "deadLetters": ["type": "array", "items": ["$ref": "#/components/schemas/DeadLetter"]],
                "next": ["type": "integer", "nullable": true],
            ],
        ],
        "DeadLetter": [
            "type": "object",
            "properties": [
                "id": ["type": "integer"], "sourceId": ["type": "integer", "nullable": true],
                "route": ["type": "string"], "code": ["type": "string"], "message": ["type": "string"],
                "field": ["type": "string", "nullable": true], "index": ["type": "integer", "nullable": true],
                "receivedAt": ["type": "string"], "truncated": ["type": "boolean"],
                "replayedAt": ["type": "string", "nullable": true], "body": ["type": "string"],
                "bodyBase64": ["type": "string"],
            ],
        ],
        "Replayed": [
            "type": "object",
            "properties": ["success": ["type": "boolean"], "replayed": ["type": "integer"], "id": ["type": "integer"]],
        ],
        "Status": ["type": "object", "properties": ["status": ["type": "string"]]],
        "Profile": [
            "type": "object",
            "properties": [
                "profileId": ["type": "integer"],
                "identities": [
                    "type": "array",
                    "items": [
                        "type": "object",
                        "properties": [
                            "namespace": ["type": "string"], "value": ["type": "string"],
                            "firstSeen": ["type": "string"], "lastSeen": ["type": "string"],
                        ],
                    ],
                ],
                "attributes": ["type": "object"], "computed": ["type": "object"], "mergePolicy": ["type": "string"],
            ],
        ],
        "ProfileGraph": [
            "type": "object",
            "properties": [
                "profileId": ["type": "integer"], "identities": ["type": "array", "items": ["type": "object"]],
                "links": ["type": "array", "items": ["type": "object"]],
            ],
        ],
        "ProfileLookup": [
            "type": "object", "required": ["identities"],
            "properties": ["identities": ["type": "array", "maxItems": 1000, "items": ["type": "string"]]],
        ],
        "ProfileLookupResults": [
            "type": "object",
            "properties": ["results": ["type": "array", "items": ["type": "object"]]],
        ],
        "Explanation": [
            "type": "object",
            "properties": [
                "from": ["type": "string"], "to": ["type": "string"], "joined": ["type": "boolean"],
                "path": ["type": "array", "items": ["type": "object"]],
                "reasons": ["type": "array", "items": ["type": "object"]],
            ],
        ],
        "Unlink": [
            "type": "object",
            "properties": ["from": ["type": "string"], "to": ["type": "string"], "identity": ["type": "string"]],
        ],
        "AudienceInput": [
            "type": "object",
            "properties": [
                "name": ["type": "string", "maxLength": 200],
                "rule": [
                    "description": "The rule as text (see docs/audiences.md) or in its JSON form.",
                    "oneOf": [["type": "string"], ["type": "object"]],
                ],
                "description": ["type": "string"],
            ],
        ],
        "AudienceEstimate": [
            "type": "object", "required": ["rule"],
            "properties": [
                "rule": [
                    "description": "The rule as text or in its JSON form.",
                    "oneOf": [["type": "string"], ["type": "object"]],
                ]
            ],
        ],
        "Audience": [
            "type": "object",
            "properties": [
                "id": ["type": "integer"], "name": ["type": "string"], "description": ["type": "string"],
                "rule": ["type": "string"], "ruleJSON": ["type": "object"], "size": ["type": "integer"],
                "createdAt": ["type": "string"], "updatedAt": ["type": "string"],
                "evaluatedAt": ["type": "string", "nullable": true],
            ],
        ],
        "AudienceList": [
            "type": "object", "properties": ["audiences": ["type": "array", "items": RouteTable.ref("Audience")]],
        ],
        "AudienceMembers": [
            "type": "object",
            "properties": [
                "members": ["type": "array", "items": ["type": "object"]],
                "next": ["type": "integer", "nullable": true],
            ],
        ],
        "AudienceHistory": [
            "type": "object",
            "properties": [
                "history": ["type": "array", "items": ["type": "object"]],
                "next": ["type": "integer", "nullable": true],
            ],
        ],
        "AudienceWhy": [
            "type": "object",
            "properties": [
                "audienceId": ["type": "integer"], "profileId": ["type": "integer"], "member": ["type": "boolean"],
                "rule": ["type": "object"],
            ],
        ],
        "Forbidden": [
            "type": "object", "required": ["error"],
            "properties": [
                "error": [
                    "type": "object", "required": ["code", "message", "scope"],
                    "properties": [
                        "code": ["type": "string", "enum": ["forbidden"]], "message": ["type": "string"],
                        "scope": ["type": "string", "description": "The scope the route needs."],
                    ],
                ]
            ],
        ],
        "NewToken": [
            "type": "object", "required": ["name", "scopes"],
            "properties": [
                "name": ["type": "string", "maxLength": 100],
                "scopes": ["type": "array", "minItems": 1, "items": scopeSchema],
            ],
        ],
        "Token": [
            "type": "object",
            "properties": [
                "id": ["type": "string"], "name": ["type": "string"],
                "scopes": ["type": "array", "items": scopeSchema],
                "createdAt": ["type": "string"], "lastUsedAt": ["type": "string", "nullable": true],
                "revokedAt": ["type": "string", "nullable": true],
                "token": ["type": "string", "description": "The secret; only in the answer that creates the token."],
            ],
        ],
        "TokenList": [
            "type": "object", "properties": ["tokens": ["type": "array", "items": RouteTable.ref("Token")]],
        ],
        "AuditPage": [
            "type": "object",
            "properties": [
                "entries": [
                    "type": "array",
                    "items": [
                        "type": "object",
                        "properties": [
                            "id": ["type": "integer"], "time": ["type": "string"], "tokenId": ["type": "string"],
                            "route": ["type": "string"], "action": ["type": "string", "enum": ["read", "read-pii"]],
                            "profileId": ["type": "integer", "nullable": true],
                        ],
                    ],
                ],
                "next": ["type": "integer", "nullable": true],
            ],
        ],
        "Split": [
            "type": "object",
            "properties": [
                "profile": ["type": "integer"], "split": ["type": "boolean"],
                "parts": ["type": "array", "items": ["type": "object"]],
            ],
        ],
    ]
}
