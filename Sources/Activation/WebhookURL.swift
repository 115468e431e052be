/// An `http://` or `https://` URL a webhook destination posts to: scheme, host, port and request
/// target.
///
/// Parsed by hand because the transports need exactly these parts and Foundation's `URL` accepts far
/// more than they can use (user information, fragments, other schemes).
public struct WebhookURL: Sendable, Hashable, CustomStringConvertible {
    /// A host name, an IPv4 literal or an IPv6 literal (without brackets).
    public var host: String
    /// The TCP port; 80 (or 443 for `https`) when the URL names none.
    public var port: Int
    /// Whether requests go over TLS (`https`), which ``WebhookTransport`` sends through libcurl.
    public var isSecure: Bool
    /// The request target: the path and any query string, starting with `/`.
    public var target: String

    /// Parses `http[s]://host[:port][/path][?query]`.
    ///
    /// - Throws: ``ActivationError`` of kind `invalidDestination` (field `url`) for other schemes, user
    ///   information, fragments, spaces, a missing host or a port outside 1–65535.
    public init(parsing text: String) throws(ActivationError) {
        let lowered = text.lowercased()
        isSecure = lowered.hasPrefix("https://")
        let prefix = isSecure ? "https://" : "http://"
        guard lowered.hasPrefix(prefix) else { throw Self.invalid("must start with http:// or https://") }
        let rest = text.dropFirst(prefix.count)
        guard !rest.contains(where: { $0 == " " || $0 == "#" || $0 == "@" || $0.asciiValue.map { $0 < 0x21 } ?? false })
        else { throw Self.invalid("must not contain spaces, control characters, user information or a fragment") }
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<slash]
        let target = rest[slash...]
        self.target = target.isEmpty ? "/" : (target.hasPrefix("?") ? "/" + target : String(target))
        (host, port) = try Self.split(authority: authority, defaultPort: isSecure ? 443 : 80)
    }

    /// Creates a URL from its parts; `target` must start with `/`.
    public init(host: String, port: Int, target: String = "/", isSecure: Bool = false) {
        self.host = host
        self.port = port
        self.target = target
        self.isSecure = isSecure
    }

    /// The URL as text.
    public var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "\(isSecure ? "https" : "http")://\(hostText):\(port)\(target)"
    }

    private static func split(authority: Substring, defaultPort: Int) throws(ActivationError) -> (String, Int) {
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("has an unclosed IPv6 bracket") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("has text after the IPv6 address") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw invalid("must name a host") }
        var port = defaultPort
        if let portPart {
            guard let number = Int(portPart), (1...65_535).contains(number) else {
                throw invalid("must have a port between 1 and 65535")
            }
            port = number
        }
        return (String(hostPart), port)
    }

    private static func invalid(_ rule: String) -> ActivationError {
        ActivationError(.invalidDestination, field: "url", rule)
    }
}
