import TesseraCore

/// The delivery engine's counters, registered in a `MetricsRegistry`.
///
/// Labels carry destination names (admin configuration), states, outcome classes and skip reasons,
/// never identifiers or payload values. Counts per state are read from ``Outbox/counts(destination:)``
/// at scrape time rather than kept here, so they survive restarts.
public struct ActivationMetrics: Sendable {
    /// Attempts finished, by destination and the state they left the delivery in.
    public let deliveries: Counter
    /// Requests (or file appends) sent, by destination and outcome: `2xx`, `4xx`, `5xx`, `timeout`, a reason.
    public let requests: Counter
    /// Deliveries a ``DeliveryFilter`` kept back, by destination and reason.
    public let skipped: Counter
    /// Outcomes that could not be stored (the store closed or failed); those deliveries stay in flight
    /// until the next start recovers them.
    public let recordFailures: Counter
    /// How long requests and file appends took, in seconds.
    public let requestSeconds: Histogram
    /// Deliveries sent straight after the commit that wrote them, without waiting for a claim.
    public let fastDeliveries: Counter

    /// Registers the families in `registry`.
    public init(registry: MetricsRegistry) {
        deliveries = registry.counter(
            "tessera_activation_deliveries_total", help: "Delivery attempts finished, by resulting state.",
            labels: ["destination", "state"])
        requests = registry.counter(
            "tessera_activation_requests_total", help: "Requests and file appends sent, by outcome.",
            labels: ["destination", "outcome"])
        skipped = registry.counter(
            "tessera_activation_skipped_total", help: "Deliveries kept back by a delivery filter.",
            labels: ["destination", "reason"])
        recordFailures = registry.counter(
            "tessera_activation_record_failures_total", help: "Delivery outcomes that could not be stored.")
        fastDeliveries = registry.counter(
            "tessera_activation_fast_deliveries_total", help: "Deliveries sent straight after their commit.")
        requestSeconds = registry.histogram(
            "tessera_activation_request_seconds", help: "Duration of delivery requests and file appends.",
            buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10, 60])
    }

    /// The outcome label of `outcome`: the status class, `timeout`, or the failure reason.
    static func label(of outcome: DeliveryOutcome) -> String {
        if let status = outcome.status { return "\(status / 100)xx" }
        return outcome.code
    }
}
