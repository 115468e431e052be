import Storage
import Synchronization
import TesseraCore
import Unification

/// Enforces the retention periods: deletes events older than `eventsTTL`, erases anonymous profiles
/// not seen for `anonymousProfilesTTL` (through the same cascade as a privacy delete, without
/// suppressing anything), deletes audit entries older than `auditTTL`, and drops access documents
/// past their time.
///
/// Runs every `retentionInterval` in the background, each step in chunks of its own transactions so
/// that collection never waits long behind it.
final class Retention: Sendable {
    /// What one run removed.
    struct Report: Sendable, Equatable {
        var events = 0
        var profiles = 0
        var auditEntries = 0
        var accessDocuments = 0
    }

    private let service: PrivacyService
    private let eventsDeleted: Counter
    private let profilesDeleted: Counter
    private let auditEntriesDeleted: Counter
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(service: PrivacyService, registry: MetricsRegistry) {
        self.service = service
        eventsDeleted = registry.counter(
            "tessera_retention_events_deleted_total", help: "Events deleted because they outlived the events TTL.")
        profilesDeleted = registry.counter(
            "tessera_retention_profiles_deleted_total",
            help: "Anonymous profiles erased because they were not seen for the anonymous-profile TTL.")
        auditEntriesDeleted = registry.counter(
            "tessera_retention_audit_entries_deleted_total",
            help: "Audit entries deleted because they outlived the audit TTL.")
    }

    /// Starts running every `retentionInterval`, the first time `retentionStartDelay` after the start
    /// (a server restarted more often than the interval still enforces retention).
    func start() {
        let interval = service.configuration.retentionInterval
        let delay = min(interval, service.configuration.retentionStartDelay)
        task.withLock { task in
            task = Task.detached { [self] in
                try? await Task.sleep(for: delay)
                while !Task.isCancelled {
                    do {
                        _ = try await run()
                    } catch  where !Task.isCancelled {
                        service.logger.error("retention failed", metadata: ["error": "\(type(of: error))"])
                    } catch {
                        return  // stopped while running; the store may be closed already
                    }
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }

    func stop() {
        task.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    /// Runs every step once, at the service clock's now.
    func run() async throws -> Report {
        let now = service.clock.now()
        let configuration = service.configuration
        var report = Report()
        if let ttl = configuration.eventsTTL {
            report.events = try await deleteEvents(receivedBefore: now.adding(milliseconds: -ttl.wholeMilliseconds))
        }
        if let ttl = configuration.anonymousProfilesTTL {
            report.profiles = try await eraseAnonymousProfiles(
                notSeenSince: now.adding(milliseconds: -ttl.wholeMilliseconds), at: now)
        }
        if let ttl = configuration.auditTTL {
            report.auditEntries = try await service.store.deleteAuditEntries(
                before: now.adding(milliseconds: -ttl.wholeMilliseconds))
        }
        report.accessDocuments = try await service.store.transaction { connection in
            try PrivacyJobTable.dropExpiredDocuments(at: now, in: connection)
        }
        eventsDeleted.increment(by: report.events)
        profilesDeleted.increment(by: report.profiles)
        auditEntriesDeleted.increment(by: report.auditEntries)
        if report != Report() {
            try await service.emptyWAL()
            service.logger.info(
                "retention deleted data",
                metadata: [
                    "events": "\(report.events)", "profiles": "\(report.profiles)",
                    "auditEntries": "\(report.auditEntries)",
                    "documents": "\(report.accessDocuments)",
                ])
        }
        return report
    }

    private func deleteEvents(receivedBefore cutoff: Timestamp) async throws -> Int {
        let (store, chunk) = (service.store, max(1, service.configuration.retentionChunk))
        var total = 0
        while !Task.isCancelled {
            let deleted = try await store.transaction { connection -> Int in
                let expired = try store.oldestEvents(receivedBefore: cutoff, limit: chunk, in: connection)
                guard let last = expired.last else { return 0 }
                let erasure = try store.eraseEvents(through: last, in: connection)
                _ = try ProfileEngine.forgetEvents(through: last, in: connection)
                return erasure.events
            }
            total += deleted
            if deleted < chunk { break }
        }
        return total
    }

    private func eraseAnonymousProfiles(notSeenSince cutoff: Timestamp, at now: Timestamp) async throws -> Int {
        let (store, cascade) = (service.store, service.cascade)
        let namespaces = service.configuration.anonymousNamespaces
        let chunk = max(1, service.configuration.retentionChunk / 10)
        var total = 0
        while !Task.isCancelled {
            let candidates = try store.read { connection in
                try ProfileEngine.anonymousProfiles(
                    notSeenSince: cutoff, namespaces: namespaces, limit: chunk, in: connection)
            }
            guard !candidates.isEmpty else { break }
            let plan = try await service.prepareErasure(of: Set(candidates))
            let (found, erased) = try await store.transaction { connection -> (Int, Set<Int64>) in
                // Checked again in the writer: a visitor may have come back, or identified, since.
                let profiles = try candidates.filter {
                    try ProfileEngine.isAnonymous($0, notSeenSince: cutoff, namespaces: namespaces, in: connection)
                }
                guard !profiles.isEmpty else { return (0, []) }
                let outcome = try cascade.erase(Set(profiles), plan: plan, person: nil, at: now, in: connection)
                return (profiles.count, outcome.erasure.profiles)
            }
            service.reader.forget(erased)
            total += found
            if candidates.count < chunk || found == 0 { break }
        }
        return total
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
