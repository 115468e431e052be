public import TesseraCore

/// One attribute value that one record states, with the record's time.
///
/// Updates are what `FragmentExtractor` reads out of a record and what `ProfileFragments.apply`
/// folds into a profile's fragments.
public struct AttributeUpdate: Sendable, Hashable {
    /// The attribute's dotted path (see `AttributePath`), such as `address.city`.
    public var path: String

    /// The value: a scalar, an array (arrays are single attributes), or `null` when the source
    /// cleared the attribute.
    public var value: JSONValue

    /// When the source said it: the record's event time.
    public var time: Timestamp

    /// Creates an update.
    public init(path: String, value: JSONValue, time: Timestamp) {
        self.path = path
        self.value = value
        self.time = time
    }
}

/// One attribute as one source last stated it: a row of a profile's fragments.
///
/// The shape in which the lead persists fragments and loads them back.
public struct FragmentEntry: Sendable, Hashable {
    /// The source that said it.
    public var source: Int64

    /// The attribute's dotted path.
    public var path: String

    /// The latest value the source gave.
    public var value: JSONValue

    /// When the source gave it.
    public var time: Timestamp

    /// Creates an entry.
    public init(source: Int64, path: String, value: JSONValue, time: Timestamp) {
        self.source = source
        self.path = path
        self.value = value
        self.time = time
    }
}

/// An attribute update that fragments refused, and why.
///
/// Refusals are quiet: the rest of the record still applies. Callers count them (by `reason`) in
/// metrics; the path names a field, never a value, but is still best kept out of logs.
public struct FragmentRefusal: Sendable, Hashable {
    /// Why an update was refused.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// The profile already holds `Limits.maxAttributes` distinct paths and this path is new.
        case tooManyAttributes
        /// The value serialises to more than `Limits.maxValueBytes` bytes.
        case valueTooLarge
        /// The path is longer than `Limits.maxPathBytes` bytes.
        case pathTooLong
    }

    /// The refused attribute's path.
    public var path: String

    /// Why it was refused.
    public var reason: Reason

    /// Creates a refusal.
    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }
}
