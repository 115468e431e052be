/// A use of data a destination makes (`email-targeting`, `third-party-export`), and the consent
/// purposes a person must have granted for it.
public struct MarketingAction: Sendable, Hashable {
    /// The name destinations declare and policies deny: lower-case letters, digits, `_`, `-`, `.`.
    public var name: String
    /// What the action does, in plain words.
    public var description: String
    /// The consent purposes the action needs (`marketing.email` for `email-targeting`); checked for
    /// each profile when a delivery is sent, beside the destination's own `requiredConsent`.
    public var consentPurposes: [String]

    /// Creates an action.
    public init(name: String, description: String, consentPurposes: [String] = []) {
        self.name = name
        self.description = description
        self.consentPurposes = consentPurposes
    }

    /// Whether `name` can name an action (or a consent purpose): 1 to 64 lower-case letters, digits,
    /// `_`, `-` or `.` — the alphabet destination settings accept.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || [95, 45, 46].contains($0) }
    }

    /// The built-in actions.
    public static let standard: [MarketingAction] = [
        MarketingAction(
            name: "email-targeting", description: "Send people email chosen for them.",
            consentPurposes: ["marketing.email"]),
        MarketingAction(
            name: "sms-targeting", description: "Send people text messages chosen for them.",
            consentPurposes: ["marketing.sms"]),
        MarketingAction(
            name: "push-targeting", description: "Send people app notifications chosen for them.",
            consentPurposes: ["marketing.push"]),
        MarketingAction(
            name: "call-targeting", description: "Call people chosen from the data.",
            consentPurposes: ["marketing.call"]),
        MarketingAction(
            name: "postal-targeting", description: "Send people letters chosen for them.",
            consentPurposes: ["marketing.postal"]),
        MarketingAction(
            name: "third-party-export", description: "Send data to a company other than ours.",
            consentPurposes: ["share"]),
        MarketingAction(
            name: "onsite-personalization", description: "Choose the content shown on our own sites and apps.",
            consentPurposes: ["personalize"]),
        MarketingAction(
            name: "onsite-advertising", description: "Choose the ads shown on our own sites and apps.",
            consentPurposes: ["personalize", "marketing"]),
        MarketingAction(
            name: "cross-site-targeting", description: "Target content or ads on other companies' sites.",
            consentPurposes: ["share", "marketing"]),
        MarketingAction(
            name: "segment-matching", description: "Match audiences with partners' audiences.",
            consentPurposes: ["share"]),
        MarketingAction(
            name: "data-science", description: "Train models and run analyses on the data."),
        MarketingAction(
            name: "measurement", description: "Measure how our own sites and apps perform.",
            consentPurposes: ["collect"]),
        MarketingAction(
            name: "stitched-identity-activation",
            description: "Activate people through identities stitched from several sources."),
        MarketingAction(
            name: "export", description: "Any copy of the data that leaves Tessera (files, webhooks, streams)."),
    ]
}
