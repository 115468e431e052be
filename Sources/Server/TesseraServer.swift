import Activation
import Cryptography
import Dispatch
import Foundation
import HTTPServer
import Segmentation
import Storage
import Synchronization
import TesseraCore
import Unification

/// The running Tessera server: the store, the single writer, the HTTP front door and its routes.
public final class TesseraServer: Sendable {
    /// What the first start created, for the operator to see once.
    public struct FirstStart: Sendable {
        public var defaultWriteKey: String?
        public var adminToken: String?
    }

    public let configuration: ServerConfiguration
    public let firstStart: FirstStart
    public let store: Store
    private let http: HTTPServer
    private let operations: OperationsRoutes
    private let audit: AuditLog
    private let logger: Logger
    /// Keeps audience membership; `nil` when profiles are not unified.
    public let audiences: AudienceEngine?
    /// Sends deliveries from the outbox to destinations; `nil` when profiles are not unified.
    private let delivery: DeliveryEngine?
    /// Runs privacy jobs and enforces retention; `nil` when profiles are not unified.
    let privacy: (service: PrivacyService, retention: Retention)?
    /// Makes members leave when their windows end; runs between `start()` and `stop()`.
    private let scheduler = Mutex<Task<Void, Never>?>(nil)
    /// The activation routes, whose scheduled full syncs run every few seconds while serving.
    private let activations: DestinationRoutes?
    private let syncLoop = Mutex<Task<Void, Never>?>(nil)

    /// Opens the store and prepares the routes; call `start()` to begin accepting requests.
    ///
    /// - Throws: `StorageError` when the data directory cannot be opened, `ServerError` for bad settings.
    public init(configuration: ServerConfiguration, logger: Logger, clock: any WallClock = SystemClock()) async throws {
        self.configuration = configuration
        self.logger = logger
        let registry = MetricsRegistry()
        let metrics = ServerMetrics(registry: registry)
        let engine = ProfileEngine(
            configuration: configuration.profiles, logger: logger.child(label: "profiles"), clock: clock)
        let afterCommit = AfterCommit()
        store = try Store(
            directory: configuration.dataDirectory, configuration: configuration.store, clock: clock,
            participants: configuration.unifiesProfiles ? [engine] : [],
            onCommit: { statistics in
                metrics.commitSeconds.observe(
                    Double(statistics.duration.components.attoseconds) / 1e18
                        + Double(statistics.duration.components.seconds))
                metrics.commitRecords.observe(Double(statistics.records))
                afterCommit.run()
            })
        let privacyKey = try PrivacyKey.load(
            path: configuration.privacy.keyFile ?? configuration.dataDirectory + "/privacy-key")
        engine.suppressions = PrivacyService.suppressions(key: privacyKey, registry: registry)
        let audiences =
            configuration.unifiesProfiles
            ? AudienceEngine(
                store: store, profiles: engine, clock: clock, logger: logger.child(label: "audiences")) : nil
        try await store.transaction { connection in
            try engine.load(in: connection)
            try audiences?.load(in: connection)
        }
        self.audiences = audiences
        let governance = try GovernanceState(store: store, configured: configuration.governance)
        var destinationRoutes: DestinationRoutes?
        var policyCheck: PolicyCheck?
        var destinationStore: DestinationStore?
        if let audiences {
            let destinations = try await DestinationStore(store: store, clock: clock)
            let check = PolicyCheck(governance: governance, audiences: audiences)
            (policyCheck, destinationStore) = (check, destinations)
            let outbox = try await Outbox(store: store, clock: clock)
            var settings = DeliveryEngine.Configuration()
            settings.logger = logger.child(label: "activation")
            let delivery = DeliveryEngine(
                outbox: outbox, destinations: destinations,
                transport: WebhookTransport(certificateAuthorities: configuration.webhookCertificateAuthorities),
                filter: DeliveryFilters(filters: [
                    PolicyDeliveryFilter(
                        check: check,
                        trigger: { [store] id in try store.read { try TriggerEngine.read(id: id, in: $0) } }),
                    ConsentDeliveryFilter(
                        store: store, consent: configuration.profiles.consent, clock: clock, governance: governance),
                ]),
                configuration: settings, clock: clock, metrics: registry)
            let activation = AudienceActivation(
                store: store, profiles: engine, outbox: outbox, destinations: destinations)
            let triggers = TriggerEngine(
                store: store, profiles: engine, outbox: outbox, destinations: destinations, next: audiences,
                next: activation, clock: clock)
            try await store.transaction { connection in
                try activation.load(in: connection)
                try triggers.load(in: connection)
            }
            audiences.listener = triggers
            engine.observer = triggers
            afterCommit.set {
                let fresh = outbox.takeFresh()
                if !fresh.isEmpty { delivery.deliverFresh(fresh) }
            }
            try await delivery.start()
            self.delivery = delivery
            destinationRoutes = DestinationRoutes(
                destinations: destinations, outbox: outbox, engine: delivery, activation: activation,
                audiences: audiences, policies: check,
                triggers: TriggerRoutes(triggers: triggers, audiences: audiences))
        } else {
            delivery = nil
        }
        activations = destinationRoutes
        let secrets = try await Secrets.prepare(store: store, configuration: configuration)
        firstStart = secrets.firstStart

        let authenticator = Authenticator(store: store, adminTokenDigest: secrets.adminTokenDigest, clock: clock)
        let collection = CollectionService(
            store: store, authenticator: authenticator, limits: configuration.limits, metrics: metrics,
            clock: clock, unauthenticatedDeadLettersPerMinute: configuration.unauthenticatedDeadLettersPerMinute,
            discardsRecords: configuration.discardsRecords)
        operations = OperationsRoutes(registry: registry)
        let audit = AuditLog(store: store, clock: clock, logger: logger.child(label: "audit"), registry: registry)
        self.audit = audit
        let admin = AdminRoutes(store: store, authenticator: authenticator, collection: collection, audit: audit)
        let reader = ProfileReader(store: store, engine: engine)
        let mask = Mask(labels: LabelledPersonalData(governance: governance))
        let profiles = ProfileRoutes(store: store, engine: engine, reader: reader, audit: audit, mask: mask)
        let privacyService =
            configuration.unifiesProfiles
            ? try await PrivacyService(
                store: store, engine: engine, audiences: audiences, reader: reader, key: privacyKey,
                configuration: configuration.privacy, clock: clock, logger: logger.child(label: "privacy"),
                registry: registry) : nil
        privacy = privacyService.map { ($0, Retention(service: $0, registry: registry)) }
        let router = Router(
            routes: RouteTable.routes(
                collection: collection, admin: admin, profiles: profiles,
                audiences: audiences.map { AudienceRoutes(engine: $0, reader: reader, audit: audit, mask: mask) },
                destinations: destinationRoutes,
                tokens: TokenRoutes(store: store, authenticator: authenticator), operations: operations,
                governance: audiences == nil
                    ? nil
                    : (
                        policies: PolicyRoutes(
                            governance: governance, store: store, check: policyCheck, destinations: destinationStore),
                        consent: ConsentRoutes(
                            store: store, engine: engine, reader: reader, audit: audit, clock: clock, mask: mask)
                    ),
                privacy: privacyService.map { PrivacyRoutes(service: $0, audit: audit) }))
        operations.publish(openAPI: OpenAPIDocument.make(routes: router.routes, version: TesseraVersion.current))

        var httpConfiguration = HTTPServer.Configuration()
        httpConfiguration.host = configuration.host
        httpConfiguration.port = configuration.port
        httpConfiguration.threads = configuration.threads
        httpConfiguration.maxBodyBytes = configuration.limits.maxRequestBytes
        let dispatcher = Dispatcher(router: router, authenticator: authenticator, metrics: metrics)
        http = HTTPServer(configuration: httpConfiguration, logger: logger.child(label: "http")) { request, responder in
            dispatcher.dispatch(request, responder: responder)
        }
    }

    /// Starts accepting requests.
    public func start() throws {
        try http.start()
        audit.start()
        if let audiences {
            scheduler.withLock { $0 = Task.detached { await audiences.runScheduler() } }
        }
        if let activations {
            syncLoop.withLock { $0 = Task.detached { await Self.runSyncs(activations) } }
        }
        privacy?.service.start()
        privacy?.retention.start()
        operations.readiness = .ready
        logger.info(
            "server started",
            metadata: ["listen": "\(configuration.host):\(http.port)", "data": configuration.dataDirectory])
    }

    /// Runs the scheduled full syncs of activations every ten seconds until cancelled.
    private static func runSyncs(_ activations: DestinationRoutes) async {
        while !Task.isCancelled {
            _ = try? await activations.runScheduledSyncs()
            try? await Task.sleep(for: .seconds(10))
        }
    }

    /// Runs the scheduled full syncs due at `now` at once (tests move time forward this way).
    func runScheduledSyncs(at now: Timestamp) async throws -> Int {
        try await activations?.runScheduledSyncs(at: now) ?? 0
    }

    /// The port the server listens on (useful when configured with port 0).
    public var port: Int { http.port }

    /// Stops accepting requests, lets the requests in flight finish, commits what is queued and closes
    /// the store. Safe to call more than once.
    public func stop() {
        operations.readiness = .stopping
        scheduler.withLock { task in
            task?.cancel()
            task = nil
        }
        syncLoop.withLock { task in
            task?.cancel()
            task = nil
        }
        privacy?.service.stop()
        privacy?.retention.stop()
        // Not awaited: stop() is synchronous. A delivery still in flight when the store closes is
        // taken back at the next start and sent once more (receivers dedupe by idempotency key).
        if let delivery { Task { await delivery.stop() } }
        http.stop()
        audit.stop()
        store.close()
        logger.info("server stopped")
    }
}

/// What runs after each group commit, set once the engines that need it exist.
final class AfterCommit: Sendable {
    private let action = Mutex<(@Sendable () -> Void)?>(nil)

    /// Makes `action` run after every later commit.
    func set(_ action: @escaping @Sendable () -> Void) {
        self.action.withLock { $0 = action }
    }

    /// Runs the action, if one is set; called on the writer thread.
    func run() {
        action.withLock { $0 }?()
    }
}

/// Routes a request, checks its access (401 without a valid credential, 403 without the route's
/// scope) and counts its answer.
struct Dispatcher: Sendable {
    let router: Router
    let authenticator: Authenticator
    let metrics: ServerMetrics

    func dispatch(_ request: HTTPRequest, responder: Responder) {
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            answer(responder, route: "unmatched", ErrorBody.notFound())
        case .methodNotAllowed(let allowed):
            var response = ErrorBody.response(
                405, code: "method_not_allowed", message: "the route exists, not this method")
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            answer(responder, route: "unmatched", response)
        case .found(let route, let parameters):
            if route.runsOnWorker { return run(route, parameters: parameters, request, responder) }
            // Other work runs on the shared concurrent queue, not on the HTTP worker that read the
            // request: libmicrohttpd keeps each connection on the worker that accepted it, and a handful
            // of busy connections on one worker would otherwise leave the other cores idle.
            DispatchQueue.global().async { run(route, parameters: parameters, request, responder) }
        }
    }

    private func run(_ route: Route, parameters: [String: String], _ request: HTTPRequest, _ responder: Responder) {
        var caller: Caller?
        if let scope = route.access.scope {
            guard let holder = authenticator.caller(of: request) else {
                return answer(responder, route: route.metricName, AccessRefusal.unauthorized())
            }
            guard holder.has(scope) else {
                return answer(responder, route: route.metricName, AccessRefusal.forbidden(scope))
            }
            caller = holder
        }
        let metrics = metrics
        let name = route.metricName
        route.handler(
            RouteRequest(request: request, parameters: parameters, route: route.path, caller: caller) { response in
                metrics.requests.increment(labels: [name, String(response.status)])
                responder.respond(response)
            })
    }

    private func answer(_ responder: Responder, route: String, _ response: HTTPResponse) {
        metrics.requests.increment(labels: [route, String(response.status)])
        responder.respond(response)
    }
}

/// Tessera's version, shown in the OpenAPI document and `tessera --version`.
public enum TesseraVersion {
    public static let current = "0.1.0"
}

/// Machine facts the defaults depend on.
public enum System {
    public static var coreCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
