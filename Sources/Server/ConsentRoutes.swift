import HTTPServer
import Identity
import Ingestion
import JSONParsing
import Profiles
import Storage
import TesseraCore
import Unification

/// `PUT` and `GET /v1/profiles/{namespace}/{value}/consent`: consent given through the API, applied
/// through the writer exactly like consent from records (same history, the latest time wins,
/// `collect = n` enforced from the next record), and read back with effective values and history.
///
/// Setting needs `privacy:write`; reading needs `profiles:read` and is audited.
struct ConsentRoutes: Sendable {
    let store: Store
    let engine: ProfileEngine
    let reader: ProfileReader
    let audit: AuditLog
    let clock: any WallClock
    /// Masking for callers without `profiles:read-pii`.
    var mask = Mask()

    /// The lawful bases an answer may name besides plain consent.
    static let bases: Set<String> = [
        "consent", "default", "legitimateInterest", "contract", "legalObligation", "vitalInterest", "publicInterest",
    ]
    static let members: Set<String> = ["purposes", "identity", "basis", "time", "expiresAt", "source"]

    /// `PUT …/consent` with `{"purposes": {PURPOSE: "y"|"n"|"u"|XDM value}, "identity"?, "basis"?,
    /// "time"?, "expiresAt"?, "source"?}`.
    func set(_ call: RouteRequest) {
        Task {
            do {
                let id = try resolve(call)
                let (updates, source) = try parse(call, profile: id)
                guard
                    try await engine.setConsent(
                        updates, for: id.rawValue, source: source, store: store, by: call.caller?.tokenID ?? "admin")
                        != nil
                else { throw RouteFailure.notFound("no profile has that identity") }
                audit.record(call, profiles: [id.rawValue], action: "write")
                call.respond(.json(200, try document(of: id, call: call)))
            } catch {
                call.respond(RouteFailure.response(for: error))
            }
        }
    }

    /// `GET …/consent?before=&limit=`: current answers, effective values and history (newest first).
    func show(_ call: RouteRequest) {
        do {
            let id = try resolve(call)
            let document = try document(of: id, call: call)
            audit.record(call, profiles: [id.rawValue])
            call.respond(.json(200, document))
        } catch {
            call.respond(RouteFailure.response(for: error))
        }
    }

    // MARK: - Steps

    private func resolve(_ call: RouteRequest) throws -> ProfileID {
        guard
            let id = try reader.profileID(
                namespace: call.parameters["namespace"] ?? "", value: call.parameters["value"] ?? "")
        else { throw RouteFailure.notFound("no profile has that identity") }
        return id
    }

    /// The answers a request gives, checked member by member.
    private func parse(_ call: RouteRequest, profile: ProfileID) throws -> ([ConsentUpdate], Int64?) {
        guard let body = try? JSONValue(parsing: call.request.body), let object = body.objectValue else {
            throw RouteFailure.invalid("the body must be a JSON object", field: nil)
        }
        if let unknown = object.keys.sorted().first(where: { !Self.members.contains($0) }) {
            throw RouteFailure.invalid(
                "not a member (purposes, identity, basis, time, expiresAt, source)", field: unknown)
        }
        let now = clock.now()
        let time = try object["time"].map { try Self.instant($0, field: "time") } ?? now
        guard time.milliseconds <= now.milliseconds + 86_400_000 else {
            throw RouteFailure.invalid("must not be more than a day in the future", field: "time")
        }
        let expiresAt = try object["expiresAt"].map { try Self.instant($0, field: "expiresAt") }
        if let expiresAt, expiresAt.milliseconds <= time.milliseconds {
            throw RouteFailure.invalid("must be later than the answer's time", field: "expiresAt")
        }
        let basis = try object["basis"].map { value -> String in
            guard let text = value.stringValue, Self.bases.contains(text) else {
                throw RouteFailure.invalid(
                    "must be one of \(Self.bases.sorted().joined(separator: ", "))", field: "basis")
            }
            return text
        }
        let identity = try object["identity"].map { try self.identity($0, of: profile) }
        let source = try object["source"].map { value -> Int64 in
            guard let name = value.stringValue, let record = try store.source(name: name) else {
                throw RouteFailure.invalid("must name a source", field: "source")
            }
            return record.id
        }
        guard let purposes = object["purposes"]?.objectValue, !purposes.isEmpty else {
            throw RouteFailure.invalid("must map at least one purpose to y, n or u", field: "purposes")
        }
        var updates: [ConsentUpdate] = []
        for (purpose, answer) in purposes.sorted(by: { $0.key < $1.key }) {
            guard ConsentExtractor.purposes.contains(purpose) else {
                throw RouteFailure.invalid(
                    "not a purpose (collect, share, personalize, marketing, marketing.CHANNEL)",
                    field: "purposes.\(purpose)")
            }
            guard let text = answer.stringValue, let (value, implied) = ConsentValue.parse(xdm: text) else {
                throw RouteFailure.invalid(
                    "must be y, n or u (or an XDM value: p, dy, dn, LI, CT, CP, VI, PI)", field: "purposes.\(purpose)")
            }
            let named = basis == "consent" ? nil : basis
            updates.append(
                ConsentUpdate(
                    purpose: purpose, identity: identity, value: value, time: time, basis: named ?? implied,
                    expiresAt: expiresAt))
        }
        return (updates, source)
    }

    /// `NAMESPACE:VALUE` of an identity of the profile, normalised as the graph keys it.
    private func identity(_ value: JSONValue, of profile: ProfileID) throws -> String {
        guard let text = value.stringValue, let parsed = Identity(parsing: text) else {
            throw RouteFailure.invalid("must be NAMESPACE:VALUE", field: "identity")
        }
        let normalised: Identity
        do {
            normalised = try reader.normalised(namespace: parsed.namespace, value: parsed.value)
        } catch {
            throw RouteFailure.invalid("is not a valid identity", field: "identity")
        }
        guard try reader.profileID(namespace: normalised.namespace, value: normalised.value) == profile else {
            throw RouteFailure.invalid("is not an identity of this profile", field: "identity")
        }
        return normalised.description
    }

    /// Current answers (the profile's by purpose, per identity under `identities`), the effective
    /// value of every purpose, and a page of history.
    private func document(of id: ProfileID, call: RouteRequest) throws -> JSONValue {
        let now = clock.now()
        let before = try call.request.query["before"].map { text -> Int64 in
            guard let value = Int64(text), value > 0 else {
                throw RouteFailure.invalid("`before` must be a history id", field: "before")
            }
            return value
        }
        let limit = try Page(call.request.query).limit
        let current = try reader.consent(of: id)
        let history = try reader.consentHistory(of: id, before: before, limit: limit)
        let hides = !call.seesPersonalData
        var answers: [String: JSONValue] = [:]
        var identities: [String: JSONValue] = [:]
        for answer in current {
            var json = answer.json(at: now)
            if case .object(var members) = json {
                members["purpose"] = nil
                members["identity"] = nil
                json = .object(members)
            }
            if let identity = answer.identity {
                let key = hides ? mask.identityText(identity) : identity
                var group = identities[key]?.objectValue ?? [:]
                group[answer.purpose] = json
                identities[key] = .object(group)
            } else {
                answers[answer.purpose] = json
            }
        }
        let effective = reader.effectiveConsent(current, at: now).mapValues { JSONValue.string($0.rawValue) }
        let rows = history.map { row -> JSONValue in
            var json = row.json(at: now)
            if hides, let identity = row.identity, case .object(var members) = json {
                members["identity"] = .string(mask.identityText(identity))
                json = .object(members)
            }
            return json
        }
        let next = history.count == limit ? history.last?.id.map(JSONValue.int) : nil
        return [
            "profileId": .int(id.rawValue), "consent": .object(answers), "identities": .object(identities),
            "effective": .object(effective), "history": .array(rows), "next": next ?? .null,
        ]
    }

    private static func instant(_ value: JSONValue, field: String) throws -> Timestamp {
        guard let text = value.stringValue, let instant = TimestampParser.parse(text) else {
            throw RouteFailure.invalid("must be an ISO-8601 time such as 2026-12-01T10:00:00Z", field: field)
        }
        return instant
    }
}
