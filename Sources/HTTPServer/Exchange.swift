/// The state of one request between libmicrohttpd's calls of the access handler (its `con_cls`).
///
/// Created when the request line arrives and released when libmicrohttpd reports the request completed.
/// Only the worker thread that owns the connection touches it, so it needs no lock.
final class Exchange {
    enum Stage {
        /// The request line arrived; the headers are next.
        case awaitingHeaders
        /// The body is being collected.
        case receiving
        /// The body outgrew the limit: the rest is read and dropped, then `response` (413) is sent.
        case draining(response: HTTPResponse, discarded: Int)
        /// The handler has the request; the slot receives its response.
        case dispatched(ResponseSlot)
        /// A response is queued.
        case finished
    }

    var stage = Stage.awaitingHeaders

    /// The undecoded text after `?` in the request target, if there was one.
    let rawQuery: String?

    /// The body received so far.
    var body: [UInt8] = []

    /// Whether the body arrived with `Content-Encoding: gzip`.
    var isGzip = false

    init(rawQuery: String?) {
        self.rawQuery = rawQuery
    }
}
