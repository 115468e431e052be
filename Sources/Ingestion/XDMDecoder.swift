import JSONParsing
import TesseraCore

/// Turns XDM documents into records: one record, `{"records": [...]}`, or Adobe's streaming envelope.
///
/// Keys are read in either of the two forms real documents use, plain (`identityMap`, `_id`) or
/// JSON-LD prefixed (`xdm:identityMap`, `@id`). The class comes from `schemaRef.id` when it names an XDM
/// class, and otherwise from the fields the record holds. Records are kept whole: what is stored is
/// the record exactly as sent, in compact form.
public struct XDMDecoder: Sendable {
    public var limits: CollectionLimits

    public init(limits: CollectionLimits = CollectionLimits()) {
        self.limits = limits
    }

    /// Decodes one request body.
    ///
    /// - Throws: `Rejection` when the body as a whole is unusable.
    public func decode(_ document: JSONDocument, receivedAt: Timestamp) throws(Rejection) -> DecodedRequest {
        let root = document.root
        guard root.kind == .object else {
            throw Rejection(.invalidBody, "the body must be a JSON object")
        }
        var request = DecodedRequest()
        guard let records = root.member("records") else {
            collect(root, index: nil, receivedAt: receivedAt, into: &request)
            return request
        }
        guard records.kind == .array else {
            throw Rejection(.wrongType, "`records` must be an array", field: "records")
        }
        guard records.count <= limits.maxBatchRecords else {
            throw Rejection(.tooManyRecords, "the request holds more records than allowed", field: "records")
        }
        for (index, record) in records.elements.enumerated() {
            collect(record, index: index, receivedAt: receivedAt, into: &request)
        }
        return request
    }

    private func collect(_ item: JSONNode, index: Int?, receivedAt: Timestamp, into request: inout DecodedRequest) {
        do {
            request.records.append(try normalise(item, receivedAt: receivedAt))
        } catch {
            var writer = JSONWriter(capacity: 512)
            item.write(to: &writer)
            let rejection = index.map { error.at(index: $0) } ?? error
            request.rejections.append(RejectedRecord(rejection: rejection, raw: writer.bytes))
        }
    }

    private func normalise(_ item: JSONNode, receivedAt: Timestamp) throws(Rejection) -> CollectedRecord {
        guard item.kind == .object else {
            throw Rejection(.wrongType, "each record must be a JSON object")
        }
        let (entity, schemaID) = try unwrap(item)
        try RecordShape.check(entity, limits: limits)
        let recordClass = try classify(entity, schemaID: schemaID)
        try IdentityMapCheck.validate(entity.xdm("identityMap"))
        let messageID = try identifier(entity.member("_id") ?? entity.member("@id"), field: "_id")
        let eventType = try text(entity.xdm("eventType"), field: "eventType")
        var timestamp = receivedAt
        if let node = entity.xdm("timestamp") {
            timestamp = try EventTimes.time(node, field: "timestamp")?.time ?? receivedAt
        }

        var writer = JSONWriter(capacity: 2048)
        entity.write(to: &writer)
        guard writer.bytes.count <= limits.maxXDMRecordBytes else {
            throw Rejection(.recordTooLarge, "the record is larger than \(limits.maxXDMRecordBytes) bytes")
        }
        return CollectedRecord(
            kind: recordClass.rawValue, messageID: messageID ?? RandomID.uuid(), generatedMessageID: messageID == nil,
            eventName: eventType, userID: nil, anonymousID: nil, timestamp: timestamp, body: writer.bytes)
    }

    /// The entity inside a streaming envelope (`header` + `body.xdmMeta.schemaRef` + `body.xdmEntity`),
    /// or the item itself.
    private func unwrap(_ item: JSONNode) throws(Rejection) -> (entity: JSONNode, schemaID: String?) {
        guard let body = item.member("body"), item.member("header") != nil || body.member("xdmEntity") != nil else {
            return (item, nil)
        }
        guard let entity = body.member("xdmEntity") else {
            throw Rejection(.missingField, "a streaming envelope needs `body.xdmEntity`", field: "body.xdmEntity")
        }
        guard entity.kind == .object else {
            throw Rejection(.wrongType, "`body.xdmEntity` must be an object", field: "body.xdmEntity")
        }
        let schemaRef = body.member("xdmMeta")?.member("schemaRef") ?? item.member("header")?.member("schemaRef")
        let schemaID = schemaRef?.member("id")
        if let schemaID, schemaID.kind != .string {
            throw Rejection(.wrongType, "`schemaRef.id` must be a string", field: "body.xdmMeta.schemaRef.id")
        }
        return (entity, schemaID?.string)
    }

    private func classify(_ entity: JSONNode, schemaID: String?) throws(Rejection) -> XDMClass {
        if let schemaID, let named = XDMClass.named(bySchemaID: schemaID) { return named }
        for candidate in XDMClass.byIdentifyingField {
            if let field = candidate.identifyingField, entity.xdm(field) != nil { return candidate }
        }
        let keys = entity.members.map { $0.key.hasPrefix("xdm:") ? String($0.key.dropFirst(4)) : $0.key }
        if keys.contains(where: XDMClass.eventFields.contains) { return .experienceEvent }
        if keys.contains(where: XDMClass.profileFields.contains) { return .profile }
        throw Rejection(
            .unknownXDMClass,
            "the record is not an XDM Individual Profile, ExperienceEvent or B2B record; "
                + "name its class in `schemaRef.id`")
    }

    private func text(_ node: JSONNode?, field: String) throws(Rejection) -> String? {
        guard let node, !node.isNull else { return nil }
        guard let value = node.string else {
            throw Rejection(.wrongType, "`\(field)` must be a string", field: field)
        }
        return value
    }
}

extension JSONNode {
    /// The member `name` in plain form, or in the JSON-LD `xdm:` form.
    func xdm(_ name: String) -> JSONNode? {
        self[name] ?? self["xdm:" + name]
    }
}

/// Validates an `identityMap`: namespace → list of `{id, authenticatedState?, primary?}`.
enum IdentityMapCheck {
    static let states: Set<String> = ["ambiguous", "authenticated", "loggedOut"]

    static func validate(_ map: JSONNode?) throws(Rejection) {
        guard let map, !map.isNull else { return }
        guard map.kind == .object else {
            throw invalid("`identityMap` must map namespaces to lists of identities", field: "identityMap")
        }
        for (namespace, identities) in map.members {
            let path = "identityMap.\(namespace)"
            guard !namespace.isEmpty else { throw invalid("a namespace in `identityMap` is empty", field: path) }
            guard identities.kind == .array else {
                throw invalid("each namespace must hold a list of identities", field: path)
            }
            for (position, identity) in identities.elements.enumerated() {
                try validate(identity: identity, path: "\(path)[\(position)]")
            }
        }
    }

    private static func validate(identity: JSONNode, path: String) throws(Rejection) {
        guard identity.kind == .object else { throw invalid("each identity must be an object", field: path) }
        guard let id = identity.xdm("id"), let value = id.string, !value.isEmpty else {
            throw invalid("each identity needs a non-empty string `id`", field: path + ".id")
        }
        if let state = identity.xdm("authenticatedState"), !state.isNull {
            guard let name = state.string, states.contains(name) else {
                throw invalid(
                    "`authenticatedState` must be ambiguous, authenticated or loggedOut",
                    field: path + ".authenticatedState")
            }
        }
        if let primary = identity.xdm("primary"), !primary.isNull, primary.bool == nil {
            throw invalid("`primary` must be a boolean", field: path + ".primary")
        }
    }

    private static func invalid(_ message: String, field: String) -> Rejection {
        Rejection(.invalidIdentityMap, message, field: field)
    }
}
