import Profiles
import TesseraCore
import Testing

@Suite struct MergePolicyTests {
    let web: Int64 = 1
    let crm: Int64 = 2
    let pos: Int64 = 3
    var names: [Int64: String] { [web: "web", crm: "crm", pos: "pos"] }
    let crmFirst = MergePolicy(name: "crm-first", kind: .sourcePrecedence([.name("crm"), .name("web")]))

    /// Fragments where the web said most recently, the CRM earlier and the POS in between.
    func fragments() -> ProfileFragments {
        var fragments = ProfileFragments()
        fragments.apply([update("email", "web@x.com", 30), update("plan", "free", 30)], from: web)
        fragments.apply([update("email", "crm@x.com", 10), update("address.city", "Oslo", 10)], from: crm)
        fragments.apply([update("plan", "gold", 20), update("loyalty.tier", "silver", 20)], from: pos)
        return fragments
    }

    @Test("timestamp ordering shows the newest value of each attribute, across sources")
    func latestWins() {
        let merged = fragments().merged(using: .latest, sourceNames: names)
        #expect(
            merged.attributes == [
                "email": "web@x.com", "plan": "free", "address": ["city": "Oslo"], "loyalty": ["tier": "silver"],
            ])
        #expect(merged.provenance["email"] == .init(source: web, time: at(30)))
        #expect(merged.provenance["address.city"] == .init(source: crm, time: at(10)))
        #expect(merged.policy == "latest")
    }

    @Test("source precedence takes the first listed source that has the attribute")
    func precedence() {
        let merged = fragments().merged(using: crmFirst, sourceNames: names)
        #expect(merged.attributes["email"] == "crm@x.com")
        #expect(merged.provenance["email"]?.source == crm)
        // The CRM has no plan: the web, listed second, wins over the newer-than-CRM but unlisted POS.
        #expect(merged.attributes["plan"] == "free")
        // Only the unlisted POS has a loyalty tier.
        #expect(merged.attributes["loyalty"] == ["tier": "silver"])
    }

    @Test("unlisted sources come after the listed ones, newest first")
    func unlistedByTime() {
        var fragments = ProfileFragments()
        fragments.apply([update("plan", "a", 10)], from: 7)
        fragments.apply([update("plan", "b", 20)], from: 8)
        fragments.apply([update("plan", "c", 5)], from: 9)
        let policy = MergePolicy(name: "p", kind: .sourcePrecedence([.id(9)]))
        #expect(fragments.merged(using: policy).attributes["plan"] == "c")
        #expect(fragments.candidates(at: "plan", using: policy).map(\.source) == [9, 8, 7])
        let onlyMissing = MergePolicy(name: "q", kind: .sourcePrecedence([.name("nobody")]))
        #expect(fragments.merged(using: onlyMissing).attributes["plan"] == "b")
    }

    @Test("precedence matches sources by id as well as by name")
    func precedenceByID() {
        let policy = MergePolicy(name: "pos-first", kind: .sourcePrecedence([.id(3)]))
        #expect(fragments().merged(using: policy).attributes["plan"] == "gold")
    }

    @Test("equal times go to the lower source id, whatever order the sources applied in")
    func ties() {
        for order in [[crm, web], [web, crm]] {
            var fragments = ProfileFragments()
            for source in order { fragments.apply([update("plan", .string("from \(source)"), 10)], from: source) }
            let merged = fragments.merged(using: .latest)
            #expect(merged.attributes["plan"] == "from 1")
            #expect(merged.provenance["plan"]?.source == web)
        }
    }

    @Test("when a scalar and an object claim the same key, the preferred one's shape shows")
    func shapeClash() {
        var fragments = ProfileFragments()
        fragments.apply([update("address.city", "Oslo", 10), update("address.zip", "0150", 10)], from: crm)
        fragments.apply([update("address", "Storgata 1, Oslo", 20)], from: web)

        let latest = fragments.merged(using: .latest, sourceNames: names)
        #expect(latest.attributes == ["address": "Storgata 1, Oslo"])
        #expect(Set(latest.provenance.keys) == ["address"])

        let byCRM = fragments.merged(using: crmFirst, sourceNames: names)
        #expect(byCRM.attributes == ["address": ["city": "Oslo", "zip": "0150"]])
        #expect(Set(byCRM.provenance.keys) == ["address.city", "address.zip"])
    }

    @Test("keys holding dots come back as single keys in the nested view")
    func escapedKeys() {
        var fragments = ProfileFragments()
        let path = AttributePath.join(["optInOut", "https://ns.adobe.com/xdm/channels/email"])
        fragments.apply([AttributeUpdate(path: path, value: "in", time: at(0))], from: web)
        #expect(
            fragments.merged(using: .latest).attributes == [
                "optInOut": ["https://ns.adobe.com/xdm/channels/email": "in"]
            ])
    }

    @Test("the merged view renders with each value's source and time")
    func mergedJSON() {
        let merged = fragments().merged(using: .latest, sourceNames: [crm: "crm"])
        let json = merged.json
        #expect(json["policy"] == "latest")
        #expect(json["attributes"]?["address"]?["city"] == "Oslo")
        #expect(
            json["provenance"]?["address.city"] == ["source": 2, "sourceName": "crm", "time": .string(at(10).iso8601)])
        #expect(json["provenance"]?["email"] == ["source": 1, "time": .string(at(30).iso8601)])
    }

    @Test("candidates explain a value: every source's value, best first")
    func candidates() {
        let entries = fragments().candidates(at: "email", using: crmFirst, sourceNames: names)
        #expect(entries.map(\.value) == ["crm@x.com", "web@x.com"])
        #expect(fragments().candidates(at: "email", using: .latest).map(\.source) == [web, crm])
        #expect(fragments().candidates(at: "unknown", using: .latest).isEmpty)
    }

    @Test("an empty profile merges to an empty object")
    func empty() {
        #expect(
            ProfileFragments().merged(using: .latest)
                == MergedProfile(policy: "latest", attributes: [:], provenance: [:]))
    }

    @Test("named policies are read from JSON and chosen per request, with one default")
    func policiesFromJSON() throws {
        let json: JSONValue = [
            "default": "latest",
            "policies": [
                ["name": "latest", "kind": "timestampOrdered"],
                ["name": "crm-first", "kind": "sourcePrecedence", "sources": ["crm", "web", 3]],
            ],
        ]
        let policies = try MergePolicies(json: json)
        #expect(policies.policy(named: nil) == .latest)
        #expect(policies.policy(named: "crm-first")?.kind == .sourcePrecedence([.name("crm"), .name("web"), .id(3)]))
        #expect(policies.policy(named: "nope") == nil)
        #expect(try MergePolicies(json: policies.json) == policies)
        #expect(MergePolicies.defaults.policies == [.latest])
        #expect(MergePolicies.defaults.defaultPolicy == .latest)
    }

    @Test("without a default the first policy is the default")
    func firstIsDefault() throws {
        let json: JSONValue = ["policies": [["name": "crm", "kind": "sourcePrecedence", "sources": ["crm"]]]]
        #expect(try MergePolicies(json: json).defaultPolicy.name == "crm")
    }

    @Test(
        "malformed policy configurations are refused with the field at fault",
        arguments: [
            (JSONValue.array([]), "(root)"),
            (["policies": []], "policies"),
            (["policies": [["name": "a", "kind": "timestampOrdered"]], "default": "b"], "default"),
            (
                ["policies": [["name": "a", "kind": "timestampOrdered"], ["name": "a", "kind": "timestampOrdered"]]],
                "policies[1].name"
            ),
            (["policies": [["name": "a", "kind": "newest"]]], "policies[0].kind"),
            (["policies": [["name": "a", "kind": "sourcePrecedence"]]], "policies[0].sources"),
            (["policies": [["name": "a", "kind": "sourcePrecedence", "sources": [true]]]], "policies[0].sources[0]"),
            (["policies": [["name": "a", "kind": "timestampOrdered", "sources": ["x"]]]], "policies[0].sources"),
            (["policies": [["name": "", "kind": "timestampOrdered"]]], "policies[0].name"),
            (["policies": [["name": "a", "kind": "timestampOrdered", "weight": 1]]], "policies[0].weight"),
            (["policies": [["name": "a", "kind": "timestampOrdered"]], "extra": 1], "extra"),
        ] as [(JSONValue, String)])
    func malformedPolicies(json: JSONValue, field: String) {
        #expect {
            try MergePolicies(json: json)
        } throws: { error in
            (error as? ProfilesError)?.field == field
        }
    }
}
