import CMicroHTTPD
import Glibc

/// The one owner of a running libmicrohttpd daemon and of the listening socket it serves.
///
/// The daemon runs in epoll mode with a pool of internal worker threads and suspend/resume enabled;
/// each worker accepts on the shared listening socket and runs its connections' callbacks.
final class Daemon: @unchecked Sendable {
    // @unchecked Sendable: `handle` and `listener` change only in `quiesce()` and `stop()`, which
    // HTTPServer calls once each, in that order, from the single thread that took the daemon out of its
    // lifecycle state under a lock. libmicrohttpd's own threads never touch these properties.
    private var handle: OpaquePointer?
    private let listener: ListeningSocket
    private let core: ServerCore
    private var quiesced = false

    /// libmicrohttpd's URI-log callback type, which its header documents but does not name.
    private typealias RequestStartedCallback =
        @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?) -> UnsafeMutableRawPointer?

    /// Starts libmicrohttpd on `listener`.
    ///
    /// - Throws: `HTTPServerError` of kind `daemonFailed`, with libmicrohttpd's last logged message.
    init(core: ServerCore, listener: ListeningSocket, isIPv6: Bool) throws(HTTPServerError) {
        self.core = core
        self.listener = listener
        let configuration = core.configuration
        let closure = Unmanaged.passUnretained(core).toOpaque()
        let requestStarted: RequestStartedCallback = requestStartedCallback
        let requestCompleted: MHD_RequestCompletedCallback = requestCompletedCallback
        let connectionNotified: MHD_NotifyConnectionCallback = connectionNotifiedCallback
        let logged: MHD_LogCallback = daemonLogCallback

        var options = [
            MHD_OptionItem(option: .LISTEN_SOCKET, value: Int(listener.descriptor), ptr_value: nil),
            MHD_OptionItem(option: .CONNECTION_LIMIT, value: configuration.maxConnections, ptr_value: nil),
            MHD_OptionItem(option: .CONNECTION_TIMEOUT, value: configuration.connectionTimeoutSeconds, ptr_value: nil),
            MHD_OptionItem(option: .URI_LOG_CALLBACK, value: Self.address(of: requestStarted), ptr_value: closure),
            MHD_OptionItem(option: .NOTIFY_COMPLETED, value: Self.address(of: requestCompleted), ptr_value: closure),
            MHD_OptionItem(
                option: .NOTIFY_CONNECTION, value: Self.address(of: connectionNotified), ptr_value: closure),
            MHD_OptionItem(option: .EXTERNAL_LOGGER, value: Self.address(of: logged), ptr_value: closure),
        ]
        if configuration.threads > 1 {
            options.append(MHD_OptionItem(option: .THREAD_POOL_SIZE, value: configuration.threads, ptr_value: nil))
        }
        options.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))

        var flags =
            MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
            | MHD_USE_ERROR_LOG.rawValue
        if isIPv6 { flags |= MHD_USE_IPv6.rawValue }
        let started = options.withUnsafeMutableBufferPointer { items in
            withVaList([MHD_OPTION.ARRAY.rawValue, items.baseAddress!, MHD_OPTION.END.rawValue]) { arguments in
                MHD_start_daemon_va(
                    flags, 0, acceptPolicyCallback, closure, accessHandlerCallback, closure, arguments)
            }
        }
        guard let started else {
            // Whether libmicrohttpd closed the socket it was given on this path is not documented: give it
            // up if it is gone, so that closing it later cannot close an unrelated descriptor.
            if fcntl(listener.descriptor, F_GETFD) == -1 && errno == EBADF { listener.relinquish() }
            let reason = core.recentDaemonMessages.last ?? "no reason given"
            throw HTTPServerError(.daemonFailed, "libmicrohttpd did not start: \(reason)")
        }
        handle = started
    }

    deinit {
        stop()
    }

    /// Stops accepting connections; open connections keep being served.
    ///
    /// libmicrohttpd hands the listening socket back, so `stop()` closes it.
    func quiesce() {
        guard let handle, !quiesced else { return }
        quiesced = MHD_quiesce_daemon(handle) >= 0
    }

    /// Stops the worker threads and closes every connection and the listening socket.
    ///
    /// No connection may be suspended: libmicrohttpd aborts the process if one is.
    func stop() {
        guard let handle else { return }
        MHD_stop_daemon(handle)
        self.handle = nil
        if quiesced { listener.close() } else { listener.relinquish() }
    }

    /// A C function pointer as the integer `MHD_OptionItem.value` carries for two-pointer options.
    private static func address<Function>(of function: Function) -> Int {
        unsafeBitCast(function, to: Int.self)
    }
}
