import HTTPServer
import TesseraCore

/// What an API token may do. A route needs exactly one scope; a token carries several.
///
/// `admin` implies every other scope, and `profiles:read-pii` implies `profiles:read` (reading a
/// profile unmasked is reading it).
enum Scope: String, CaseIterable, Sendable, Hashable {
    /// Send records. Collection routes still authenticate with a source's write key, which carries
    /// this scope; a token with it is reserved for clients that will collect with a bearer token.
    case collect
    /// Read profiles, identities, timelines and audience membership, with personal data masked.
    case profilesRead = "profiles:read"
    /// Read the same without masking.
    case profilesReadPII = "profiles:read-pii"
    /// Create, change, delete and recompute audiences.
    case audiencesWrite = "audiences:write"
    /// Configure destinations, activate audiences, manage triggers, inspect and replay deliveries.
    case destinationsWrite = "destinations:write"
    /// Run privacy jobs (access, delete), record consent by API and manage labels and policies.
    case privacyWrite = "privacy:write"
    /// Everything: sources, dead letters, stored events, identity corrections, tokens and the audit log.
    case admin

    /// The scopes named in `names`; nil when a name is unknown or none is given.
    static func parse(_ names: [String]) -> Set<Scope>? {
        var scopes: Set<Scope> = []
        for name in names {
            guard let scope = Scope(rawValue: name.trimmingCharacters(in: .whitespaces)) else { return nil }
            scopes.insert(scope)
        }
        return scopes.isEmpty ? nil : scopes
    }

    /// Every scope name, for error messages and documentation.
    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Who is calling a route that needs a bearer token: the token's public id and what it may do.
struct Caller: Sendable, Equatable {
    /// The id the audit log records: `admin` for the admin token, `tok_…` for API tokens.
    let tokenID: String
    let scopes: Set<Scope>

    /// The bootstrap admin token: every scope.
    static let admin = Caller(tokenID: "admin", scopes: Set(Scope.allCases))

    /// Whether the caller may use a route that needs `scope`.
    func has(_ scope: Scope) -> Bool {
        if scopes.contains(.admin) || scopes.contains(scope) { return true }
        return scope == .profilesRead && scopes.contains(.profilesReadPII)
    }

    /// Whether personal data is shown to this caller unmasked.
    var seesPersonalData: Bool { has(.profilesReadPII) }
}

/// The refusal for a token that lacks the scope a route needs.
enum AccessRefusal {
    static func forbidden(_ scope: Scope) -> HTTPResponse {
        .json(
            403,
            [
                "error": [
                    "code": "forbidden", "message": .string("this token lacks the `\(scope.rawValue)` scope"),
                    "scope": .string(scope.rawValue),
                ]
            ])
    }

    static func unauthorized() -> HTTPResponse {
        let message = "this route needs an API token or the admin token as a bearer token"
        var response = HTTPResponse.json(401, ["error": ["code": "unauthorized", "message": .string(message)]])
        response.headers.append(("WWW-Authenticate", "Bearer realm=\"tessera\""))
        return response
    }
}
