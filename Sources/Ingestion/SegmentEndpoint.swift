/// The routes of Segment's HTTP Tracking API that Tessera serves under `/v1/`.
public enum SegmentEndpoint: String, Sendable, CaseIterable {
    case identify, track, page, screen, group, alias, batch
    case `import`

    /// Whether the body is `{"batch": [...]}` rather than one message.
    public var carriesBatch: Bool { self == .batch || self == .import }

    /// The message type the route implies for a single message, nil for batches.
    public var impliedType: SegmentCall? { SegmentCall(rawValue: rawValue) }
}

/// The Segment Spec's message types.
public enum SegmentCall: String, Sendable, CaseIterable {
    case identify, track, page, screen, group, alias
}
