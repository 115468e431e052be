import Foundation
import HTTPServer
import JSONParsing
import Storage
import TesseraCore

/// Routes for operators: sources, stored events and dead letters. All need the `admin` scope.
///
/// Stored events and dead letters hold whole request bodies, so every page read is audited (with no
/// profile id: the bodies are not resolved to profiles here).
struct AdminRoutes: Sendable {
    let store: Store
    let authenticator: Authenticator
    let collection: CollectionService
    let audit: AuditLog

    static let defaultPageSize = 100
    static let maxPageSize = 1_000

    func listSources(_ call: RouteRequest) {
        do {
            let sources = try store.sources()
            call.respond(.json(200, ["sources": .array(sources.map(AdminRoutes.json))]))
        } catch {
            call.respond(ErrorBody.storageUnavailable())
        }
    }

    func addSource(_ call: RouteRequest) {
        guard let body = try? JSONValue(parsing: call.request.body), let name = body["name"]?.stringValue else {
            return call.respond(
                ErrorBody.response(400, code: "missing_field", message: "the body needs a `name`", field: "name"))
        }
        guard SourceName.isValid(name) else {
            return call.respond(ErrorBody.response(400, code: "invalid_value", message: SourceName.rule, field: "name"))
        }
        let store = store
        let authenticator = authenticator
        Task {
            do {
                let source = try await store.addSource(name: name, writeKey: RandomID.secret(prefix: "wk_"))
                authenticator.invalidate()
                call.respond(.json(201, AdminRoutes.json(source)))
            } catch {
                call.respond(
                    ErrorBody.response(409, code: "conflict", message: "a source with that name exists", field: "name"))
            }
        }
    }

    func rotateKey(_ call: RouteRequest) {
        let name = call.parameters["name"] ?? ""
        let store = store
        let authenticator = authenticator
        Task {
            guard (try? store.source(name: name)) != nil else {
                return call.respond(ErrorBody.response(404, code: "not_found", message: "no source has that name"))
            }
            do {
                let source = try await store.rotateWriteKey(sourceName: name, newKey: RandomID.secret(prefix: "wk_"))
                authenticator.invalidate()
                call.respond(.json(200, AdminRoutes.json(source)))
            } catch {
                call.respond(ErrorBody.storageUnavailable())
            }
        }
    }

    func listEvents(_ call: RouteRequest) {
        let query = call.request.query
        do {
            var sourceID: Int64?
            if let name = query["source"] {
                guard let source = try store.source(name: name) else {
                    return call.respond(
                        ErrorBody.response(404, code: "not_found", message: "no source has that name", field: "source"))
                }
                sourceID = source.id
            }
            let page = try Page(query)
            let events = try store.events(sourceID: sourceID, after: page.after, limit: page.limit)
            audit.record(call)
            call.respond(
                HTTPResponse(
                    status: 200, headers: [("Content-Type", "application/json")],
                    body: AdminRoutes.page(events, next: events.last?.sequence)))
        } catch let error as PageError {
            call.respond(ErrorBody.response(400, code: "invalid_value", message: error.message, field: error.field))
        } catch {
            call.respond(ErrorBody.storageUnavailable())
        }
    }

    func listDeadLetters(_ call: RouteRequest) {
        do {
            let page = try Page(call.request.query)
            let letters = try store.deadLetters(after: page.after, limit: page.limit)
            audit.record(call)
            let next: JSONValue = letters.count == page.limit ? .optional(letters.last?.id) : .null
            call.respond(.json(200, ["deadLetters": .array(letters.map(AdminRoutes.json)), "next": next]))
        } catch let error as PageError {
            call.respond(ErrorBody.response(400, code: "invalid_value", message: error.message, field: error.field))
        } catch {
            call.respond(ErrorBody.storageUnavailable())
        }
    }

    /// Replays a dead letter to its own source, or to `?source=NAME` for one refused for its write key.
    func replayDeadLetter(_ call: RouteRequest) {
        guard let id = call.parameters["id"].flatMap({ Int64($0) }) else {
            return call.respond(ErrorBody.response(400, code: "invalid_value", message: "the id must be a number"))
        }
        do {
            guard let letter = try store.deadLetter(id: id) else {
                return call.respond(ErrorBody.response(404, code: "not_found", message: "no dead letter has that id"))
            }
            guard letter.replayedAt == nil else {
                return call.respond(
                    ErrorBody.response(409, code: "already_replayed", message: "it was replayed already"))
            }
            let source =
                try call.request.query["source"].map { try store.source(name: $0) }
                ?? letter.sourceID.flatMap { try store.source(id: $0) }
            guard let source else {
                return call.respond(
                    ErrorBody.response(
                        400, code: "missing_field", message: "name the source to replay to with ?source=",
                        field: "source"))
            }
            collection.replay(letter, source: source, respond: call.respond)
        } catch {
            call.respond(ErrorBody.storageUnavailable())
        }
    }

    static func json(_ source: SourceRecord) -> JSONValue {
        [
            "id": .int(source.id), "name": .string(source.name), "writeKey": .string(source.writeKey),
            "createdAt": .string(source.createdAt.iso8601),
        ]
    }

    static func json(_ letter: StoredDeadLetter) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(letter.id), "sourceId": .optional(letter.sourceID), "route": .string(letter.route),
            "code": .string(letter.code), "message": .string(letter.message), "field": .optional(letter.field),
            "index": .optional(letter.index.map(Int64.init)), "receivedAt": .string(letter.receivedAt.iso8601),
            "truncated": .bool(letter.truncated), "replayedAt": .optional(letter.replayedAt?.iso8601),
        ]
        if let text = String(validating: letter.body, as: UTF8.self) {
            object["body"] = .string(text)
        } else {
            object["bodyBase64"] = .string(Data(letter.body).base64EncodedString())
        }
        return .object(object)
    }

    /// A page of events written straight from their stored JSON, without re-parsing them.
    ///
    /// - Parameter masked: leave out each record's body and mask its `userId` and `anonymousId`, for
    ///   callers without `profiles:read-pii`.
    static func page(_ events: [StoredEvent], next: Int64?, masked: Bool = false) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + events.reduce(0) { $0 + $1.body.count + 200 })
        writer.beginObject()
        writer.writeKey("events")
        writer.beginArray()
        for (index, event) in events.enumerated() {
            if index > 0 { writer.writeComma() }
            write(event, masked: masked, to: &writer)
        }
        writer.endArray()
        writer.writeComma()
        writer.writeKey("next")
        if let next { writer.writeInt(next) } else { writer.writeNull() }
        writer.endObject()
        return writer.bytes
    }

    private static func write(_ event: StoredEvent, masked: Bool, to writer: inout JSONWriter) {
        let userID = masked ? event.userID.map { _ in Mask.placeholder } : event.userID
        let anonymousID = masked ? event.anonymousID.map { _ in Mask.placeholder } : event.anonymousID
        var fields: [(String, JSONValue)] = [
            ("sequence", .int(event.sequence)), ("sourceId", .int(event.sourceID)),
            ("messageId", .string(event.messageID)), ("type", .string(event.kind)),
            ("event", .optional(event.eventName)), ("userId", .optional(userID)),
            ("anonymousId", .optional(anonymousID)), ("timestamp", .string(event.timestamp.iso8601)),
            ("receivedAt", .string(event.receivedAt.iso8601)),
        ]
        if masked { fields.append(("masked", true)) }
        writer.beginObject()
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { writer.writeComma() }
            writer.writeKey(key)
            writer.write(value)
        }
        if !masked {
            writer.writeComma()
            writer.writeKey("record")
            writer.writeRaw(event.body)
        }
        writer.endObject()
    }
}

/// `?after=` and `?limit=` of a paged listing.
struct Page {
    var after: Int64?
    var limit: Int

    init(_ query: [String: String]) throws(PageError) {
        if let text = query["after"] {
            guard let value = Int64(text), value >= 0 else {
                throw PageError(field: "after", message: "`after` must be a sequence number")
            }
            after = value
        }
        limit = AdminRoutes.defaultPageSize
        if let text = query["limit"] {
            guard let value = Int(text), (1...AdminRoutes.maxPageSize).contains(value) else {
                throw PageError(field: "limit", message: "`limit` must be between 1 and \(AdminRoutes.maxPageSize)")
            }
            limit = value
        }
    }
}

struct PageError: Error {
    var field: String
    var message: String
}

/// The rule for source names: short, readable, safe in paths and metric labels.
enum SourceName {
    static let rule = "a source name is 1 to 64 letters, digits, '-', '_' or '.'"

    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0))
            }
    }
}
