import TesseraCore

/// The server's Prometheus metrics, registered once.
struct ServerMetrics: Sendable {
    let registry: MetricsRegistry
    let requests: Counter
    let accepted: Counter
    let rejected: Counter
    let deduplicated: Counter
    let deadLetters: Counter
    let deadLettersRefused: Counter
    let commitSeconds: Histogram
    let commitRecords: Histogram

    init(registry: MetricsRegistry) {
        self.registry = registry
        requests = registry.counter(
            "tessera_http_requests_total", help: "HTTP requests answered, by route and status.",
            labels: ["route", "status"])
        accepted = registry.counter(
            "tessera_records_accepted_total", help: "Records accepted and stored, by kind.", labels: ["kind"])
        rejected = registry.counter(
            "tessera_records_rejected_total", help: "Records rejected, by reason.", labels: ["code"])
        deduplicated = registry.counter(
            "tessera_records_deduplicated_total", help: "Records acknowledged but not stored again (same messageId).")
        deadLetters = registry.counter(
            "tessera_dead_letters_total", help: "Rejected records kept in the dead-letter store.")
        deadLettersRefused = registry.counter(
            "tessera_dead_letters_refused_total",
            help: "Unauthenticated bodies not kept because the per-minute allowance was used up.")
        commitSeconds = registry.histogram(
            "tessera_commit_duration_seconds", help: "Time to commit one group of records, fsync included.",
            buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
        commitRecords = registry.histogram(
            "tessera_commit_batch_records", help: "Records per group commit.",
            buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000])
    }
}
