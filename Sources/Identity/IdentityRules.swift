/// The one rule set that decides how identities are normalised, extracted and linked.
///
/// The defaults suit a consumer business: `userId` and `crmId` are unique (a person has at most one of
/// each), and the priority order decides which identity a record belongs to when its identities
/// disagree. Rules load from and serialise to JSON (`init(json:)`, `json`), so they live in
/// configuration and in simulations.
public struct IdentityRules: Sendable, Equatable {
    /// A namespace the deployment adds to the built-in ones.
    public struct CustomNamespace: Sendable, Hashable {
        /// Its name (see `Namespace.isValidName`).
        public var name: String
        /// How its values are normalised.
        public var format: NamespaceFormat

        /// Creates a custom namespace.
        public init(name: String, format: NamespaceFormat = .id) {
            self.name = name
            self.format = format
        }
    }

    /// Namespaces of which a profile holds at most one value. Default: `userId`, `crmId`.
    ///
    /// A link that would join two profiles holding different values of one of these is refused.
    public var uniqueNamespaces: Set<String>

    /// Namespaces from most to least trusted. Default: userId > crmId > email > phone > loyaltyId >
    /// ecid > deviceId > cookieId > anonymousId.
    ///
    /// A record attaches to the profile of its highest-priority identity; when a profile grows past
    /// its limit, identities of the lowest priority go first. Namespaces not listed share the rank
    /// below all listed ones; among equals, a record's anchor is the one it lists first.
    public var priority: [String]

    /// Namespaces beyond the built-in ones.
    public var customNamespaces: [CustomNamespace]

    /// Values that never identify anyone (`null`, `undefined`, `0`, …), lower-cased and trimmed.
    ///
    /// A value is blocked when it equals one of these after trimming, ignoring case.
    public var blockedValues: Set<String>

    /// The region phone numbers without a country code are read in (ISO 3166 alpha-2). Default `US`.
    public var defaultPhoneRegion: String

    /// The most identities one profile holds. Default 50.
    ///
    /// Past it, the least recently seen identities of the lowest-priority namespace are evicted.
    public var maxIdentitiesPerProfile: Int

    /// How many distinct values of one unique namespace an identity may be seen with inside the
    /// window before it is treated as shared. Default 3.
    ///
    /// Three covers a household: a family tablet or laptop used by two or three signed-in people.
    /// A device or cookie seen with a fourth `userId` within a month is a kiosk, a shop's till
    /// tablet, a test device or a bot; linking through it would chain strangers together, so it is
    /// flagged and stops linking. Counted per unique namespace, so one person's `userId` plus
    /// `crmId` counts one each.
    public var sharedIdentityThreshold: Int

    /// The window, in milliseconds, over which distinct values are counted. Default 30 days.
    public var sharedIdentityWindow: Int64

    /// The namespace of an `alias` call's `previousId`. Default `anonymousId`.
    public var aliasPreviousIDNamespace: String

    /// The namespace of Segment's `context.device.advertisingId`. Default `advertisingId`.
    public var advertisingIDNamespace: String

    /// Extra XDM `identityMap` namespace codes and the namespace each stands for, beyond the
    /// standard Adobe codes `XDMNamespaces` knows. Keys compare ignoring case.
    public var xdmNamespaceCodes: [String: String]

    /// Whether namespaces that are neither built in nor declared (such as an unknown XDM code) are
    /// accepted, with the `id` format. Default true.
    public var acceptsUndeclaredNamespaces: Bool

    /// The least time, in milliseconds, between two log entries saying that an identity was seen
    /// again. Default one day.
    ///
    /// Such entries let a rebuilt graph know when identities were last seen (eviction order) to
    /// within this interval without logging every event.
    public var touchInterval: Int64

    /// The default rules.
    public static let defaults = IdentityRules()

    /// Creates rules; every argument defaults to the documented default.
    public init(
        uniqueNamespaces: Set<String> = [Namespace.userID, Namespace.crmID],
        priority: [String] = IdentityRules.defaultPriority,
        customNamespaces: [CustomNamespace] = [],
        blockedValues: Set<String> = IdentityRules.defaultBlockedValues,
        defaultPhoneRegion: String = "US",
        maxIdentitiesPerProfile: Int = 50,
        sharedIdentityThreshold: Int = 3,
        sharedIdentityWindow: Int64 = 30 * IdentityRules.day,
        aliasPreviousIDNamespace: String = Namespace.anonymousID,
        advertisingIDNamespace: String = Namespace.advertisingID,
        xdmNamespaceCodes: [String: String] = [:],
        acceptsUndeclaredNamespaces: Bool = true,
        touchInterval: Int64 = IdentityRules.day
    ) {
        self.uniqueNamespaces = uniqueNamespaces
        self.priority = priority
        self.customNamespaces = customNamespaces
        self.blockedValues = Set(blockedValues.map { Self.blockKey($0) })
        self.defaultPhoneRegion = defaultPhoneRegion
        self.maxIdentitiesPerProfile = maxIdentitiesPerProfile
        self.sharedIdentityThreshold = sharedIdentityThreshold
        self.sharedIdentityWindow = sharedIdentityWindow
        self.aliasPreviousIDNamespace = aliasPreviousIDNamespace
        self.advertisingIDNamespace = advertisingIDNamespace
        self.xdmNamespaceCodes = xdmNamespaceCodes
        self.acceptsUndeclaredNamespaces = acceptsUndeclaredNamespaces
        self.touchInterval = touchInterval
    }

    /// One day in milliseconds.
    public static let day: Int64 = 86_400_000

    /// The default priority order.
    public static let defaultPriority: [String] = [
        Namespace.userID, Namespace.crmID, Namespace.email, Namespace.phone, Namespace.loyaltyID, Namespace.ecid,
        Namespace.deviceID, Namespace.cookieID, Namespace.anonymousID,
    ]

    /// Placeholder values that SDKs, forms and exports put where an identifier is missing.
    public static let defaultBlockedValues: Set<String> = [
        "", "null", "nil", "undefined", "none", "n/a", "na", "unknown", "anonymous", "guest", "test", "0", "-1",
        "false", "true", "nan", "[object object]", "(not set)", "not set", "00000000-0000-0000-0000-000000000000",
    ]

    /// The format of `namespace`'s values, or nil when the namespace is not accepted.
    public func format(of namespace: String) -> NamespaceFormat? {
        if let builtIn = Namespace.builtIn[namespace] { return builtIn }
        if let custom = customNamespaces.first(where: { $0.name == namespace }) { return custom.format }
        return acceptsUndeclaredNamespaces && Namespace.isValidName(namespace) ? .id : nil
    }

    /// Whether `value` is a placeholder that never identifies anyone.
    public func isBlocked(_ value: String) -> Bool {
        blockedValues.contains(Self.blockKey(value))
    }

    /// Whether `namespace` is unique: a profile holds at most one of its values.
    public func isUnique(_ namespace: String) -> Bool {
        uniqueNamespaces.contains(namespace)
    }

    /// The rank of `namespace` in the priority order: 0 is the most trusted.
    ///
    /// Namespaces missing from `priority` all rank `priority.count`; ties are broken by the caller.
    public func rank(of namespace: String) -> Int {
        priority.firstIndex(of: namespace) ?? priority.count
    }

    /// `value` trimmed of whitespace and lower-cased, as blocked values are compared.
    static func blockKey(_ value: String) -> String {
        ValueText.trimmed(value).lowercased()
    }
}
