/// Bounds on what one request or record may contain.
///
/// The byte limits match Segment's HTTP Tracking API (32 KB per record, 500 KB per request), so that
/// clients which respect Segment's limits never meet ours. The shape limits protect the server and
/// the stores behind it from pathological documents.
public struct CollectionLimits: Sendable, Equatable {
    /// Largest Segment record, measured as its normalised compact JSON.
    public var maxRecordBytes = 32 * 1024
    /// Largest XDM record, measured as its compact JSON; XDM profiles are larger than events.
    public var maxXDMRecordBytes = 256 * 1024
    /// Largest request body, after any gzip decoding.
    public var maxRequestBytes = 500 * 1024
    /// Deepest nesting of objects and arrays inside one record.
    public var maxDepth = 32
    /// Most values (of any kind, nested included) in one record.
    public var maxFields = 2_000
    /// Longest string value or key, in UTF-8 bytes.
    public var maxStringBytes = 16 * 1024
    /// Most records in one batch request.
    public var maxBatchRecords = 5_000

    public init() {}
}
