/// Why a phone number could not be written in E.164.
///
/// The description is a constant phrase that never quotes the number, so it is safe to log and to
/// use as a metric label.
public struct PhoneNumberError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure.
    public enum Code: Sendable, Hashable {
        /// The text cannot be read as a phone number.
        case notANumber
        /// The text reads as a phone number that cannot exist (wrong length, unassigned range).
        case invalidNumber
        /// The number has no country calling code and the default region is unknown.
        case invalidRegion
        /// libphonenumber failed in an unexpected way.
        case internalFailure
    }

    /// The class of failure.
    public let code: Code

    /// Creates an error of one class.
    public init(_ code: Code) {
        self.code = code
    }

    /// A short phrase naming the failure.
    public var description: String {
        switch code {
        case .notANumber: "not a phone number"
        case .invalidNumber: "not a valid phone number"
        case .invalidRegion: "unknown default region for a number without country code"
        case .internalFailure: "phone number library failure"
        }
    }
}
