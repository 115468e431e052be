import HTTPServer
import Ingestion
import JSONParsing
import Storage
import Synchronization
import TesseraCore

/// The front door: authenticates, decodes and validates collected records, hands them to the single
/// writer and answers only once they are durable.
///
/// Runs on the HTTP server's threads; a request waiting for its commit holds no thread, because the
/// answer is sent from the writer's completion. Every refused record goes to the dead-letter store in
/// the same commit, so a 4xx is only sent once the refused bytes are safe too.
final class CollectionService: Sendable {
    /// Where a body was sent, which decides how it is decoded.
    enum Endpoint: Sendable, Equatable {
        case segment(SegmentEndpoint)
        case xdm

        /// The endpoint a route path names (`/v1/track`, `/v1/xdm`, …).
        init?(route: String) {
            guard route.hasPrefix("/v1/") else { return nil }
            let name = String(route.dropFirst(4))
            if name == "xdm" {
                self = .xdm
            } else if let endpoint = SegmentEndpoint(rawValue: name) {
                self = .segment(endpoint)
            } else {
                return nil
            }
        }

        var route: String {
            switch self {
            case .segment(let endpoint): "/v1/\(endpoint.rawValue)"
            case .xdm: "/v1/xdm"
            }
        }

        var carriesMany: Bool {
            switch self {
            case .segment(let endpoint): endpoint.carriesBatch
            case .xdm: true
            }
        }
    }

    private let store: Store
    private let authenticator: Authenticator
    private let parsers = JSONParserPool()
    private let segment: SegmentDecoder
    private let xdm: XDMDecoder
    private let metrics: ServerMetrics
    private let clock: any WallClock
    private let limits: CollectionLimits
    private let anonymousAllowance: UnauthenticatedAllowance
    private let discardsRecords: Bool

    init(
        store: Store, authenticator: Authenticator, limits: CollectionLimits, metrics: ServerMetrics,
        clock: any WallClock, unauthenticatedDeadLettersPerMinute: Int, discardsRecords: Bool = false
    ) {
        self.discardsRecords = discardsRecords
        self.store = store
        self.authenticator = authenticator
        self.segment = SegmentDecoder(limits: limits)
        self.xdm = XDMDecoder(limits: limits)
        self.limits = limits
        self.metrics = metrics
        self.clock = clock
        self.anonymousAllowance = UnauthenticatedAllowance(perMinute: unauthenticatedDeadLettersPerMinute)
    }

    /// Handles one collection request end to end.
    func collect(_ call: RouteRequest, endpoint: Endpoint) {
        let receivedAt = clock.now()
        let body = call.request.body
        let headerKey = Authenticator.basicUser(call.request.headers["authorization"])
        let document: JSONDocument
        do {
            document = try parsers.withParser { parser in try parser.parse(body) }
        } catch let error as JSONParseError {
            let rejection = CollectionService.rejection(for: error)
            let source = headerKey.flatMap(authenticator.source(forWriteKey:))
            return refuseWhole(call, endpoint: endpoint, source: source, rejection: rejection, at: receivedAt)
        } catch {
            return call.respond(ErrorBody.response(400, code: "invalid_json", message: "the body is not JSON"))
        }
        let writeKey = headerKey ?? SegmentDecoder.writeKey(in: document)
        guard let writeKey, let source = authenticator.source(forWriteKey: writeKey) else {
            let message = writeKey == nil ? "a write key is required" : "the write key is not valid"
            return refuseUnauthenticated(call, endpoint: endpoint, message: message, at: receivedAt)
        }
        do {
            let decoded = try decode(document, endpoint: endpoint, receivedAt: receivedAt)
            commit(decoded, call: call, endpoint: endpoint, source: source, receivedAt: receivedAt)
        } catch {
            refuseWhole(call, endpoint: endpoint, source: source, rejection: error, at: receivedAt)
        }
    }

    /// Re-submits a dead letter's bytes as if they had just arrived on their route.
    ///
    /// The record keeps its original receive time (so clock-skew correction gives the same event time)
    /// and the dead letter is marked replayed in the same commit that stores it.
    func replay(_ letter: StoredDeadLetter, source: SourceRecord, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        guard let endpoint = Endpoint(route: letter.route) else {
            return respond(ErrorBody.response(422, code: "not_replayable", message: "the route is unknown"))
        }
        let decoded: DecodedRequest
        do {
            let document = try parsers.withParser { parser in try parser.parse(letter.body) }
            decoded = try decode(document, endpoint: endpoint, receivedAt: letter.receivedAt)
        } catch let error as JSONParseError {
            return respond(ErrorBody.response(422, rejection: CollectionService.rejection(for: error)))
        } catch let error as Rejection {
            return respond(ErrorBody.response(422, rejection: error))
        } catch {
            return respond(ErrorBody.response(422, code: "not_replayable", message: "the body does not decode"))
        }
        guard decoded.rejections.isEmpty else {
            return respond(ErrorBody.response(422, rejection: decoded.rejections[0].rejection))
        }
        let records = decoded.records.map { incoming($0, source: source, receivedAt: letter.receivedAt) }
        let batch = CommitBatch(records: records, replayedDeadLetters: [letter.id])
        store.submit(batch) { [metrics] result in
            switch result {
            case .success(let receipt):
                CollectionService.count(receipt, records: records, metrics: metrics)
                let stored = receipt.outcomes.filter { $0 != .duplicate }.count
                respond(.json(200, ["success": true, "replayed": .int(Int64(stored)), "id": .int(letter.id)]))
            case .failure(let error) where error.kind == .conflict:
                respond(ErrorBody.response(409, code: "already_replayed", message: "it was replayed already"))
            case .failure(let error) where error.kind == .notFound:
                respond(ErrorBody.response(404, code: "not_found", message: "no dead letter has that id"))
            case .failure:
                respond(ErrorBody.storageUnavailable())
            }
        }
    }

    private func decode(
        _ document: JSONDocument, endpoint: Endpoint, receivedAt: Timestamp
    ) throws(Rejection) -> DecodedRequest {
        switch endpoint {
        case .segment(let route): try segment.decode(document, endpoint: route, receivedAt: receivedAt)
        case .xdm: try xdm.decode(document, receivedAt: receivedAt)
        }
    }

    private func commit(
        _ decoded: DecodedRequest, call: RouteRequest, endpoint: Endpoint, source: SourceRecord, receivedAt: Timestamp
    ) {
        let records = decoded.records.map { incoming($0, source: source, receivedAt: receivedAt) }
        let letters = decoded.rejections.map { rejected in
            deadLetter(
                rejected.raw, rejection: rejected.rejection, route: endpoint.route, source: source.id, at: receivedAt)
        }
        for rejected in decoded.rejections { metrics.rejected.increment(labels: [rejected.rejection.code.rawValue]) }
        if discardsRecords { return call.respond(CollectionService.answer(decoded, endpoint: endpoint)) }
        store.submit(CommitBatch(records: records, deadLetters: letters)) { [metrics] result in
            switch result {
            case .success(let receipt):
                CollectionService.count(receipt, records: records, metrics: metrics)
                metrics.deadLetters.increment(by: letters.count)
                call.respond(CollectionService.answer(decoded, endpoint: endpoint))
            case .failure:
                call.respond(ErrorBody.storageUnavailable())
            }
        }
    }

    /// The answer once everything is durable: success, partial success with the refused indexes, or the
    /// rejection itself when nothing was accepted.
    static func answer(_ decoded: DecodedRequest, endpoint: Endpoint) -> HTTPResponse {
        guard !decoded.rejections.isEmpty else { return .json(200, ["success": true]) }
        let rejected = JSONValue.array(decoded.rejections.map { ErrorBody.json($0.rejection) })
        guard endpoint.carriesMany else { return ErrorBody.response(400, rejection: decoded.rejections[0].rejection) }
        guard !decoded.records.isEmpty else {
            return .json(400, ["error": ErrorBody.json(decoded.rejections[0].rejection), "rejected": rejected])
        }
        return .json(
            200, ["success": true, "accepted": .int(Int64(decoded.records.count)), "rejected": rejected])
    }

    /// Keeps a body that could not be decoded at all, then answers 400.
    private func refuseWhole(
        _ call: RouteRequest, endpoint: Endpoint, source: SourceRecord?, rejection: Rejection, at receivedAt: Timestamp
    ) {
        metrics.rejected.increment(labels: [rejection.code.rawValue])
        let letter = deadLetter(
            call.request.body, rejection: rejection, route: endpoint.route, source: source?.id, at: receivedAt)
        if source == nil && !anonymousAllowance.take(at: receivedAt) {
            metrics.deadLettersRefused.increment()
            return call.respond(ErrorBody.response(400, rejection: rejection))
        }
        store.submit(CommitBatch(deadLetters: [letter])) { [metrics] result in
            guard case .success = result else { return call.respond(ErrorBody.storageUnavailable()) }
            metrics.deadLetters.increment()
            call.respond(ErrorBody.response(400, rejection: rejection))
        }
    }

    /// Keeps a body sent without a valid write key (within a per-minute allowance, so that strangers
    /// cannot fill the store), then answers 401. An operator can replay it to the right source.
    private func refuseUnauthenticated(
        _ call: RouteRequest, endpoint: Endpoint, message: String, at receivedAt: Timestamp
    ) {
        let rejection = Rejection(.unauthorized, message, field: "writeKey")
        metrics.rejected.increment(labels: [rejection.code.rawValue])
        guard anonymousAllowance.take(at: receivedAt) else {
            metrics.deadLettersRefused.increment()
            return call.respond(ErrorBody.unauthorized(message))
        }
        let letter = deadLetter(
            call.request.body, rejection: rejection, route: endpoint.route, source: nil, at: receivedAt)
        store.submit(CommitBatch(deadLetters: [letter])) { [metrics] result in
            if case .success = result { metrics.deadLetters.increment() }
            call.respond(ErrorBody.unauthorized(message))
        }
    }

    private func incoming(_ record: CollectedRecord, source: SourceRecord, receivedAt: Timestamp) -> IncomingRecord {
        IncomingRecord(
            sourceID: source.id, messageID: record.messageID, kind: record.kind, eventName: record.eventName,
            userID: record.userID, anonymousID: record.anonymousID, timestamp: record.timestamp,
            receivedAt: receivedAt, body: record.body)
    }

    private func deadLetter(
        _ raw: [UInt8], rejection: Rejection, route: String, source: Int64?, at receivedAt: Timestamp
    ) -> IncomingDeadLetter {
        let limit = limits.maxRequestBytes
        return IncomingDeadLetter(
            sourceID: source, route: route, code: rejection.code.rawValue, message: rejection.message,
            field: rejection.field, index: rejection.index, receivedAt: receivedAt,
            body: raw.count > limit ? Array(raw.prefix(limit)) : raw, truncated: raw.count > limit)
    }

    private static func count(_ receipt: CommitReceipt, records: [IncomingRecord], metrics: ServerMetrics) {
        for (outcome, record) in zip(receipt.outcomes, records) {
            if outcome == .duplicate {
                metrics.deduplicated.increment()
            } else {
                metrics.accepted.increment(labels: [record.kind])
            }
        }
    }

    static func rejection(for error: JSONParseError) -> Rejection {
        switch error.code {
        case .invalidUTF8: Rejection(.invalidUTF8, "the body is not valid UTF-8")
        case .tooDeep: Rejection(.tooDeep, "the body nests too deeply")
        case .empty: Rejection(.invalidJSON, "the body is empty")
        default: Rejection(.invalidJSON, "the body is not valid JSON: \(error.message)")
        }
    }
}

/// A per-minute allowance of dead letters for requests whose source is unknown.
final class UnauthenticatedAllowance: Sendable {
    private let perMinute: Int
    private let state = Mutex<(minute: Int64, used: Int)>((0, 0))

    init(perMinute: Int) {
        self.perMinute = perMinute
    }

    /// Takes one from the current minute's allowance; false when it is used up.
    func take(at time: Timestamp) -> Bool {
        let minute = time.milliseconds / 60_000
        return state.withLock { state in
            if state.minute != minute { state = (minute, 0) }
            guard state.used < perMinute else { return false }
            state.used += 1
            return true
        }
    }
}
