/// Writes phone numbers in E.164; the phone numbers module provides one backed by libphonenumber.
public protocol PhoneNumberNormalizing: Sendable {
    /// The number in E.164, or nil when `raw` is not a valid phone number.
    ///
    /// - Parameters:
    ///   - raw: the number as typed.
    ///   - defaultRegion: the ISO 3166 alpha-2 region numbers without a country code are read in.
    func e164(_ raw: String, defaultRegion: String) -> String?
}

/// The outcome of normalising one collected value.
public enum Normalised: Sendable, Hashable {
    /// A usable identity.
    case identity(Identity)
    /// A placeholder value (`null`, `0`, `unknown`, …) that never links anything.
    case blocked
    /// A value its namespace does not accept; the reason is a constant phrase that never quotes the value.
    case invalid(String)
}

/// Turns collected values into identities: trims, lower-cases and formats each value as its namespace
/// requires, validates it, and drops placeholders.
///
/// Values longer than 1,024 bytes or holding control characters are invalid in every namespace.
public struct IdentityNormalizer: Sendable {
    /// The rules naming the namespaces, their formats, blocked values and the phone region.
    public let rules: IdentityRules

    /// What writes phone numbers in E.164.
    public let phones: any PhoneNumberNormalizing

    /// The longest value accepted, in UTF-8 bytes.
    public static let maximumValueLength = 1024

    /// Creates a normaliser.
    public init(rules: IdentityRules, phones: any PhoneNumberNormalizing) {
        self.rules = rules
        self.phones = phones
    }

    /// Normalises one value of one namespace.
    ///
    /// - Complexity: O(n) in the value's length; phone numbers add a libphonenumber call unless the
    ///   phone normaliser has the answer cached.
    public func normalise(namespace: String, value: String) -> Normalised {
        guard let format = rules.format(of: namespace) else { return .invalid("unknown namespace") }
        let trimmed = ValueText.trimmed(value)
        if rules.blockedValues.contains(trimmed.lowercased()) { return .blocked }
        guard trimmed.utf8.count <= Self.maximumValueLength else { return .invalid("value too long") }
        guard !ValueText.hasControlCharacter(trimmed) else { return .invalid("control character in value") }

        switch Self.format(trimmed, as: format, phones: phones, region: rules.defaultPhoneRegion) {
        case .success(let normalised):
            if normalised != trimmed, rules.isBlocked(normalised) { return .blocked }
            return .identity(Identity(namespace: namespace, value: normalised))
        case .failure(let reason):
            return .invalid(reason.message)
        }
    }

    /// Normalises everything an extractor found.
    ///
    /// - Returns: the distinct identities in the order found, and what was left out and why.
    public func normalise(_ extraction: Extraction) -> NormalisedExtraction {
        var result = NormalisedExtraction()
        var seen = Set<Identity>()
        for found in extraction.identities {
            switch normalise(namespace: found.namespace, value: found.value) {
            case .identity(let identity):
                if seen.insert(identity).inserted { result.identities.append(identity) }
            case .blocked:
                result.blocked.append(found)
            case .invalid(let reason):
                result.invalid.append(NormalisedExtraction.Invalid(found: found, reason: reason))
            }
        }
        return result
    }

    /// Why a value is not acceptable in its format.
    struct Rejection: Error {
        var message: String
    }

    static func format(
        _ value: String, as format: NamespaceFormat, phones: any PhoneNumberNormalizing, region: String
    ) -> Result<String, Rejection> {
        switch format {
        case .id:
            return value.isEmpty ? .failure(Rejection(message: "empty value")) : .success(value)
        case .lowercasedID:
            return value.isEmpty ? .failure(Rejection(message: "empty value")) : .success(value.lowercased())
        case .email:
            return email(value)
        case .phone:
            guard let number = phones.e164(value, defaultRegion: region) else {
                return .failure(Rejection(message: "not a valid phone number"))
            }
            return .success(number)
        case .ecid:
            guard value.utf8.count == 38, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                return .failure(Rejection(message: "an ECID has exactly 38 digits"))
            }
            return .success(value)
        case .digits:
            return digits(value)
        }
    }

    /// Lower-cases an address and checks its shape: one `@`, non-empty local part and domain, a dot
    /// in the domain between non-empty labels, no white space.
    ///
    /// Hand-written because the checks are few and RFC 5322's full grammar would accept addresses
    /// (quoted local parts, IP literals) that no marketing system can deliver to.
    static func email(_ value: String) -> Result<String, Rejection> {
        let lowered = value.lowercased()
        let bytes = Array(lowered.utf8)
        let ats = bytes.indices.filter { bytes[$0] == UInt8(ascii: "@") }
        guard ats.count == 1, let at = ats.first else {
            return .failure(Rejection(message: "an email address has exactly one @"))
        }
        let domain = bytes[(at + 1)...]
        guard at > 0, !domain.isEmpty else {
            return .failure(Rejection(message: "an email address needs a local part and a domain"))
        }
        let dot = UInt8(ascii: ".")
        guard domain.contains(dot) else { return .failure(Rejection(message: "an email domain needs a dot")) }
        let labels = domain.split(separator: dot, omittingEmptySubsequences: false)
        guard !labels.contains(where: \.isEmpty) else {
            return .failure(Rejection(message: "an email domain has an empty label"))
        }
        guard !ValueText.hasWhitespace(lowered) else {
            return .failure(Rejection(message: "an email address has no spaces"))
        }
        return .success(lowered)
    }

    /// Keeps the digits of a card or account number, dropping spaces and dashes.
    static func digits(_ value: String) -> Result<String, Rejection> {
        var digits: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(byte)
            case UInt8(ascii: " "), UInt8(ascii: "-"): continue
            default: return .failure(Rejection(message: "only digits, spaces and dashes are allowed"))
            }
        }
        guard !digits.isEmpty else { return .failure(Rejection(message: "empty value")) }
        return .success(String(decoding: digits, as: UTF8.self))
    }
}

/// The identities normalised from one record, and the values left out.
public struct NormalisedExtraction: Sendable, Hashable {
    /// A value its namespace refused, and why.
    public struct Invalid: Sendable, Hashable {
        /// The value as found.
        public var found: ExtractedIdentity
        /// A constant phrase, safe to log.
        public var reason: String
    }

    /// Distinct identities in the order found.
    public var identities: [Identity] = []
    /// Placeholder values left out.
    public var blocked: [ExtractedIdentity] = []
    /// Values their namespaces refused.
    public var invalid: [Invalid] = []

    /// Creates an empty result.
    public init() {}
}
