import Cryptography
import HTTPServer
import JSONParsing
import Storage
import TesseraCore

/// Routes that manage API tokens and page the audit log. All need the `admin` scope.
struct TokenRoutes: Sendable {
    let store: Store
    let authenticator: Authenticator

    static let maxNameLength = 100

    /// `POST /v1/tokens` with `{"name", "scopes": [...]}`: the answer is the only time the secret is shown.
    func create(_ call: RouteRequest) {
        guard let body = try? JSONValue(parsing: call.request.body), body.objectValue != nil else {
            return call.respond(
                ErrorBody.response(400, code: "invalid_value", message: "the body must be a JSON object"))
        }
        guard let name = body["name"]?.stringValue, !name.isEmpty, name.count <= TokenRoutes.maxNameLength else {
            return call.respond(
                ErrorBody.response(
                    400, code: "invalid_value", message: "`name` must be 1 to \(TokenRoutes.maxNameLength) characters",
                    field: "name"))
        }
        let names = body["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard names.count == body["scopes"]?.arrayValue?.count, let scopes = Scope.parse(names) else {
            return call.respond(
                ErrorBody.response(
                    400, code: "invalid_value", message: "`scopes` must list one or more of: \(Scope.names)",
                    field: "scopes"))
        }
        let secret = RandomID.secret(prefix: Authenticator.tokenPrefix)
        let id = "tok_" + RandomID.secret(length: 16)
        let ordered = Scope.allCases.filter(scopes.contains).map(\.rawValue)
        let store = store
        let authenticator = authenticator
        Task {
            do {
                let token = try await store.addToken(
                    id: id, name: name, scopes: ordered, secretDigest: Digest.sha256(Array(secret.utf8)))
                authenticator.invalidateTokens()
                guard case .object(var json) = TokenRoutes.json(token) else { return }
                json["token"] = .string(secret)
                call.respond(.json(201, .object(json)))
            } catch {
                call.respond(ErrorBody.storageUnavailable())
            }
        }
    }

    /// `GET /v1/tokens`: every token, revoked ones included, without secrets.
    func list(_ call: RouteRequest) {
        do {
            call.respond(.json(200, ["tokens": .array(try store.tokens().map(TokenRoutes.json))]))
        } catch {
            call.respond(ErrorBody.storageUnavailable())
        }
    }

    /// `DELETE /v1/tokens/{id}`: revokes the token; it stops working at once.
    func revoke(_ call: RouteRequest) {
        let id = call.parameters["id"] ?? ""
        let store = store
        let authenticator = authenticator
        Task {
            do {
                let token = try await store.revokeToken(id: id)
                authenticator.invalidateTokens()
                call.respond(.json(200, TokenRoutes.json(token)))
            } catch let error as StorageError where error.kind == .notFound {
                call.respond(ErrorBody.response(404, code: "not_found", message: "no token has that id"))
            } catch {
                call.respond(ErrorBody.storageUnavailable())
            }
        }
    }

    /// `GET /v1/audit?after=ID&limit=N&profileId=P`: audit entries, oldest first.
    func audit(_ call: RouteRequest) {
        do {
            let page = try Page(call.request.query)
            let profile = try call.request.query["profileId"].map { text -> Int64 in
                guard let id = Int64(text) else {
                    throw PageError(field: "profileId", message: "`profileId` must be a profile id")
                }
                return id
            }
            let entries = try store.auditEntries(after: page.after, limit: page.limit, profileID: profile)
            let next: JSONValue = entries.count == page.limit ? .optional(entries.last?.id) : .null
            call.respond(.json(200, ["entries": .array(entries.map(TokenRoutes.json)), "next": next]))
        } catch let error as PageError {
            call.respond(ErrorBody.response(400, code: "invalid_value", message: error.message, field: error.field))
        } catch {
            call.respond(ErrorBody.storageUnavailable())
        }
    }

    static func json(_ token: TokenRecord) -> JSONValue {
        [
            "id": .string(token.id), "name": .string(token.name), "scopes": .array(token.scopes.map(JSONValue.string)),
            "createdAt": .string(token.createdAt.iso8601), "lastUsedAt": .optional(token.lastUsedAt?.iso8601),
            "revokedAt": .optional(token.revokedAt?.iso8601),
        ]
    }

    static func json(_ entry: AuditEntry) -> JSONValue {
        [
            "id": .optional(entry.id), "time": .string(entry.time.iso8601), "tokenId": .string(entry.tokenID),
            "route": .string(entry.route), "action": .string(entry.action), "profileId": .optional(entry.profileID),
        ]
    }
}
