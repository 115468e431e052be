import CMicroHTTPD
import Glibc

/// A libmicrohttpd connection, borrowed from the callback that reported it.
///
/// Every call into libmicrohttpd about one connection goes through here. The pointer stays valid until
/// libmicrohttpd reports the connection closed; it cannot close a connection while it is suspended.
struct Connection: Hashable, @unchecked Sendable {
    // @unchecked Sendable: the pointer crosses threads only inside a `ResponseSlot`, which calls `resume()`
    // from another thread exactly once and only while the connection is suspended. libmicrohttpd documents
    // MHD_resume_connection as callable from any thread, and never frees a suspended connection (stop()
    // resumes every suspended connection before MHD_stop_daemon). All other calls run on the worker thread
    // that owns the connection, inside libmicrohttpd's callbacks.
    let pointer: OpaquePointer

    /// The value of request header `name` (matched case-insensitively), if present.
    func header(_ name: String) -> String? {
        MHD_lookup_connection_value(pointer, .HEADER_KIND, name).map { String(cString: $0) }
    }

    /// Every request header, names lower-cased; repeated headers are joined with `, `.
    func headers() -> [String: String] {
        var headers: [String: String] = [:]
        withUnsafeMutablePointer(to: &headers) { target in
            _ = MHD_get_connection_values(pointer, .HEADER_KIND, collectHeader, UnsafeMutableRawPointer(target))
        }
        return headers
    }

    /// Queues `response` for sending; only valid inside the access handler.
    ///
    /// - Returns: Whether libmicrohttpd accepted the response.
    func queue(_ response: HTTPResponse) -> Bool {
        guard let status = UInt32(exactly: response.status), (100...999).contains(status) else { return false }
        let created = response.body.withUnsafeBytes { body in
            MHD_create_response_from_buffer(
                body.count, UnsafeMutableRawPointer(mutating: body.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let created else { return false }
        defer { MHD_destroy_response(created) }
        for (name, value) in response.headers where !Self.isFramingHeader(name) {
            _ = MHD_add_response_header(created, name, value)
        }
        return MHD_queue_response(pointer, status, created) == .YES
    }

    /// Takes the connection out of libmicrohttpd's event loop; only valid inside the access handler.
    func suspend() {
        MHD_suspend_connection(pointer)
    }

    /// Puts a suspended connection back into the event loop; libmicrohttpd then calls the access handler again.
    func resume() {
        MHD_resume_connection(pointer)
    }

    /// Headers that libmicrohttpd computes from the body itself and refuses or duplicates when given.
    private static func isFramingHeader(_ name: String) -> Bool {
        name.caseInsensitiveEqualsASCII("content-length") || name.caseInsensitiveEqualsASCII("transfer-encoding")
    }
}

/// Adds one header to the dictionary at `context`; the iterator libmicrohttpd calls for `headers()`.
private func collectHeader(
    _ context: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?,
    _ value: UnsafePointer<CChar>?
) -> MHD_Result {
    guard let context, let key else { return .YES }
    let headers = context.assumingMemoryBound(to: [String: String].self)
    let name = String(lowercasingASCII: key)
    let text = value.map { String(cString: $0) } ?? ""
    if let existing = headers.pointee[name] {
        headers.pointee[name] = existing + ", " + text
    } else {
        headers.pointee[name] = text
    }
    return .YES
}

extension String {
    /// A string from a NUL-terminated C string with ASCII letters lower-cased, in one pass.
    init(lowercasingASCII cString: UnsafePointer<CChar>) {
        let count = strlen(cString)
        self.init(unsafeUninitializedCapacity: count) { target in
            for index in 0..<count {
                let byte = UInt8(bitPattern: cString[index])
                target[index] = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte
            }
            return count
        }
    }

    /// Whether the string equals `other` ignoring ASCII case; `other` must be lower-case ASCII.
    func caseInsensitiveEqualsASCII(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { mine, theirs in
            (mine >= 0x41 && mine <= 0x5a ? mine | 0x20 : mine) == theirs
        }
    }
}
