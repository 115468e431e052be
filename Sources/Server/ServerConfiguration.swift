import Governance
import Ingestion
import Storage
import TesseraCore
import Unification

/// Everything `tessera serve` can be told, with the defaults a first-time user gets.
public struct ServerConfiguration: Sendable {
    /// Where the store and the generated secrets live.
    public var dataDirectory = "./tessera-data"
    public var host = "127.0.0.1"
    public var port = 8080
    /// HTTP worker threads; defaults to four per core.
    ///
    /// Profile reads run on the worker that read the request, and a worker serves its connections
    /// one at a time; with several workers per core, a connection waits behind fewer others and
    /// connections spread more evenly across cores. At 1 M profiles and 10,000 reads/s on 2 cores,
    /// four per core measured a p99 of 0.8 ms against 1.0–1.5 ms with one (`Benchmarks/README.md`).
    public var threads = 4 * System.coreCount
    public var limits = CollectionLimits()
    public var store = Store.Configuration()
    /// How many bodies without a valid write key are kept as dead letters per minute; beyond it they
    /// are refused and counted, so that strangers cannot fill the store.
    public var unauthenticatedDeadLettersPerMinute = 600
    /// An admin token chosen by the operator (`TESSERA_ADMIN_TOKEN`) instead of a generated one.
    public var adminToken: String?
    /// A PEM file of the certificate authorities `https` webhook receivers are checked against
    /// instead of the system's (`TESSERA_CA_FILE`).
    public var webhookCertificateAuthorities: String?
    /// Decode and validate records but store nothing, answering at once. A benchmark reference only:
    /// it measures the HTTP and decoding ceiling that durable collection is compared against.
    public var discardsRecords = false
    /// Identity rules, merge policies and computed-attribute settings.
    public var profiles = ProfileEngine.Configuration()
    /// Whether records update the identity graph and profiles as they are committed. Off only to
    /// measure collection alone (the benchmark's reference).
    public var unifiesProfiles = true
    /// Data-usage labels, marketing actions and policies (`governance` in the configuration file).
    public var governance = GovernanceCatalog.standard
    /// Privacy jobs and retention periods.
    public var privacy = PrivacyConfiguration()

    public init() {}
}
