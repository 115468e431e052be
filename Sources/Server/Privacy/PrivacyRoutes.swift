import HTTPServer
import TesseraCore
import Unification

/// `POST /v1/privacy/jobs` and `GET /v1/privacy/jobs/{id}`: access and delete requests.
///
/// Both need `privacy:write`. Creating an access job and reading its document are audited with the
/// caller's token id.
struct PrivacyRoutes: Sendable {
    let service: PrivacyService
    let audit: AuditLog

    /// `POST /v1/privacy/jobs` with `{"regulation", "action", "identity": {"namespace", "value"}}`.
    ///
    /// Answers 200 with the finished job when it finished within `jobWait`, else 202 with the job
    /// queued or running; `GET /v1/privacy/jobs/{id}` follows it.
    func create(_ call: RouteRequest) {
        Task {
            do {
                let request = try PrivacyRoutes.request(call.request.body)
                let job = try await service.submit(
                    regulation: request.regulation, action: request.action, namespace: request.namespace,
                    value: request.value, requestedBy: call.caller?.tokenID ?? "admin")
                auditRead(call, job)
                let finished = job.state == .done || job.state == .failed
                call.respond(.json(finished ? 200 : 202, job.json()))
            } catch {
                call.respond(PrivacyRoutes.failure(error))
            }
        }
    }

    /// `GET /v1/privacy/jobs/{id}`.
    func show(_ call: RouteRequest) {
        do {
            guard let id = call.parameters["id"], let job = try service.job(id: id) else {
                throw RouteFailure.notFound("no privacy job has that id")
            }
            auditRead(call, job)
            call.respond(.json(200, job.json()))
        } catch {
            call.respond(PrivacyRoutes.failure(error))
        }
    }

    /// Records who saw an access document (or asked for an erasure), and about which profile.
    private func auditRead(_ call: RouteRequest, _ job: PrivacyJob) {
        switch job.action {
        case .access where job.result != nil:
            audit.record(call, profiles: job.profileID.map { [$0] } ?? [], action: "privacy-access")
        case .delete where call.request.method == "POST":
            audit.record(call, action: "privacy-delete")
        default:
            break
        }
    }

    /// A validated request body.
    struct Request {
        var regulation: PrivacyJob.Regulation
        var action: PrivacyJob.Action
        var namespace: String
        var value: String
    }

    static func request(_ body: [UInt8]) throws -> Request {
        guard let json = try? JSONValue(parsing: body), json.objectValue != nil else {
            throw RouteFailure.invalid("the body must be a JSON object", field: nil)
        }
        let regulations = PrivacyJob.Regulation.allCases.map(\.rawValue).joined(separator: ", ")
        guard let regulation = json["regulation"]?.stringValue.flatMap(PrivacyJob.Regulation.init(rawValue:)) else {
            throw RouteFailure.invalid("`regulation` must be one of \(regulations)", field: "regulation")
        }
        guard let action = json["action"]?.stringValue.flatMap(PrivacyJob.Action.init(rawValue:)) else {
            throw RouteFailure.invalid("`action` must be access or delete", field: "action")
        }
        guard let namespace = json["identity"]?["namespace"]?.stringValue, !namespace.isEmpty else {
            throw RouteFailure.invalid("`identity.namespace` must be a non-empty string", field: "identity.namespace")
        }
        guard let value = json["identity"]?["value"]?.stringValue, !value.isEmpty else {
            throw RouteFailure.invalid("`identity.value` must be a non-empty string", field: "identity.value")
        }
        return Request(regulation: regulation, action: action, namespace: namespace, value: value)
    }

    private static func failure(_ error: any Error) -> HTTPResponse {
        switch error {
        case ProfileReader.LookupError.invalidIdentity(let reason):
            return ErrorBody.response(400, code: "invalid_identity", message: reason, field: "identity.value")
        case ProfileReader.LookupError.blockedIdentity:
            return ErrorBody.response(
                400, code: "invalid_identity", message: "the value is blocked and never identifies anyone",
                field: "identity.value")
        default:
            return RouteFailure.response(for: error)
        }
    }
}

extension RouteTable {
    /// The JSON Schema of a privacy request.
    static let privacyRequestSchema: JSONValue = [
        "type": "object", "required": ["regulation", "action", "identity"],
        "properties": [
            "regulation": ["type": "string", "enum": ["gdpr", "ccpa"]],
            "action": ["type": "string", "enum": ["access", "delete"]],
            "identity": [
                "type": "object", "required": ["namespace", "value"],
                "properties": ["namespace": ["type": "string"], "value": ["type": "string"]],
            ],
        ],
    ]
}
