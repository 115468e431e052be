import Glibc

/// The one owner of a connected TCP client socket: connects with a timeout, writes, reads, and closes
/// in `deinit`.
final class ClientSocket: ByteSource {
    private let descriptor: Int32

    /// Connects to the first address of `host` that accepts within `timeoutSeconds`.
    ///
    /// Reads and writes then fail with `timedOut` after `timeoutSeconds` without progress.
    /// - Throws: `HTTPClientError` of kind `connectFailed` or `timedOut`.
    init(host: String, port: Int, timeoutSeconds: Double) throws(HTTPClientError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let unbracketed = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let resolved = getaddrinfo(unbracketed, String(port), &hints, &list)
        guard resolved == 0, let list else {
            let reason = String(cString: gai_strerror(resolved))
            throw HTTPClientError(.connectFailed, "cannot resolve \(host): \(reason)")
        }
        defer { freeaddrinfo(list) }

        var failure = HTTPClientError(.connectFailed, "no address for \(host)")
        var candidate: UnsafeMutablePointer<addrinfo>? = list
        while let address = candidate {
            do {
                descriptor = try Self.connect(to: address.pointee, timeoutSeconds: timeoutSeconds)
                return
            } catch {
                failure = error
            }
            candidate = address.pointee.ai_next
        }
        throw failure
    }

    deinit {
        close(descriptor)
    }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw HTTPClientError(.timedOut, "send timed out") }
                throw HTTPClientError(.sendFailed, "cannot send the request", errorNumber: errno)
            }
            offset += written
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                throw HTTPClientError(.timedOut, "no response within the timeout")
            }
            if errno == ECONNRESET { throw HTTPClientError(.connectionClosed, "connection reset by the server") }
            throw HTTPClientError(.connectionClosed, "cannot read the response", errorNumber: errno)
        }
    }

    /// Opens a socket to `address`, waiting at most `timeoutSeconds` for the connection.
    private static func connect(to address: addrinfo, timeoutSeconds: Double) throws(HTTPClientError) -> Int32 {
        let fd = socket(address.ai_family, address.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), address.ai_protocol)
        guard fd >= 0 else { throw HTTPClientError(.connectFailed, "cannot create a socket", errorNumber: errno) }
        do {
            try connect(fd, to: address, timeoutSeconds: timeoutSeconds)
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    private static func connect(_ fd: Int32, to address: addrinfo, timeoutSeconds: Double) throws(HTTPClientError) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(fd, address.ai_addr, address.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else {
                throw HTTPClientError(.connectFailed, "cannot connect", errorNumber: errno)
            }
            var waiting = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&waiting, 1, Int32(clamping: Int(timeoutSeconds * 1000)))
            guard ready > 0 else { throw HTTPClientError(.timedOut, "connect timed out") }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            guard failure == 0 else { throw HTTPClientError(.connectFailed, "cannot connect", errorNumber: failure) }
        }
        _ = fcntl(fd, F_SETFL, flags)

        var enabled: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &enabled, socklen_t(MemoryLayout<Int32>.size))
        let whole = timeoutSeconds.rounded(.down)
        var timeout = timeval(tv_sec: Int(whole), tv_usec: Int((timeoutSeconds - whole) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }
}
