import Activation
import Foundation
import TesseraTesting

/// A `nats-server` with JetStream on 127.0.0.1, storing in a temporary directory, stopped by pid.
final class NATSServer: Sendable {
    let port: Int
    private let process: Process
    private let directory: TemporaryDirectory

    /// Starts the server on a free port and waits until it accepts a JetStream connection.
    init() throws {
        directory = try TemporaryDirectory(prefix: "tessera-nats")
        port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nats-server")
        process.arguments = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<250 {
            if (try? NATSClient(url: url, timeoutMilliseconds: 200)) != nil { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        stop()
        throw CocoaError(.fileReadUnknown)
    }

    /// The server's address.
    var url: String { "nats://127.0.0.1:\(port)" }

    /// Stops the server by its pid and deletes its storage.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        directory.remove()
    }

    /// A port nobody listens on now: the kernel's pick for a socket bound to port 0.
    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(socket, raw, length) == 0 && getsockname(socket, raw, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileReadUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
