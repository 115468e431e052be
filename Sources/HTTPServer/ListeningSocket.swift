import Glibc

/// The server's listening TCP socket, created before libmicrohttpd starts and handed to it.
///
/// libmicrohttpd can bind by itself, but it reports a failed bind only through its log, and the bound
/// port can only be read back through `MHD_get_daemon_info`, a variadic function Swift cannot call.
/// Binding here keeps `errno` for a clear error and lets `getsockname` report the port when 0 was asked.
final class ListeningSocket {
    /// The socket's descriptor, or -1 once closed or given up.
    private(set) var descriptor: Int32

    /// The port the socket is bound to.
    let port: Int

    /// Creates, binds and listens.
    ///
    /// - Parameters:
    ///   - address: The address to bind; port 0 asks the kernel for a free port.
    ///   - backlog: The accept queue length passed to `listen`.
    ///   - display: How the address reads in error messages, such as `127.0.0.1:8080`.
    /// - Throws: `HTTPServerError` with the failing call's errno.
    init(address: SocketAddress, backlog: Int32, display: String) throws(HTTPServerError) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError(.socketFailed, "cannot create a socket", errorNumber: errno) }

        var enabled: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &enabled, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            let kind: HTTPServerError.Kind = code == EADDRINUSE ? .addressInUse : .socketFailed
            throw HTTPServerError(kind, "cannot bind \(display)", errorNumber: code)
        }
        guard listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HTTPServerError(.socketFailed, "cannot listen on \(display)", errorNumber: code)
        }

        var name = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &name) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HTTPServerError(.socketFailed, "cannot read the bound port of \(display)", errorNumber: code)
        }
        descriptor = fd
        port = Int(Self.port(of: name))
    }

    deinit {
        close()
    }

    /// Closes the socket unless it is already closed or given up.
    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// Forgets the descriptor without closing it, because its new owner closed or will close it.
    func relinquish() {
        descriptor = -1
    }

    private static func port(of storage: sockaddr_storage) -> UInt16 {
        withUnsafeBytes(of: storage) { bytes in
            switch Int32(storage.ss_family) {
            case AF_INET: return UInt16(bigEndian: bytes.loadUnaligned(as: sockaddr_in.self).sin_port)
            case AF_INET6: return UInt16(bigEndian: bytes.loadUnaligned(as: sockaddr_in6.self).sin6_port)
            default: return 0
            }
        }
    }
}
