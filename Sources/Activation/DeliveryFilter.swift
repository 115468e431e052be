/// The hook where consent and data-usage policy will stop deliveries before they are sent.
///
/// The delivery engine asks the filter about every claimed delivery, just before sending it. A
/// skipped delivery ends in the `skipped` state with the reason as its detail, and is counted per
/// destination and reason in `tessera_activation_skipped_total`. Until governance supplies a filter,
/// the engine sends everything.
public protocol DeliveryFilter: Sendable {
    /// Why `delivery` must not go to `destination`, as a short code (`no_consent:email`,
    /// `policy:ad_targeting`), or `nil` to send it.
    ///
    /// Runs on the engine's task for each delivery: keep it fast (in-memory lookups, or one read).
    func skipReason(for delivery: Delivery, to destination: Destination) -> String?
}
