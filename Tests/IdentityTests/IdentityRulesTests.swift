import Identity
import TesseraCore
import Testing

@Suite struct IdentityRulesTests {
    @Test("the defaults are the documented ones")
    func defaults() {
        let rules = IdentityRules.defaults
        #expect(rules.uniqueNamespaces == ["userId", "crmId"])
        #expect(
            rules.priority == [
                "userId", "crmId", "email", "phone", "loyaltyId", "ecid", "deviceId", "cookieId", "anonymousId",
            ])
        #expect(rules.maxIdentitiesPerProfile == 50)
        #expect(rules.sharedIdentityThreshold == 3)
        #expect(rules.sharedIdentityWindow == 30 * day)
        #expect(rules.aliasPreviousIDNamespace == "anonymousId")
        #expect(rules.rank(of: "userId") < rules.rank(of: "email"))
        #expect(rules.rank(of: "advertisingId") == rules.priority.count)
        #expect(rules.isBlocked(" Undefined "))
    }

    @Test("rules survive their JSON form, defaults and custom alike")
    func roundTrip() throws {
        let custom = IdentityRules(
            uniqueNamespaces: ["userId", "crmId", "loyaltyId"], priority: ["crmId", "userId", "email"],
            customNamespaces: [.init(name: "cardNumber", format: .digits)], blockedValues: ["nobody"],
            defaultPhoneRegion: "GB", maxIdentitiesPerProfile: 20, sharedIdentityThreshold: 5,
            sharedIdentityWindow: 7 * day, aliasPreviousIDNamespace: "cookieId", advertisingIDNamespace: "deviceId",
            xdmNamespaceCodes: ["LUMACRM": "crmId"], acceptsUndeclaredNamespaces: false, touchInterval: 90 * 60_000)
        for rules in [IdentityRules.defaults, custom] {
            let text = rules.json.serialized
            #expect(try IdentityRules(json: rules.json) == rules, "\(text)")
        }
        #expect(custom.json["touchIntervalHours"] == .double(1.5))
        #expect(IdentityRules.defaults.json["sharedIdentityWindowDays"] == .int(30))
    }

    @Test("members left out keep their defaults")
    func partialConfiguration() throws {
        let rules = try IdentityRules(json: ["maxIdentitiesPerProfile": 10, "defaultPhoneRegion": "de"])
        var expected = IdentityRules.defaults
        expected.maxIdentitiesPerProfile = 10
        expected.defaultPhoneRegion = "DE"
        #expect(rules == expected)
    }

    static let invalid: [(json: JSONValue, field: String)] = [
        (["maxIdentitiesPerProfil": 10], "maxIdentitiesPerProfil"),
        (["maxIdentitiesPerProfile": 1], "maxIdentitiesPerProfile"),
        (["sharedIdentityThreshold": "three"], "sharedIdentityThreshold"),
        (["sharedIdentityWindowDays": -1], "sharedIdentityWindowDays"),
        (["defaultPhoneRegion": "USA"], "defaultPhoneRegion"),
        (["uniqueNamespaces": ["userId", "bad name"]], "uniqueNamespaces[1]"),
        (["priority": "userId"], "priority"),
        (["customNamespaces": [["name": "email"]]], "customNamespaces[0].name"),
        (["customNamespaces": [["name": "card", "format": "hex"]]], "customNamespaces[0].format"),
        (["xdmNamespaceCodes": ["X": 1]], "xdmNamespaceCodes.X"),
        (["acceptsUndeclaredNamespaces": "yes"], "acceptsUndeclaredNamespaces"),
        ([1, 2], "(root)"),
    ]

    @Test("malformed rules are refused naming the field", arguments: 0..<invalid.count)
    func malformedRules(_ position: Int) {
        let (json, field) = Self.invalid[position]
        #expect(throws: IdentityRulesError.self) { try IdentityRules(json: json) }
        do {
            _ = try IdentityRules(json: json)
        } catch {
            #expect(error.field == field)
        }
    }
}
