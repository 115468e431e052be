/// One identifier of a person: a namespace and a normalised value, such as `email:jane@example.com`.
///
/// Build identities from collected values with `IdentityNormalizer`, which trims, lower-cases or
/// formats the value as its namespace requires; this type itself stores what it is given.
public struct Identity: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The kind of identifier: `email`, `phone`, `userId`, `anonymousId`, `ecid`, `crmId`, … or a custom one.
    public var namespace: String

    /// The normalised value.
    public var value: String

    /// Creates an identity from a namespace and an already normalised value.
    public init(namespace: String, value: String) {
        self.namespace = namespace
        self.value = value
    }

    /// Reads the `namespace:value` form; the namespace ends at the first colon, so values may hold colons.
    ///
    /// Returns nil when either part is empty.
    public init?(parsing text: String) {
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let namespace = String(text[..<colon])
        let value = String(text[text.utf8.index(after: colon)...])
        guard !namespace.isEmpty, !value.isEmpty else { return nil }
        self.init(namespace: namespace, value: value)
    }

    /// The `namespace:value` form.
    public var description: String { namespace + ":" + value }

    /// Orders by namespace, then value.
    public static func < (lhs: Identity, rhs: Identity) -> Bool {
        lhs.namespace == rhs.namespace ? lhs.value < rhs.value : lhs.namespace < rhs.namespace
    }
}

/// The stable id of a profile: a connected group of identities.
///
/// Ids are handed out in increasing order, so the smaller of two ids belongs to the older profile;
/// that one survives when two profiles merge, and the other id redirects to it.
public struct ProfileID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The id's number, from 1.
    public var rawValue: Int64

    /// Creates an id from its number.
    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    /// Orders by age: smaller ids belong to older profiles.
    public static func < (lhs: ProfileID, rhs: ProfileID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The number in decimal.
    public var description: String { String(rawValue) }
}
