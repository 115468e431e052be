import Glibc

/// Why the HTTP server could not start.
///
/// The description names the address and, for socket failures, the system's reason and errno, for
/// example `cannot bind 127.0.0.1:8080: Address already in use (errno 98)`.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    /// What failed, without values; stable enough for a metric label.
    public enum Kind: String, Sendable {
        /// The configured host is not an IPv4 or IPv6 literal.
        case invalidHost = "invalid_host"
        /// A configuration value is out of range (port, threads, limits).
        case invalidConfiguration = "invalid_configuration"
        /// The listening socket could not be created, bound or put into listening state.
        case socketFailed = "socket_failed"
        /// The address is taken by another process.
        case addressInUse = "address_in_use"
        /// libmicrohttpd refused to start.
        case daemonFailed = "daemon_failed"
        /// `start()` was called on a server that is running or was stopped.
        case notStartable = "not_startable"
    }

    /// What failed.
    public let kind: Kind

    /// The system error number, when a system call failed.
    public let errorNumber: Int32?

    /// What failed, naming the address and the system's reason when there is one.
    public let description: String

    init(_ kind: Kind, _ description: String, errorNumber: Int32? = nil) {
        self.kind = kind
        self.errorNumber = errorNumber
        self.description = systemErrorText(description, errorNumber: errorNumber)
    }
}

/// `description` followed by the system's reason for `errorNumber` and the number itself, e.g.
/// `cannot bind 127.0.0.1:8080: Address already in use (errno 98)`; just `description` without one.
func systemErrorText(_ description: String, errorNumber: Int32?) -> String {
    guard let errorNumber else { return description }
    return "\(description): \(String(cString: strerror(errorNumber))) (errno \(errorNumber))"
}
