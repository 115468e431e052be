import Synchronization

/// Answers one request exactly once, from any thread, at any time.
///
/// The handler may call `respond` before it returns or much later, for example when the records of the
/// request are committed. Until then the connection is suspended and holds no thread. Calling `respond`
/// a second time is a programming error: the extra response is dropped and counted in
/// `HTTPServer.duplicateResponseCount`.
public struct Responder: Sendable {
    private enum Target: Sendable {
        case connection(ResponseSlot)
        case callback(ResponseCallback)
    }

    private let target: Target

    init(slot: ResponseSlot) {
        target = .connection(slot)
    }

    /// A responder that hands the response to `deliver` instead of a connection, for driving a handler
    /// in-process (tests, replays); `deliver` runs at most once, on the thread that calls `respond`.
    public init(_ deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        target = .callback(ResponseCallback(deliver))
    }

    /// Sends `response` to the client.
    public func respond(_ response: HTTPResponse) {
        switch target {
        case .connection(let slot): slot.respond(response, forced: false)
        case .callback(let callback): callback.deliver(response)
        }
    }
}

/// A callback that runs for the first response only.
final class ResponseCallback: Sendable {
    private let called = Atomic<Bool>(false)
    private let target: @Sendable (HTTPResponse) -> Void

    init(_ target: @escaping @Sendable (HTTPResponse) -> Void) {
        self.target = target
    }

    func deliver(_ response: HTTPResponse) {
        guard !called.exchange(true, ordering: .acquiringAndReleasing) else { return }
        target(response)
    }
}

/// The hand-over point between a handler's `respond` call and the libmicrohttpd thread that sends it.
///
/// The worker thread suspends the connection after the handler returns; `respond` stores the response and
/// resumes the connection; the worker thread is then called again and queues the response. Either side may
/// come first, so the stage says who resumes: whoever moves the slot out of `suspending` or `suspended`.
final class ResponseSlot: Sendable {
    private enum Stage {
        /// The handler is running or has just returned; the response may already be here.
        case handling(HTTPResponse?)
        /// The worker thread is suspending the connection; the response may arrive meanwhile.
        case suspending(HTTPResponse?)
        /// The connection is suspended and waits for the response.
        case suspended
        /// The response is here and the connection has been or will be resumed.
        case resuming(HTTPResponse)
        /// The worker thread has taken the response.
        case sent
    }

    private struct State {
        var stage = Stage.handling(nil)
        var answered = false
        var forced = false
    }

    private let state = Mutex(State())
    private let connection: Connection
    private let core: ServerCore

    /// Creates the slot for a request on `connection`; `core` counts responses given twice.
    init(connection: Connection, core: ServerCore) {
        self.connection = connection
        self.core = core
    }

    /// Stores the response, resuming the connection when it is already suspended.
    ///
    /// - Parameter forced: Whether the server answers on the handler's behalf (while stopping, or past the
    ///   response timeout); the response that loses the race is then dropped without being counted as a
    ///   mistake of the handler's.
    func respond(_ response: HTTPResponse, forced: Bool) {
        let (mustResume, duplicate) = state.withLock { state -> (Bool, Bool) in
            guard !state.answered else { return (false, !state.forced && !forced) }
            state.answered = true
            state.forced = forced
            switch state.stage {
            case .handling: state.stage = .handling(response)
            case .suspending: state.stage = .suspending(response)
            case .suspended:
                state.stage = .resuming(response)
                return (true, false)
            case .resuming, .sent: break
            }
            return (false, false)
        }
        if mustResume { connection.resume() }
        if duplicate { core.noteDuplicateResponse() }
    }

    /// Called by the worker thread when the handler has returned.
    ///
    /// - Returns: The response if it already arrived (the slot is then done); otherwise `nil`, and the
    ///   caller must suspend the connection and then call `didSuspend()`.
    func handlerReturned() -> HTTPResponse? {
        state.withLock { state in
            switch state.stage {
            case .handling(let response?):
                state.stage = .sent
                return response
            case .handling(nil):
                state.stage = .suspending(nil)
                return nil
            default:
                preconditionFailure("handlerReturned() called twice")
            }
        }
    }

    /// Called by the worker thread right after suspending the connection.
    ///
    /// - Returns: Whether the response arrived while suspending, so the caller must resume the connection.
    func didSuspend() -> Bool {
        state.withLock { state in
            switch state.stage {
            case .suspending(let response?):
                state.stage = .resuming(response)
                return true
            case .suspending(nil):
                state.stage = .suspended
                return false
            default:
                preconditionFailure("didSuspend() without handlerReturned()")
            }
        }
    }

    /// Called by the worker thread when libmicrohttpd runs the resumed connection again.
    ///
    /// - Returns: The response to queue, or `nil` if the connection ran without having been resumed.
    func takeResponse() -> HTTPResponse? {
        state.withLock { state in
            guard case .resuming(let response) = state.stage else { return nil }
            state.stage = .sent
            return response
        }
    }
}
