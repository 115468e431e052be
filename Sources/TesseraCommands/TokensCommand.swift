import Foundation
import Server
import TesseraCore

/// `tessera tokens create NAME --scopes a,b | list | revoke ID`: manages API tokens on a running server.
///
/// Goes through the server's API with the admin token rather than opening the store with `--data`:
/// the server checks the scopes, hashes the secret, and forgets a revoked token at once, whereas a
/// revocation written to the file by another process would leave it usable for the server's cache
/// lifetime.
enum TokensCommand {
    static let usage = "tokens needs create NAME --scopes a,b, list, or revoke ID"

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, options: ServerConnection.options.union(["scopes"]))
        let connection = try ServerConnection(arguments)
        switch (arguments.positionals.first, arguments.positionals.count) {
        case ("create", 2):
            guard let scopes = arguments.options["scopes"], !scopes.isEmpty else {
                throw UsageError("tokens create needs --scopes (comma-separated)")
            }
            let body: JSONValue = [
                "name": .string(arguments.positionals[1]),
                "scopes": .array(scopes.split(separator: ",").map { .string(String($0)) }),
            ]
            let token = try connection.admin("POST", "/v1/tokens", body: body.serializedBytes)
            print(created(token))
        case ("list", 1):
            print(listing(try connection.adminGet("/v1/tokens")))
        case ("revoke", 2):
            let id = arguments.positionals[1]
            _ = try connection.admin("DELETE", "/v1/tokens/\(QueryText.escape(id))", body: [])
            print("Revoked token \(id); it no longer works")
        default:
            throw UsageError(usage)
        }
        return 0
    }

    /// What `create` prints: the id and the secret, which the server never shows again.
    static func created(_ token: JSONValue) -> String {
        let scopes = token["scopes"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ",") ?? ""
        return """
            Created token \(token["id"]?.stringValue ?? "?") '\(token["name"]?.stringValue ?? "")' (\(scopes))
            Secret (shown once; store it now): \(token["token"]?.stringValue ?? "?")
            """
    }

    /// One line per token: id, name, scopes, created, last used, and whether it was revoked.
    static func listing(_ answer: JSONValue) -> String {
        let tokens = answer["tokens"]?.arrayValue ?? []
        guard !tokens.isEmpty else { return "No API tokens." }
        return tokens.map { token in
            let scopes = token["scopes"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ",") ?? ""
            let used = token["lastUsedAt"]?.stringValue.map { "  last used \($0)" } ?? "  never used"
            let revoked = token["revokedAt"]?.stringValue.map { "  REVOKED \($0)" } ?? ""
            return "\(token["id"]?.stringValue ?? "?")  \(token["name"]?.stringValue ?? "")  \(scopes)  "
                + "created \(token["createdAt"]?.stringValue ?? "")\(used)\(revoked)"
        }.joined(separator: "\n")
    }
}
