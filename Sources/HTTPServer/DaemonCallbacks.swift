import CMicroHTTPD
import Glibc

// The C callbacks libmicrohttpd calls on its worker threads. They are plain global functions, as C
// function pointers must be, and each only forwards to the `ServerCore` passed as the callback's closure
// pointer (`cls`). `Daemon` keeps that core alive until the daemon has stopped.
//
// The client address comes from the accept-policy callback rather than from MHD_get_connection_info,
// because that function (like MHD_get_daemon_info) is variadic and Swift cannot call variadic C functions.

/// The `ServerCore` behind a callback's closure pointer.
private func core(_ context: UnsafeMutableRawPointer?) -> ServerCore? {
    context.map { Unmanaged<ServerCore>.fromOpaque($0).takeUnretainedValue() }
}

/// Accepts every connection, noting its address for the connection-started notification that follows.
func acceptPolicyCallback(
    _ context: UnsafeMutableRawPointer?, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t
) -> MHD_Result {
    let text = address.flatMap { SocketAddress.ipText(of: $0, length: length) }
    core(context)?.connectionAccepted(from: text)
    return .YES
}

/// Tracks connections opening and closing, to attach and drop their client addresses.
func connectionNotifiedCallback(
    _ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
    _ socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ event: MHD_ConnectionNotificationCode
) {
    guard let core = core(context), let connection else { return }
    switch event {
    case .CONNECTION_NOTIFY_STARTED: core.connectionStarted(Connection(pointer: connection))
    case .CONNECTION_NOTIFY_CLOSED: core.connectionClosed(Connection(pointer: connection))
    @unknown default: break
    }
}

/// Called with the raw request target when a request line arrives; what it returns becomes the request's
/// `con_cls`, so this is where each request's `Exchange` is created (and retained).
func requestStartedCallback(
    _ context: UnsafeMutableRawPointer?, _ target: UnsafePointer<CChar>?, _ connection: OpaquePointer?
) -> UnsafeMutableRawPointer? {
    guard let core = core(context) else { return nil }
    return Unmanaged.passRetained(core.exchange(forTarget: target)).toOpaque()
}

/// libmicrohttpd's access handler: headers, body pieces, completion and resumption all arrive here.
func accessHandlerCallback(
    _ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _ path: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?, _ upload: UnsafePointer<CChar>?,
    _ uploadSize: UnsafeMutablePointer<Int>?, _ requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let core = core(context), let connection, let uploadSize, let requestContext else { return .NO }
    if requestContext.pointee == nil {
        requestContext.pointee = Unmanaged.passRetained(core.exchange(forTarget: nil)).toOpaque()
    }
    let exchange = Unmanaged<Exchange>.fromOpaque(requestContext.pointee!).takeUnretainedValue()
    let piece = UnsafeRawBufferPointer(start: upload, count: upload == nil ? 0 : uploadSize.pointee)
    let proceed = core.advance(
        exchange, on: Connection(pointer: connection), path: path, method: method, upload: piece)
    uploadSize.pointee = 0
    return proceed ? .YES : .NO
}

/// Releases a request's `Exchange` when libmicrohttpd is done with the request, however it ended.
func requestCompletedCallback(
    _ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
    _ requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ reason: MHD_RequestTerminationCode
) {
    guard let requestContext, let pointer = requestContext.pointee else { return }
    let exchange = Unmanaged<Exchange>.fromOpaque(pointer)
    core(context)?.exchangeCompleted(exchange.takeUnretainedValue())
    exchange.release()
    requestContext.pointee = nil
}

/// Formats a message libmicrohttpd logs and hands it to the core.
func daemonLogCallback(
    _ context: UnsafeMutableRawPointer?, _ format: UnsafePointer<CChar>?, _ arguments: CVaListPointer?
) {
    guard let core = core(context), let format, let arguments else { return }
    var text = [CChar](repeating: 0, count: 512)
    _ = vsnprintf(&text, text.count, format, arguments)
    var message = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    while message.last == "\n" { message.removeLast() }
    core.daemonLogged(message)
}
