import Dispatch
import Foundation
import Server
import Storage
import TesseraCore

/// `tessera serve`: runs the server until SIGINT or SIGTERM, then shuts down gracefully.
enum ServeCommand {
    static let options: Set<String> = [
        "data", "listen", "config", "threads", "max-record-bytes", "max-request-bytes", "commit-window-ms",
        "dedupe-window-days", "synchronous", "log-level", "events-ttl-days", "anonymous-ttl-days", "audit-ttl-days",
        "profile-cache-mb",
    ]

    static func run(_ words: [String]) async throws -> Int32 {
        let arguments = try Arguments(words, options: options, flags: ["discard-records", "without-profiles"])
        let configuration = try configuration(from: arguments, environment: ProcessInfo.processInfo.environment)
        let level = arguments.options["log-level"].flatMap(Logger.Level.init(name:)) ?? .info
        let logger = Logger(label: "tessera", level: level)
        let server = try await TesseraServer(configuration: configuration, logger: logger)
        announce(server.firstStart, directory: configuration.dataDirectory)
        try server.start()
        print("Tessera is listening on http://\(configuration.host):\(server.port)")
        let signal = await ShutdownSignal.wait()
        logger.info("shutting down", metadata: ["signal": signal])
        server.stop()
        return 0
    }

    /// The server configuration from the command line and `TESSERA_ADMIN_TOKEN`.
    static func configuration(from arguments: Arguments, environment: [String: String]) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        if let data = arguments.options["data"] { configuration.dataDirectory = data }
        if let file = arguments.options["config"] {
            configuration.profiles = try ConfigurationFile.profiles(from: file)
            configuration.governance = try ConfigurationFile.governance(from: file)
            configuration.privacy = try ConfigurationFile.privacy(from: file)
        }
        try applyRetentionFlags(arguments, to: &configuration.privacy)
        if let listen = arguments.options["listen"] {
            let (host, port) = try parse(listen: listen)
            configuration.host = host
            configuration.port = port
        }
        configuration.threads = try arguments.integer("threads", default: configuration.threads, in: 1...256)
        configuration.limits.maxRecordBytes = try arguments.integer(
            "max-record-bytes", default: configuration.limits.maxRecordBytes, in: 1024...(16 << 20))
        configuration.limits.maxRequestBytes = try arguments.integer(
            "max-request-bytes", default: configuration.limits.maxRequestBytes, in: 1024...(64 << 20))
        let cacheMiB = try arguments.integer(
            "profile-cache-mb", default: configuration.profiles.documentCacheBytes >> 20, in: 0...(1 << 20))
        configuration.profiles.documentCacheBytes = cacheMiB << 20
        let window = try arguments.integer("commit-window-ms", default: 1, in: 0...1000)
        configuration.store.commitWindow = .milliseconds(window)
        let dedupeDays = try arguments.integer("dedupe-window-days", default: 7, in: 0...3650)
        configuration.store.dedupeWindow = .seconds(dedupeDays * 86_400)
        if let mode = arguments.options["synchronous"] {
            guard let synchronous = Store.Configuration.Synchronous(rawValue: mode.lowercased()) else {
                throw UsageError("--synchronous must be full, normal or off")
            }
            configuration.store.synchronous = synchronous
        }
        configuration.discardsRecords = arguments.flags.contains("discard-records")
        configuration.unifiesProfiles = !arguments.flags.contains("without-profiles")
        if let token = environment["TESSERA_ADMIN_TOKEN"], !token.isEmpty { configuration.adminToken = token }
        if let file = environment["TESSERA_CA_FILE"], !file.isEmpty {
            configuration.webhookCertificateAuthorities = file
        }
        return configuration
    }

    /// Splits `HOST:PORT` (IPv6 hosts in brackets: `[::1]:8080`).
    static func parse(listen: String) throws(UsageError) -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65_535).contains(port)
        else { throw UsageError("--listen must be HOST:PORT, e.g. 127.0.0.1:8080") }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw UsageError("--listen must name a host") }
        return (host, port)
    }

    /// Prints the secrets created on first start: the only time they are shown.
    private static func announce(_ firstStart: TesseraServer.FirstStart, directory: String) {
        if let key = firstStart.defaultWriteKey {
            print("Created source 'default' with write key \(key) (saved in \(directory)/default-write-key)")
        }
        if let token = firstStart.adminToken {
            print("Created admin token \(token) (saved in \(directory)/admin-token)")
        }
    }
}

/// Waits for SIGINT or SIGTERM.
enum ShutdownSignal {
    /// Returns the name of the first termination signal received.
    static func wait() async -> String {
        await withCheckedContinuation { continuation in
            let once = Once(continuation)
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { once.resume(name) }
                source.resume()
                Once.keep(source)
            }
        }
    }
}

/// Resumes a continuation at most once, from whichever signal comes first.
/// `@unchecked Sendable`: `continuation` is read and cleared under `lock` only.
private final class Once: @unchecked Sendable {
    private var continuation: CheckedContinuation<String, Never>?
    private let lock = NSLock()
    /// Written only by `ShutdownSignal.wait()`, once per process, before any signal can arrive.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<String, Never>) {
        self.continuation = continuation
    }

    func resume(_ name: String) {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume(returning: name)
    }

    /// Keeps a signal source alive for the life of the process (it is never cancelled).
    static func keep(_ source: any DispatchSourceSignal) {
        sources.append(source)
    }
}

extension ServeCommand {
    /// `--events-ttl-days N`, `--anonymous-ttl-days N` and `--audit-ttl-days N` (0 keeps that data for
    /// ever) override the file.
    static func applyRetentionFlags(_ arguments: Arguments, to privacy: inout PrivacyConfiguration) throws {
        func ttl(_ name: String) throws -> Duration?? {
            guard arguments.options[name] != nil else { return .none }
            let days = try arguments.integer(name, default: 0, in: 0...36_500)
            return .some(days == 0 ? nil : .seconds(days * 86_400))
        }
        if let events = try ttl("events-ttl-days") { privacy.eventsTTL = events }
        if let anonymous = try ttl("anonymous-ttl-days") { privacy.anonymousProfilesTTL = anonymous }
        if let audit = try ttl("audit-ttl-days") { privacy.auditTTL = audit }
    }
}
