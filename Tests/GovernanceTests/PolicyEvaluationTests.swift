import Audiences
import Governance
import TesseraCore
import Testing

/// Policies decided over the labels of the fields a use of data reads: label expressions, label
/// inheritance along paths and from sources, fields read by rules and mappings, and the defaults.
@Suite struct PolicyEvaluationTests {
    /// A small catalog: two policies over the standard labels and actions.
    static func catalog(fields: [String: Set<String>], sources: [String: Set<String>] = [:]) -> GovernanceCatalog {
        GovernanceCatalog(
            labels: DataLabel.standard, actions: MarketingAction.standard,
            policies: [
                Policy(
                    name: "no-sensitive-export", action: "third-party-export",
                    deny: .any([.label("S1"), .label("S2")])),
                Policy(name: "c3", action: "email-targeting", deny: .all([.label("C3"), .label("I1")])),
            ],
            assignments: LabelAssignments(fields: fields, sources: sources))
    }

    @Test(
        "label expressions parse, print back and hold for the right label sets",
        arguments: [
            ("C2", ["C2"], true),
            ("C2", ["C1"], false),
            ("S1 or S2", ["S2"], true),
            ("C3 and I1", ["C3"], false),
            ("C3 and I1", ["C3", "I1", "S1"], true),
            ("C3 and (I1 or I2)", ["C3", "I2"], true),
            ("C3 and (I1 or I2)", ["I1", "I2"], false),
            ("C1 or C2 and C3", ["C1"], true),
            ("C1 or C2 and C3", ["C2"], false),
            ("(C1 or C2) and C3", ["C2", "C3"], true),
        ])
    func expressions(text: String, carried: [String], holds: Bool) throws {
        let expression = try LabelExpression(parsing: text)
        #expect((expression.witnesses(in: Set(carried)) != nil) == holds)
        #expect(try LabelExpression(parsing: expression.description) == expression)
    }

    @Test("malformed expressions are refused", arguments: ["", "and", "C1 or", "(C1", "C1 C2", "C1 )", "1x"])
    func malformedExpressions(text: String) {
        #expect(throws: GovernanceError.self) { try LabelExpression(parsing: text) }
    }

    @Test(
        "a decision names the policy, action, field and labels responsible",
        arguments: [
            // (fields used, actions, expected violations as "policy field labels")
            (["attributes.tier"], ["third-party-export"], [String]()),
            (["attributes.geo.lat"], ["third-party-export"], ["no-sensitive-export attributes.geo.lat S1"]),
            (["attributes.geo"], ["third-party-export"], ["no-sensitive-export attributes.geo S1"]),
            (["attributes.geo.lat"], ["email-targeting"], []),
            (
                ["attributes.score", "attributes.email"], ["email-targeting"],
                [
                    "c3 attributes.email I1", "c3 attributes.score C3",
                ]
            ),
            (["attributes.score"], ["email-targeting"], []),
            (
                ["attributes.score", "attributes.email", "attributes.geo"], ["email-targeting", "third-party-export"],
                [
                    "c3 attributes.email I1", "c3 attributes.score C3", "no-sensitive-export attributes.geo S1",
                ]
            ),
        ])
    func decisions(fields: [String], actions: [String], expected: [String]) {
        let catalog = Self.catalog(fields: [
            "attributes.geo.lat": ["S1"], "attributes.score": ["C3"], "attributes.email": ["I1"],
        ])
        let decision = catalog.evaluate(fields.map { UsedField($0, via: "rule") }, actions: actions)
        let found = decision.violations.map { "\($0.policy) \($0.field) \($0.labels.joined(separator: ","))" }
        #expect(found == expected)
        #expect(decision.allowed == expected.isEmpty)
    }

    @Test("a source's labels reach every field that comes from records, and the violation names the source")
    func sourceLabels() {
        let catalog = Self.catalog(fields: [:], sources: ["health-app": ["S2"], "web": []])
        let decision = catalog.evaluate(
            [UsedField("computed.orderCount", via: "rule"), UsedField("audience", via: "mapping")],
            actions: ["third-party-export"])
        #expect(decision.violations.count == 1)
        #expect(decision.violations.first?.field == "computed.orderCount")
        #expect(decision.violations.first?.sources == ["health-app"])
        #expect(decision.labels["audience"] == nil)
    }

    @Test("a rule's fields: attributes, computed, identities, events and their filters, consent, nested audiences")
    func ruleFields() throws {
        let rule = try AudienceParser.parse(
            #"""
            attribute address.city = "Leeds" and computed.ltv > 10 and has email
            and did "Order Completed" where properties.total > 5 and consent marketing.email = "y"
            and sum of properties.revenue for "Order Completed" > 100 and in audience "Locals"
            """#)
        let locals = try AudienceParser.parse(#"attribute geo.lat > 1 and in audience "Rule""#)
        let used = rule.usedFields(resolve: { $0 == "Locals" ? locals : ($0 == "Rule" ? rule : nil) })
        let names = Set(used.map { "\($0.field) via \($0.via)" })
        #expect(
            names == [
                "attributes.address.city via rule", "computed.ltv via rule", "identities.email via rule",
                "events.event via rule", "events.properties.total via rule", "consent.marketing.email via rule",
                "events.properties.revenue via rule", "attributes.geo.lat via audience \"Locals\"",
                "attributes.address.city via audience \"Rule\"", "computed.ltv via audience \"Rule\"",
                "identities.email via audience \"Rule\"", "events.event via audience \"Rule\"",
                "events.properties.total via audience \"Rule\"", "consent.marketing.email via audience \"Rule\"",
                "events.properties.revenue via audience \"Rule\"",
            ])
    }

    @Test(
        "defaults: identifiers are I1, device ids I2, precise location S1; sensitive data never goes to third parties")
    func defaults() {
        let catalog = GovernanceCatalog.standard
        #expect(catalog.assignments.fieldLabels(of: "attributes.email") == ["I1"])
        #expect(catalog.assignments.fieldLabels(of: "attributes.address.city") == ["I1"])
        #expect(catalog.assignments.fieldLabels(of: "identities.phone") == ["I1"])
        #expect(catalog.assignments.fieldLabels(of: "identities.anonymousId") == ["I2"])
        #expect(catalog.assignments.fieldLabels(of: "events.context.location") == ["S1"])
        #expect(catalog.assignments.fieldLabels(of: "attributes.tier").isEmpty)
        #expect(throws: Never.self) { try catalog.validate() }
        let export = catalog.evaluate(
            [UsedField("events.context.location.latitude", via: "rule")], actions: ["third-party-export"])
        #expect(export.violations.map(\.policy) == ["sensitive-no-third-party.third-party-export"])
        let email = catalog.evaluate([UsedField("attributes.email", via: "mapping")], actions: ["email-targeting"])
        #expect(email.allowed)
        #expect(
            catalog.consentPurposes(for: ["email-targeting", "third-party-export", "unknown"]) == [
                "marketing.email", "share",
            ])
        for label in ["C1", "C2", "C12", "S2"] {
            #expect(catalog.policies.values.contains { $0.deny.labels.contains(label) }, "\(label) has a policy")
        }
    }

    @Test("the configuration section adds labels, replaces field labels, adds actions and policies, and names faults")
    func configuration() throws {
        let json: JSONValue = [
            "labels": ["minors": "About people under 16."],
            "fields": ["attributes.name": [], "attributes.age": ["minors"]],
            "sources": ["partner": ["C2"]],
            "marketingActions": [
                "sms-survey": ["description": "Surveys by SMS", "consentPurposes": ["marketing.sms"]]
            ],
            "policies": [["name": "no-minors-sms", "action": "sms-survey", "deny": "minors"]],
        ]
        let catalog = try GovernanceCatalog(configuration: json)
        #expect(catalog.labels["minors"]?.category == .custom)
        #expect(catalog.assignments.fieldLabels(of: "attributes.name").isEmpty)
        #expect(catalog.consentPurposes(for: ["sms-survey"]) == ["marketing.sms"])
        let decision = catalog.evaluate([UsedField("attributes.age", via: "rule")], actions: ["sms-survey"])
        #expect(decision.violations.map(\.policy) == ["no-minors-sms"])
        #expect(catalog.policies["c2-no-third-party"] != nil)
        #expect(try GovernanceCatalog(configuration: ["standardPolicies": false]).policies.isEmpty)

        let faults: [(JSONValue, String)] = [
            (["policies": [["name": "x", "action": "nope", "deny": "C1"]]], "governance.policies.x.action"),
            (["policies": [["name": "x", "action": "export", "deny": "Q9"]]], "governance.policies.x.deny"),
            (["policies": [["name": "x", "action": "export", "deny": "C1 or"]]], "governance.policies[0].deny"),
            (["fields": ["attributes.age": ["undefined"]]], "governance.fields.attributes.age"),
            (["fields": ["age": ["C1"]]], "governance.fields.age"),
            (["labels": ["C1": "mine"]], "governance.labels.C1"),
            (["colour": "blue"], "governance.colour"),
        ]
        for (json, field) in faults {
            #expect {
                try GovernanceCatalog(configuration: json)
            } throws: { error in
                (error as? GovernanceError)?.field == field
            }
        }
    }

    @Test("overrides replace field labels and policies, delete configured ones, and survive their stored form")
    func overrides() throws {
        var overrides = GovernanceOverrides()
        overrides.labels["minors"] = "Under 16."
        overrides.fields["attributes.email"] = []
        overrides.fields["attributes.age"] = ["minors"]
        overrides.policies["c2-no-third-party"] = .some(nil)
        overrides.policies["no-minors"] = Policy(name: "no-minors", action: "export", deny: .label("minors"))
        let stored = try GovernanceOverrides(json: overrides.json)
        #expect(stored == overrides)
        let catalog = stored.applied(to: .standard)
        #expect(catalog.policies["c2-no-third-party"] == nil && catalog.policies["no-minors"] != nil)
        #expect(catalog.assignments.fieldLabels(of: "attributes.email").isEmpty)
        #expect(throws: Never.self) { try catalog.validate() }
    }
}
