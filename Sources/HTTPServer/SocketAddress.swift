import Glibc

/// An IPv4 or IPv6 socket address, parsed from a numeric host and a port.
struct SocketAddress {
    /// `AF_INET` or `AF_INET6`.
    let family: Int32
    private var storage = sockaddr_storage()

    /// Parses `host` as an IPv4 literal (`127.0.0.1`), an IPv6 literal with or without brackets (`::1`,
    /// `[::1]`), or `localhost`, which means `127.0.0.1`.
    ///
    /// Names other than `localhost` are refused rather than resolved: a server binds to an interface
    /// address, and resolving names at start-up hides which one.
    init?(host: String, port: Int) {
        guard let port = UInt16(exactly: port) else { return nil }
        let literal = host == "localhost" ? "127.0.0.1" : host
        var ipv4 = in_addr()
        if inet_pton(AF_INET, literal, &ipv4) == 1 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = ipv4
            family = AF_INET
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in.self) }
            return
        }

        var ipv6 = in6_addr()
        let unbracketed =
            literal.hasPrefix("[") && literal.hasSuffix("]") ? String(literal.dropFirst().dropLast()) : literal
        guard inet_pton(AF_INET6, unbracketed, &ipv6) == 1 else { return nil }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_addr = ipv6
        family = AF_INET6
        withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in6.self) }
    }

    /// The size of the address structure for `family`.
    var length: socklen_t {
        socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
    }

    /// Calls `body` with the address as the `sockaddr` pointer the socket calls expect.
    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafeBytes(of: storage) { bytes in
            body(bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// The IP address in `address` as text, without the port; IPv4-mapped IPv6 addresses print as IPv4.
    ///
    /// - Parameters:
    ///   - address: A socket address owned by the caller.
    ///   - length: The number of valid bytes at `address`.
    /// - Returns: `nil` for families other than IPv4 and IPv6.
    static func ipText(of address: UnsafePointer<sockaddr>, length: socklen_t) -> String? {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(address.pointee.sa_family) {
        case AF_INET where length >= MemoryLayout<sockaddr_in>.size:
            var ipv4 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in.self).sin_addr
            guard inet_ntop(AF_INET, &ipv4, &text, socklen_t(text.count)) != nil else { return nil }
        case AF_INET6 where length >= MemoryLayout<sockaddr_in6>.size:
            var ipv6 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in6.self).sin6_addr
            if let mapped = ipv4Mapped(ipv6) {
                var ipv4 = mapped
                guard inet_ntop(AF_INET, &ipv4, &text, socklen_t(text.count)) != nil else { return nil }
            } else {
                guard inet_ntop(AF_INET6, &ipv6, &text, socklen_t(text.count)) != nil else { return nil }
            }
        default:
            return nil
        }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), if it is one.
    private static func ipv4Mapped(_ address: in6_addr) -> in_addr? {
        withUnsafeBytes(of: address) { bytes -> in_addr? in
            guard bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else { return nil }
            var ipv4 = in_addr()
            withUnsafeMutableBytes(of: &ipv4) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[12..<16])) }
            return ipv4
        }
    }
}
