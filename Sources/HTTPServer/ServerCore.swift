import Glibc
import Synchronization
import TesseraCore

/// The part of the server that libmicrohttpd's callbacks reach: it turns the access handler's calls into
/// one `HTTPRequest` and one queued response per request.
///
/// The worker-thread steps (`advance` and the connection notifications) run on the thread that owns the
/// connection. The in-flight registry is shared with `stop()` and with responders on other threads.
final class ServerCore: Sendable {
    let configuration: HTTPServer.Configuration
    let logger: Logger
    private let handler: HTTPServer.Handler

    /// Requests handed to the handler whose response is not yet queued, and whether new ones may start.
    private let inFlight = Mutex(InFlight())

    /// Client addresses of open connections, learnt when libmicrohttpd accepts them.
    private let peers = Mutex(PeerAddresses())

    private let duplicateResponses = Atomic<Int>(0)
    private let liveExchanges = Atomic<Int>(0)

    /// The last messages libmicrohttpd logged, for the error when it fails to start.
    private let daemonMessages = Mutex<[String]>([])

    private struct InFlight {
        var accepting = true
        var slots: [ObjectIdentifier: Waiting] = [:]
    }

    /// A request handed to the handler, and when the server answers it on the handler's behalf.
    private struct Waiting {
        let slot: ResponseSlot
        let deadline: ContinuousClock.Instant?
    }

    private struct PeerAddresses {
        /// The address each worker thread accepted last, waiting for its connection-started notification.
        var acceptedByThread: [pthread_t: String] = [:]
        var byConnection: [Connection: String] = [:]
    }

    init(configuration: HTTPServer.Configuration, logger: Logger, handler: @escaping HTTPServer.Handler) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    // MARK: Requests, on the connection's worker thread

    /// Creates the state of a request whose request line has arrived.
    ///
    /// - Parameter target: The request target as sent, such as `/v1/batch?x=1`.
    func exchange(forTarget target: UnsafePointer<CChar>?) -> Exchange {
        liveExchanges.add(1, ordering: .relaxed)
        guard let target, let question = strchr(target, Int32(UInt8(ascii: "?"))) else {
            return Exchange(rawQuery: nil)
        }
        return Exchange(rawQuery: String(cString: question + 1))
    }

    /// Forgets a request libmicrohttpd has completed.
    ///
    /// A client that hangs up while its request waits for the handler ends the request here, without
    /// the access handler being called again; the request then leaves the in-flight set here too, or
    /// `stop()` would wait for it in vain.
    func exchangeCompleted(_ exchange: Exchange) {
        if case .dispatched(let slot) = exchange.stage { leaveInFlight(slot) }
        exchange.stage = .finished
        liveExchanges.subtract(1, ordering: .relaxed)
    }

    /// Takes the request one step further; libmicrohttpd calls this with the headers, with each piece of
    /// the body, once the body is complete, and once more after a suspended connection is resumed.
    ///
    /// - Returns: `false` to make libmicrohttpd close the connection.
    func advance(
        _ exchange: Exchange, on connection: Connection, path: UnsafePointer<CChar>?,
        method: UnsafePointer<CChar>?, upload: UnsafeRawBufferPointer
    ) -> Bool {
        switch exchange.stage {
        case .awaitingHeaders:
            return begin(exchange, on: connection)
        case .receiving where !upload.isEmpty:
            return receive(upload, into: exchange)
        case .receiving:
            return dispatch(exchange, on: connection, path: path, method: method)
        case .draining(let response, let discarded) where !upload.isEmpty:
            let total = discarded + upload.count
            exchange.stage = .draining(response: response, discarded: total)
            return total <= configuration.maxBodyBytes * 2
        case .draining(let response, _):
            return finish(exchange, on: connection, with: response)
        case .dispatched(let slot):
            guard let response = slot.takeResponse() else { return false }
            leaveInFlight(slot)
            return finish(exchange, on: connection, with: response)
        case .finished:
            return false
        }
    }

    /// Checks the headers: refuses unknown encodings and declared lengths over the limit at once.
    private func begin(_ exchange: Exchange, on connection: Connection) -> Bool {
        if let encoding = connection.header("Content-Encoding") {
            switch encoding.lowercased().trimmingASCIISpaces() {
            case "", "identity":
                break
            case "gzip", "x-gzip":
                exchange.isGzip = true
            default:
                return finish(exchange, on: connection, with: Self.unsupportedEncoding)
            }
        }

        if let declared = connection.header("Content-Length").flatMap({ Int($0) }) {
            guard declared <= configuration.maxBodyBytes else {
                return finish(exchange, on: connection, with: tooLarge)
            }
            exchange.body.reserveCapacity(declared)
        }
        exchange.stage = .receiving
        return true
    }

    /// Appends a piece of the body, or starts draining once the body outgrows the limit.
    private func receive(_ piece: UnsafeRawBufferPointer, into exchange: Exchange) -> Bool {
        let total = exchange.body.count + piece.count
        guard total <= configuration.maxBodyBytes else {
            exchange.body = []
            exchange.stage = .draining(response: tooLarge, discarded: total)
            return true
        }
        exchange.body.append(contentsOf: piece)
        return true
    }

    /// Builds the request, hands it to the handler, and suspends the connection until the response comes.
    private func dispatch(
        _ exchange: Exchange, on connection: Connection, path: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?
    ) -> Bool {
        guard let body = inflatedBody(of: exchange, on: connection) else { return true }
        let request = HTTPRequest(
            method: method.map { String(cString: $0) } ?? "GET",
            path: path.map { String(cString: $0) } ?? "/",
            query: QueryString.decode(exchange.rawQuery),
            headers: connection.headers(),
            body: body,
            remoteAddress: peerAddress(of: connection))
        let slot = ResponseSlot(connection: connection, core: self)
        guard enterInFlight(slot) else { return finish(exchange, on: connection, with: Self.stopping) }
        exchange.stage = .dispatched(slot)

        handler(request, Responder(slot: slot))

        if let response = slot.handlerReturned() {
            leaveInFlight(slot)
            return finish(exchange, on: connection, with: response)
        }
        connection.suspend()
        if slot.didSuspend() { connection.resume() }
        return true
    }

    /// The body as the handler gets it; `nil` when it was refused and an error response is queued.
    private func inflatedBody(of exchange: Exchange, on connection: Connection) -> [UInt8]? {
        let body = exchange.body
        exchange.body = []
        guard exchange.isGzip else { return body }
        do {
            return try Gzip.inflate(body, limit: configuration.maxInflatedBytes)
        } catch .tooLarge {
            _ = finish(exchange, on: connection, with: inflatedTooLarge)
        } catch {
            _ = finish(exchange, on: connection, with: Self.invalidGzip)
        }
        return nil
    }

    /// Queues `response`; a response libmicrohttpd refuses (a bad status code) becomes a 500.
    private func finish(_ exchange: Exchange, on connection: Connection, with response: HTTPResponse) -> Bool {
        exchange.stage = .finished
        if connection.queue(response) { return true }
        logger.error("handler response refused by libmicrohttpd", metadata: ["http.status": "\(response.status)"])
        return connection.queue(Self.internalError)
    }

    // MARK: Responses the server sends itself

    private var tooLarge: HTTPResponse {
        .error(413, code: "body_too_large", message: "the body exceeds \(configuration.maxBodyBytes) bytes")
    }

    private var inflatedTooLarge: HTTPResponse {
        .error(
            413, code: "body_too_large",
            message: "the inflated body exceeds \(configuration.maxInflatedBytes) bytes")
    }

    private static let invalidGzip = HTTPResponse.error(
        400, code: "invalid_gzip", message: "the body is not valid gzip")

    private static let unsupportedEncoding = HTTPResponse.error(
        415, code: "unsupported_content_encoding", message: "only gzip and identity content encodings are accepted")

    private static let internalError = HTTPResponse.error(
        500, code: "internal_error", message: "the server could not send its response")

    private static let responseTimedOut = HTTPResponse.error(
        503, code: "response_timeout", message: "the request was not answered in time")

    /// Sent to requests that arrive or are still unanswered while the server stops.
    static let stopping: HTTPResponse = {
        var response = HTTPResponse.error(503, code: "server_stopping", message: "the server is stopping")
        response.headers.append(("Connection", "close"))
        return response
    }()

    // MARK: In-flight requests

    private func enterInFlight(_ slot: ResponseSlot) -> Bool {
        let timeout = configuration.responseTimeoutSeconds
        let deadline = timeout > 0 ? ContinuousClock.now.advanced(by: .milliseconds(Int(timeout * 1000))) : nil
        return inFlight.withLock { inFlight in
            guard inFlight.accepting else { return false }
            inFlight.slots[ObjectIdentifier(slot)] = Waiting(slot: slot, deadline: deadline)
            return true
        }
    }

    private func leaveInFlight(_ slot: ResponseSlot) {
        _ = inFlight.withLock { $0.slots.removeValue(forKey: ObjectIdentifier(slot)) }
    }

    /// Refuses every request not yet handed to the handler, with 503 and `Connection: close`.
    func stopAccepting() {
        inFlight.withLock { $0.accepting = false }
    }

    /// The number of requests handed to the handler whose response is not yet queued.
    var inFlightCount: Int {
        inFlight.withLock { $0.slots.count }
    }

    /// Answers every request still in flight with `response` on the handler's behalf.
    func answerInFlight(with response: HTTPResponse) {
        let slots = inFlight.withLock { $0.slots.values.map(\.slot) }
        for slot in slots {
            slot.respond(response, forced: true)
        }
    }

    /// Answers with 503 (`response_timeout`) every request whose handler let its deadline pass.
    ///
    /// - Complexity: O(n) in the requests in flight.
    func answerOverdue() {
        let now = ContinuousClock.now
        let overdue = inFlight.withLock { inFlight in
            inFlight.slots.values.filter { $0.deadline.map { $0 <= now } ?? false }.map(\.slot)
        }
        guard !overdue.isEmpty else { return }
        logger.warning("answering requests the handler left unanswered", metadata: ["http.count": "\(overdue.count)"])
        for slot in overdue {
            slot.respond(Self.responseTimedOut, forced: true)
        }
    }

    /// Counts a second `respond` call for one request.
    func noteDuplicateResponse() {
        duplicateResponses.add(1, ordering: .relaxed)
        logger.debug("responder called more than once; extra response dropped")
    }

    /// How many times a handler answered a request twice.
    var duplicateResponseCount: Int {
        duplicateResponses.load(ordering: .relaxed)
    }

    /// Requests whose state libmicrohttpd has not yet released; 0 once the server is stopped.
    var liveExchangeCount: Int {
        liveExchanges.load(ordering: .relaxed)
    }

    // MARK: Client addresses

    /// Remembers the address the calling worker thread is accepting a connection from.
    func connectionAccepted(from address: String?) {
        peers.withLock { $0.acceptedByThread[pthread_self()] = address }
    }

    /// Binds the address accepted last on this thread to the connection libmicrohttpd has just set up.
    ///
    /// libmicrohttpd accepts a connection and reports it started on the same worker thread, with nothing
    /// in between; see `DaemonCallbacks.swift` for why the address cannot be asked for directly.
    func connectionStarted(_ connection: Connection) {
        peers.withLock { peers in
            guard let address = peers.acceptedByThread.removeValue(forKey: pthread_self()) else { return }
            peers.byConnection[connection] = address
        }
    }

    func connectionClosed(_ connection: Connection) {
        _ = peers.withLock { $0.byConnection.removeValue(forKey: connection) }
    }

    private func peerAddress(of connection: Connection) -> String? {
        peers.withLock { $0.byConnection[connection] }
    }

    // MARK: libmicrohttpd's own messages

    /// Records a message libmicrohttpd logged; it names sockets and system calls, not request data.
    func daemonLogged(_ message: String) {
        daemonMessages.withLock { messages in
            messages.append(message)
            if messages.count > 8 { messages.removeFirst() }
        }
        logger.debug("libmicrohttpd message", metadata: ["http.daemon_message": message])
    }

    /// The messages libmicrohttpd logged most recently, oldest first.
    var recentDaemonMessages: [String] {
        daemonMessages.withLock { $0 }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingASCIISpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
