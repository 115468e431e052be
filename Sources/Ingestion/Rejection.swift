/// Why a record or a request was refused, in words a client can act on.
///
/// `code` is a stable machine-readable name (fit for a metric label); `message` explains it and never
/// contains values from the payload; `field` names the offending field and `index` the record's
/// position in a batch.
public struct Rejection: Error, Sendable, Equatable {
    public enum Code: String, Sendable, CaseIterable {
        case invalidJSON = "invalid_json"
        case invalidUTF8 = "invalid_utf8"
        case invalidBody = "invalid_body"
        case missingField = "missing_field"
        case wrongType = "wrong_type"
        case invalidValue = "invalid_value"
        case invalidTimestamp = "invalid_timestamp"
        case recordTooLarge = "record_too_large"
        case tooDeep = "too_deep"
        case tooManyFields = "too_many_fields"
        case stringTooLong = "string_too_long"
        case tooManyRecords = "too_many_records"
        case unknownXDMClass = "unknown_xdm_class"
        case invalidIdentityMap = "invalid_identity_map"
        /// The request carries no write key, or one no source has.
        case unauthorized = "unauthorized"
    }

    public var code: Code
    public var message: String
    public var field: String?
    public var index: Int?

    public init(_ code: Code, _ message: String, field: String? = nil, index: Int? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.index = index
    }

    /// The same rejection attributed to record `index` of a batch.
    public func at(index: Int) -> Rejection {
        var copy = self
        copy.index = index
        return copy
    }
}
