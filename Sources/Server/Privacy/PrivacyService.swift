import Cryptography
import Dispatch
import Identity
import Segmentation
import Storage
import Synchronization
import TesseraCore
import Unification

/// Runs privacy jobs: accepts them into `privacy_jobs`, runs them one at a time in the background,
/// and runs again at start whatever was accepted and not finished.
///
/// An access reads the person's document from one snapshot of the store and keeps it with the job
/// for `accessDocumentTTL`. A delete erases the person in one writer transaction (see
/// ``PrivacyCascade``) that also adds their suppression entries and stores the signed receipt, then
/// drops their cached document and empties the WAL so that the bytes leave the disk.
final class PrivacyService: Sendable {
    let store: Store
    let engine: ProfileEngine
    let reader: ProfileReader
    let cascade: PrivacyCascade
    let key: PrivacyKey
    let configuration: PrivacyConfiguration
    let clock: any WallClock
    let logger: Logger
    private let jobs: Counter
    private let wake = Atomic<Bool>(false)
    private let runner = Mutex<Task<Void, Never>?>(nil)

    init(
        store: Store, engine: ProfileEngine, audiences: AudienceEngine?, reader: ProfileReader, key: PrivacyKey,
        configuration: PrivacyConfiguration, clock: any WallClock, logger: Logger, registry: MetricsRegistry
    ) async throws {
        guard let suppressions = engine.suppressions else {
            throw ServerError("privacy jobs need the profile engine's suppression list")
        }
        self.store = store
        self.engine = engine
        self.reader = reader
        self.cascade = PrivacyCascade(store: store, engine: engine, audiences: audiences, suppressions: suppressions)
        self.key = key
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        jobs = registry.counter(
            "tessera_privacy_jobs_total", help: "Privacy jobs finished, by action and outcome.",
            labels: ["action", "state"])
        try await store.transaction { connection in try connection.execute(PrivacyJobTable.create) }
    }

    /// The suppression list the profile engine checks records against, keyed with `key`.
    static func suppressions(key: PrivacyKey, registry: MetricsRegistry) -> SuppressionList {
        SuppressionList(
            keyedHash: { key.mac($0) },
            counter: registry.counter(
                "tessera_privacy_suppressed_records_total",
                help: "Records acknowledged but dropped because they carry an identity erased by a privacy delete."))
    }

    // MARK: - Jobs

    /// Accepts a job for the identity (normalised as collection does) and waits up to `jobWait` for
    /// it to finish.
    ///
    /// - Returns: the job, finished or not.
    /// - Throws: `ProfileReader.LookupError` for an invalid or blocked identity; `StorageError`.
    func submit(
        regulation: PrivacyJob.Regulation, action: PrivacyJob.Action, namespace: String, value: String,
        requestedBy: String
    ) async throws -> PrivacyJob {
        let identity = try reader.normalised(namespace: namespace, value: value)
        let job = PrivacyJob(
            id: RandomID.secret(length: 20, prefix: "pj_"), regulation: regulation, action: action, state: .queued,
            identity: identity, namespace: identity.namespace, identityHash: hash(of: identity),
            requestedBy: requestedBy, createdAt: clock.now(), rawValue: value == identity.value ? nil : value)
        try await store.transaction { connection in try PrivacyJobTable.insert(job, in: connection) }
        wake.store(true, ordering: .releasing)
        let deadline = ContinuousClock.now + configuration.jobWait
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            if let current = try self.job(id: job.id), current.state == .done || current.state == .failed {
                return current
            }
        }
        return try self.job(id: job.id) ?? job
    }

    /// The job with `id`; an access document past its time is left out even before retention drops it.
    func job(id: String) throws -> PrivacyJob? {
        var job = try store.read { connection in try PrivacyJobTable.job(id: id, in: connection) }
        if job?.action == .access, let expiresAt = job?.expiresAt, expiresAt <= clock.now() {
            job?.result = nil
            job?.identity = nil
        }
        return job
    }

    /// The keyed hash of an identity, as hex: what suppression entries and receipts hold.
    func hash(of identity: Identity) -> String {
        Digest.hex(cascade.suppressions.entry(for: identity))
    }

    // MARK: - Running

    /// Starts the runner, which first runs the jobs a previous process left unfinished.
    func start() {
        runner.withLock { task in
            task = Task.detached { [self] in
                while !Task.isCancelled {
                    await runPending()
                    // Sleeps until a job is submitted, and looks at the table at least every 2 s.
                    var naps = 0
                    while naps < 100, !wake.exchange(false, ordering: .acquiringAndReleasing) {
                        try? await Task.sleep(for: .milliseconds(20))
                        if Task.isCancelled { return }
                        naps += 1
                    }
                }
            }
        }
    }

    /// Stops the runner; a job in progress is run again at the next start.
    func stop() {
        runner.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    /// Runs every runnable job, oldest first.
    func runPending() async {
        while !Task.isCancelled {
            do {
                guard let job = try store.read({ try PrivacyJobTable.nextRunnable(in: $0) }) else { return }
                await run(job)
            } catch {
                logger.error("privacy jobs cannot be read", metadata: ["error": "\(type(of: error))"])
                return
            }
        }
    }

    private func run(_ queued: PrivacyJob) async {
        var job = queued
        job.state = .running
        job.startedAt = job.startedAt ?? clock.now()
        do {
            let running = job
            try await store.transaction { connection in try PrivacyJobTable.update(running, in: connection) }
            switch job.action {
            case .access: try await access(job)
            case .delete: try await delete(job)
            }
            jobs.increment(labels: [job.action.rawValue, "done"])
        } catch {
            logger.error(
                "privacy job failed", metadata: ["job": "\(job.id)", "error": "\(type(of: error))"])
            let id = job.id
            let time = clock.now()
            // The row as it stands: a delete whose erasure committed keeps its receipt.
            try? await store.transaction { connection in
                guard var failed = try PrivacyJobTable.job(id: id, in: connection) else { return }
                failed.state = .failed
                failed.finishedAt = failed.finishedAt ?? time
                failed.error =
                    failed.result == nil
                    ? "the job failed (\(type(of: error))); it can be submitted again"
                    : "the person was erased, but the WAL could not be emptied yet; submit the job again"
                failed.identity = nil
                failed.rawValue = nil
                try PrivacyJobTable.update(failed, in: connection)
            }
            jobs.increment(labels: [job.action.rawValue, "failed"])
        }
    }

    private func access(_ running: PrivacyJob) async throws {
        var job = running
        guard let identity = job.identity else { throw ServerError("the job no longer holds its identity") }
        let profile = try reader.profileID(namespace: identity.namespace, value: identity.value)?.rawValue
        var links: [LinkRecord] = []
        if let profile {
            links = try await engine.graphView(of: ProfileID(rawValue: profile), store: store).links
        }
        let now = clock.now()
        job.result = try AccessExport.document(
            profile: profile, links: links, reader: reader, store: store, generatedAt: now)
        job.profileID = profile
        job.state = .done
        job.finishedAt = now
        job.expiresAt = now.adding(milliseconds: configuration.accessDocumentTTL.wholeMilliseconds)
        job.rawValue = nil
        let done = job
        try await store.transaction { connection in try PrivacyJobTable.update(done, in: connection) }
    }

    /// Erases the person and stores the receipt in one transaction, leaving the job `running`; marks
    /// it `done` only once the WAL is empty, so that a finished delete has left the disk too. A job
    /// found with its receipt but not done (the server stopped in between) only empties the WAL.
    private func delete(_ running: PrivacyJob) async throws {
        var job = running
        if job.identity == nil, job.result != nil {
            return try await finish(job)
        }
        guard let identity = job.identity else { throw ServerError("the job no longer holds its identity") }
        let plan = try await prepareErasure(
            of: try reader.profileID(namespace: identity.namespace, value: identity.value).map { [$0.rawValue] } ?? [])
        let (cascade, clock, key) = (self.cascade, self.clock, self.key)
        let (erased, erasing) = try await store.transaction { connection -> (Set<Int64>, PrivacyJob) in
            var job = running
            let profiles = cascade.engine.profile(of: identity).map { Set([$0]) } ?? []
            let outcome = try cascade.erase(
                profiles, plan: plan, person: ([identity], job.rawValue.map { [$0] } ?? [], job.id),
                at: clock.now(), in: connection)
            let receipt = Receipt(
                jobID: job.id, regulation: job.regulation.rawValue, identityHash: job.identityHash,
                startedAt: job.startedAt ?? clock.now(), finishedAt: clock.now(), counts: outcome.counts)
            job.result = receipt.signed(with: key)
            job.finishedAt = receipt.finishedAt
            job.identity = nil
            job.rawValue = nil
            try PrivacyJobTable.update(job, in: connection)
            return (outcome.erasure.profiles, job)
        }
        reader.forget(erased)
        job = erasing
        try await finish(job)
    }

    private func finish(_ erasing: PrivacyJob) async throws {
        try await emptyWAL()
        var job = erasing
        job.state = .done
        let done = job
        try await store.transaction { connection in try PrivacyJobTable.update(done, in: connection) }
    }

    /// Checkpoints and truncates the WAL (and vacuums when configured) on a thread of its own: it may
    /// wait for readers.
    func emptyWAL() async throws {
        let (store, vacuum) = (self.store, configuration.vacuumAfterDelete)
        try await Self.offThePool { try store.checkpointAndTruncate(vacuum: vacuum) }
    }

    /// Finds what erasing `profiles` deletes from the identity log and rebuilds the graph without
    /// it, on a read snapshot and a thread of its own, so that the writer only has to check and
    /// replay what was logged since.
    func prepareErasure(of profiles: Set<Int64>) async throws -> ErasurePlan? {
        guard !profiles.isEmpty else { return nil }
        let (engine, store) = (self.engine, self.store)
        return try await Self.offThePool { try engine.prepareErasure(of: profiles, store: store) }
    }

    /// Runs blocking or long work on a Dispatch thread, never on the cooperative pool.
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
