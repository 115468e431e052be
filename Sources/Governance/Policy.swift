public import TesseraCore

/// A data-usage policy: deny a marketing action when the data it uses carries certain labels.
///
/// As JSON: `{"name": "no-sensitive-export", "action": "third-party-export", "deny": "S1 or S2",
/// "description": "…"}`.
public struct Policy: Sendable, Hashable {
    /// A unique name: 1 to 64 lower-case letters, digits, `_`, `-` or `.`.
    public var name: String
    /// The marketing action the policy denies.
    public var action: String
    /// The labels that deny it.
    public var deny: LabelExpression
    /// Why the policy exists, in plain words.
    public var description: String

    /// Creates a policy.
    public init(name: String, action: String, deny: LabelExpression, description: String = "") {
        self.name = name
        self.action = action
        self.deny = deny
        self.description = description
    }

    /// Reads a policy from its JSON form; `name` comes from the body unless given (a route's path).
    ///
    /// - Throws: ``GovernanceError`` naming the member that is missing or malformed.
    public init(json: JSONValue, name given: String? = nil) throws(GovernanceError) {
        guard json.objectValue != nil else { throw GovernanceError(field: "", "a policy must be a JSON object") }
        if let unknown = json.objectValue?.keys.first(where: {
            !["name", "action", "deny", "description"].contains($0)
        }) {
            throw GovernanceError(field: unknown, "is not a policy member (name, action, deny, description)")
        }
        guard let name = given ?? json["name"]?.stringValue else {
            throw GovernanceError(field: "name", "must be a string")
        }
        guard MarketingAction.isValidName(name) else {
            throw GovernanceError(field: "name", "must have 1 to 64 lower-case letters, digits, _, - or .")
        }
        guard let action = json["action"]?.stringValue else {
            throw GovernanceError(field: "action", "must name a marketing action")
        }
        guard let deny = json["deny"]?.stringValue else {
            throw GovernanceError(field: "deny", "must be a label expression such as \"S1 or S2\"")
        }
        let description = json["description"]?.stringValue ?? ""
        guard json["description"] == nil || json["description"]?.stringValue != nil else {
            throw GovernanceError(field: "description", "must be a string")
        }
        self.init(name: name, action: action, deny: try LabelExpression(parsing: deny), description: description)
    }

    /// The policy as stored and shown.
    public var json: JSONValue {
        [
            "name": .string(name), "action": .string(action), "deny": .string(deny.description),
            "description": .string(description),
        ]
    }

    /// Policies that give every contract and sensitive label its usual meaning.
    public static let standard: [Policy] = {
        let table: [(String, [String], String, String)] = [
            (
                "c1-aggregate-only",
                [
                    "third-party-export", "email-targeting", "sms-targeting", "push-targeting",
                    "call-targeting", "postal-targeting", "segment-matching",
                ], "C1",
                "C1 data leaves only in aggregate, never person by person."
            ),
            ("c2-no-third-party", ["third-party-export"], "C2", "C2 data must not reach a third party."),
            (
                "c3-not-with-identifying", ["third-party-export", "email-targeting", "data-science"], "C3 and I1",
                "C3 data must not be combined with data that identifies a person directly."
            ),
            (
                "c4-no-targeting", ["onsite-personalization", "onsite-advertising", "cross-site-targeting"], "C4",
                "C4 data must not drive targeting."
            ),
            ("c5-no-cross-site", ["cross-site-targeting"], "C5", "C5 data must not drive cross-site targeting."),
            ("c6-no-onsite-ads", ["onsite-advertising"], "C6", "C6 data must not choose ads on our sites."),
            ("c7-no-onsite-content", ["onsite-personalization"], "C7", "C7 data must not choose content on our sites."),
            ("c8-no-measurement", ["measurement"], "C8", "C8 data must not measure our sites."),
            ("c9-no-data-science", ["data-science"], "C9", "C9 data must not feed data science."),
            (
                "c10-no-stitched-activation", ["stitched-identity-activation"], "C10",
                "C10 data must not be activated through stitched identities."
            ),
            (
                "c11-no-segment-matching", ["segment-matching"], "C11",
                "C11 data must not be shared with matching partners."
            ),
            (
                "c12-no-export",
                [
                    "export", "third-party-export", "email-targeting", "sms-targeting", "push-targeting",
                    "call-targeting", "postal-targeting", "cross-site-targeting", "segment-matching",
                ], "C12",
                "C12 data must not leave Tessera."
            ),
            (
                "sensitive-no-third-party", ["third-party-export", "cross-site-targeting", "segment-matching"],
                "S1 or S2", "Sensitive data never goes to third parties."
            ),
            (
                "special-category-no-targeting",
                [
                    "email-targeting", "sms-targeting", "push-targeting",
                    "onsite-advertising",
                ], "S2", "Special-category data must not choose who gets marketing."
            ),
        ]
        return table.flatMap { name, actions, deny, description in
            actions.map { action in
                Policy(
                    name: actions.count == 1 ? name : "\(name).\(action)", action: action,
                    // The table above is fixed and parses; a failure would be a typo caught by the tests.
                    deny: (try? LabelExpression(parsing: deny)) ?? .label(deny), description: description)
            }
        }
    }()
}
