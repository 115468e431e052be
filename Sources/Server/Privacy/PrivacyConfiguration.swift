import Identity

/// How privacy requests are answered and how long data is kept.
public struct PrivacyConfiguration: Sendable {
    /// How long events are kept after they were received; `nil` keeps them for ever. Default 13
    /// months (396 days).
    public var eventsTTL: Duration? = .seconds(396 * 86_400)
    /// How long a profile whose identities are all anonymous is kept after it was last seen (by the
    /// records' own timestamps, as the profile's identities show it); `nil` keeps them for ever.
    /// Default 90 days.
    public var anonymousProfilesTTL: Duration? = .seconds(90 * 86_400)
    /// How long audit entries (who read whose personal data) are kept; `nil` keeps them for ever.
    /// Default two years. Entries go in blocks of 16,384, once the newest of a block is this old.
    public var auditTTL: Duration? = .seconds(730 * 86_400)
    /// The namespaces that identify nobody by themselves: a profile holding only these is anonymous.
    public var anonymousNamespaces: Set<String> = [
        Namespace.anonymousID, Namespace.cookieID, Namespace.deviceID, Namespace.ecid,
    ]
    /// How long an access job keeps its document before dropping it. Default 7 days.
    public var accessDocumentTTL: Duration = .seconds(7 * 86_400)
    /// How often the retention job runs. Default hourly.
    public var retentionInterval: Duration = .seconds(3_600)
    /// How long after the start the retention job first runs (at most `retentionInterval`).
    public var retentionStartDelay: Duration = .seconds(60)
    /// The most events, or a hundredth as many profiles, retention deletes in one transaction.
    public var retentionChunk = 10_000
    /// How long `POST /v1/privacy/jobs` waits for its job to finish before answering 202.
    public var jobWait: Duration = .seconds(2)
    /// Whether a delete also rewrites the whole database file (`VACUUM`). Needed only for stores
    /// written before `secure_delete` was on; it blocks writes while it runs.
    public var vacuumAfterDelete = false
    /// The file holding the privacy key (64 hex digits) that suppression entries and receipts are
    /// keyed with; default `<data>/privacy-key`, created on first start.
    public var keyFile: String?

    /// The defaults.
    public init() {}
}
