/// How consent is read and what holds when nobody answered.
public struct ConsentConfiguration: Sendable, Hashable {
    /// Segment consent categories (`context.consent.categoryPreferences`, the `Segment Consent
    /// Preference Updated` event) mapped to purposes; a category not listed is ignored.
    public var categories: [String: [String]]
    /// The answer a purpose has when none was given; purposes not listed default to `unknown`.
    /// `marketing` here covers every `marketing.CHANNEL` without one of its own.
    public var defaults: [String: ConsentValue]

    /// Creates a configuration.
    public init(categories: [String: [String]], defaults: [String: ConsentValue]) {
        self.categories = categories
        self.defaults = defaults
    }

    /// Common consent-manager categories mapped to purposes; marketing is denied until answered,
    /// the other purposes are allowed until answered (collection itself was consented to by sending).
    public static let standard = ConsentConfiguration(
        categories: [
            "Analytics": ["collect"], "Functional": ["personalize"], "Personalization": ["personalize"],
            "Advertising": ["share", "marketing"], "Marketing": ["marketing"], "Email": ["marketing.email"],
            "SMS": ["marketing.sms"], "Push": ["marketing.push"], "DataSharing": ["share"],
        ],
        defaults: ["collect": .yes, "share": .unknown, "personalize": .yes, "marketing": .no])

    /// The answer that applies to `purpose` when the given answers (by purpose) hold: the purpose's
    /// own, then its parent's (`marketing` for `marketing.email`), then the default.
    public func effective(_ purpose: String, answers: [String: ConsentValue]) -> ConsentValue {
        if let own = answers[purpose], own != .unknown { return own }
        if let dot = purpose.firstIndex(of: ".") {
            let parent = String(purpose[..<dot])
            if let inherited = answers[parent], inherited != .unknown { return inherited }
            return defaults[purpose] ?? defaults[parent] ?? .unknown
        }
        return defaults[purpose] ?? .unknown
    }
}
