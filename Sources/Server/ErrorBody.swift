import HTTPServer
import Ingestion
import TesseraCore

/// The JSON error bodies every route answers with: `{"error": {"code", "message", "field"?, "index"?}}`.
enum ErrorBody {
    static func response(_ status: Int, code: String, message: String, field: String? = nil) -> HTTPResponse {
        var error: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let field { error["field"] = .string(field) }
        return .json(status, ["error": .object(error)])
    }

    static func response(_ status: Int, rejection: Rejection) -> HTTPResponse {
        .json(status, ["error": json(rejection)])
    }

    /// A rejection as the object clients see.
    static func json(_ rejection: Rejection) -> JSONValue {
        var error: [String: JSONValue] = [
            "code": .string(rejection.code.rawValue), "message": .string(rejection.message),
        ]
        if let field = rejection.field { error["field"] = .string(field) }
        if let index = rejection.index { error["index"] = .int(Int64(index)) }
        return .object(error)
    }

    static func notFound() -> HTTPResponse {
        response(404, code: "not_found", message: "no such route")
    }

    static func unauthorized(_ message: String) -> HTTPResponse {
        var response = response(401, code: "unauthorized", message: message)
        response.headers.append(("WWW-Authenticate", "Basic realm=\"tessera\""))
        return response
    }

    static func storageUnavailable() -> HTTPResponse {
        response(503, code: "storage_unavailable", message: "the store could not commit; retry the request")
    }
}
