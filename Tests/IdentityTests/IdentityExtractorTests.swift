import Identity
import JSONParsing
import TesseraCore
import TesseraTesting
import Testing

@Suite struct IdentityExtractorTests {
    let rules = IdentityRules.defaults

    func record(_ path: String) throws -> JSONNode {
        try JSONParser().parse(try TestData.bytes(path)).root
    }

    func record(json text: String) throws -> JSONNode {
        try JSONParser().parse(Array(text.utf8)).root
    }

    func found(_ extraction: Extraction) -> [String] {
        extraction.identities.map { "\($0.namespace):\($0.value) @\($0.field)" }
    }

    @Test("identify: userId, anonymousId and traits.email")
    func identify() throws {
        let extraction = IdentityExtractor.extract(
            kind: "identify", record: try record("segment/segment-docs/identify__example.json"), rules: rules)
        #expect(
            found(extraction) == [
                "userId:97980cfea0067 @userId", "anonymousId:507f191e810c19729de860ea @anonymousId",
                "email:peter@example.com @traits.email",
            ])
        #expect(extraction.accountID == nil)
    }

    @Test("alias: previousId goes to the configured namespace")
    func alias() throws {
        let node = try record("segment/segment-docs/alias__examples.json")
        #expect(
            found(IdentityExtractor.extract(kind: "alias", record: node, rules: rules)) == [
                "userId:507f191e81 @userId", "anonymousId:507f191e810c19729de860ea @anonymousId",
                "anonymousId:39239-239239-239239-23923 @previousId",
            ])
        let minimal = try record("segment/segment-docs/http-api__alias.json")
        let asUser = IdentityRules(aliasPreviousIDNamespace: "userId")
        #expect(
            found(IdentityExtractor.extract(kind: "alias", record: minimal, rules: asUser)) == [
                "userId:019mr8mf4r @userId", "userId:39239-239239-239239-23923 @previousId",
            ])
    }

    @Test("group: groupId is the account, and the group's traits are not the person's")
    func group() throws {
        let extraction = IdentityExtractor.extract(
            kind: "group", record: try record("segment/segment-docs/group__example.json"), rules: rules)
        #expect(extraction.accountID == "0e8c78ea9d97a7b8185e8632")
        #expect(extraction.identities.map(\.namespace) == ["userId", "anonymousId"])
        let withEmail = try record(json: #"{"userId":"u","groupId":"g1","traits":{"email":"sales@initech.com"}}"#)
        #expect(
            found(IdentityExtractor.extract(kind: "group", record: withEmail, rules: rules)) == ["userId:u @userId"])
    }

    @Test("device and advertising ids, and a track's context.groupId as its account")
    func deviceIDs() throws {
        let node = try record("segment/segment-docs/common__structure.json")
        let extraction = IdentityExtractor.extract(kind: "track", record: node, rules: rules)
        #expect(found(extraction).contains("deviceId:B5372DB0-C21E-11E4-8DFC-AA07A5B093DB @context.device.id"))
        #expect(
            found(extraction).contains(
                "advertisingId:7A3CBEA0-BDF5-11E4-8DFC-AA07A5B093DB @context.device.advertisingId"))
        #expect(extraction.accountID == "12345")
        let folded = IdentityExtractor.extract(
            kind: "track", record: node, rules: IdentityRules(advertisingIDNamespace: "deviceId"))
        #expect(folded.identities.filter { $0.namespace == "deviceId" }.count == 2)
    }

    @Test("context.externalIds: type names the namespace; an encoding makes its own")
    func externalIDs() throws {
        let node = try record(
            json: """
                {"type":"identify","userId":"u1","traits":{"phone":"(415) 555-0132"},
                 "context":{"traits":{"email":"u1@example.com"},"externalIds":[
                  {"id":"L-77","type":"loyaltyId","collection":"users","encoding":"none"},
                  {"id":"C-9","type":"crm_id","collection":"users","encoding":"none"},
                  {"id":"5e8f","type":"email","collection":"users","encoding":"sha256"},
                  {"id":"z-1","type":"Zendesk Id","collection":"users"},
                  {"id":12345,"type":"ECID"},
                  {"type":"loyaltyId"}]}}
                """)
        #expect(
            found(IdentityExtractor.extract(kind: "identify", record: node, rules: rules)) == [
                "userId:u1 @userId", "phone:(415) 555-0132 @traits.phone", "email:u1@example.com @context.traits.email",
                "loyaltyId:L-77 @context.externalIds[0]", "crmId:C-9 @context.externalIds[1]",
                "email_sha256:5e8f @context.externalIds[2]", "Zendesk_Id:z-1 @context.externalIds[3]",
                "ecid:12345 @context.externalIds[4]",
            ])
    }

    @Test("every Segment docs example extracts without surprises")
    func allSegmentExamples() throws {
        let files = TestData.files(under: "segment/segment-docs", endingWith: ".json")
        #expect(files.count > 100)
        var identities = 0
        for file in files {
            let node = try record(file)
            guard let kind = node.member("type")?.string else { continue }
            let extraction = IdentityExtractor.extract(kind: kind, record: node, rules: rules)
            for item in extraction.identities {
                #expect(Namespace.isValidName(item.namespace), "\(file)")
                #expect(!item.value.isEmpty, "\(file)")
            }
            identities += extraction.identities.count
        }
        #expect(identities > 50)
    }

    @Test("the XDM profile example: identityMap codes and the person's email and phone fields")
    func xdmProfile() throws {
        let node = try record("xdm/components/classes/profile.example.1.json")
        let extraction = IdentityExtractor.extract(kind: "xdm.profile", record: node, rules: rules)
        #expect(
            found(extraction) == [
                "ecid:92312748749128 @xdm:identityMap.ECID[0]", "email:jane@doe.com @xdm:identityMap.EMAIL[0]",
                "email:jsmith@xyzinc.com @xdm:workEmail.xdm:address",
                "phone:1-408-888-8888 @xdm:mobilePhone.xdm:number",
            ])
        let normalised = IdentityNormalizer(rules: rules, phones: FakePhones()).normalise(extraction)
        #expect(
            normalised.identities.map(\.description) == [
                "email:jane@doe.com", "email:jsmith@xyzinc.com", "phone:+14088888888",
            ])
        #expect(normalised.invalid.map(\.reason) == ["an ECID has exactly 38 digits"])
    }

    @Test("namespace URIs map to Adobe's standard namespaces")
    func namespaceURIs() throws {
        let map = String(
            decoding: try TestData.bytes("xdm/components/fieldgroups/shared/identitymap.example.1.json"), as: UTF8.self)
        let node = try record(json: #"{"identityMap":"# + map + "}")
        #expect(
            found(IdentityExtractor.extract(kind: "xdm.event", record: node, rules: rules)) == [
                "ecid:92312748749128 @identityMap.https://data.adobe.io/entities/namespace/4[0]",
                "ecid:92312748749239 @identityMap.https://data.adobe.io/entities/namespace/4[1]",
                "aaid:2394509340-30453470347 @identityMap.https://data.adobe.io/entities/namespace/10[0]",
                "tntid:1233ce17-20e0-4a2c-8198-2a77fd60cf4d @identityMap.https://data.adobe.io/entities/namespace/9[0]",
            ])
    }

    @Test("namespace codes: standard, case-insensitive, configured, and unknown ones sanitised")
    func namespaceCodes() {
        let configured = IdentityRules(
            customNamespaces: [.init(name: "lumaCRMId")], xdmNamespaceCodes: ["LUMA": "crmId"])
        let cases: [(String, String?)] = [
            ("ECID", "ecid"), ("Email", "email"), ("EMAIL", "email"), ("Phone", "phone"), ("CRMID", "crmId"),
            ("CRM", "crmId"), ("AAID", "aaid"), ("GAID", "advertisingId"), ("IDFA", "advertisingId"),
            ("luma", "crmId"), ("LUMACRMID", "lumaCRMId"), ("loyalty_id", "loyaltyId"),
            ("https://data.adobe.io/entities/namespace/6", "email"),
            ("https://data.adobe.io/entities/namespace/7", "phone"),
            ("https://data.adobe.io/entities/namespace/Email", "email"), ("Email_LC_SHA256", "Email_LC_SHA256"),
            ("my ns/é", "my_ns___"), ("///", nil),
        ]
        for (code, expected) in cases {
            #expect(XDMNamespaces.namespace(forCode: code, rules: configured) == expected, "\(code)")
        }
    }

    @Test("the Web SDK event keeps unknown codes as custom namespaces; logged-out identities are skipped")
    func webSDKEvent() throws {
        let node = try record("xdm/extensions/adobe/experience/aep-web-sdk-experienceevent.example.1.json")
        let extraction = IdentityExtractor.extract(kind: "xdm.event", record: node, rules: rules)
        #expect(extraction.identities.map(\.namespace) == ["Email_LC_SHA256", "HYP"])
        let loggedOut = try record(
            json: """
                {"identityMap":{"ECID":[{"id":"1","authenticatedState":"loggedOut"},
                                        {"id":"2","authenticatedState":"authenticated"}]}}
                """)
        #expect(
            found(IdentityExtractor.extract(kind: "xdm.event", record: loggedOut, rules: rules)) == [
                "ecid:2 @identityMap.ECID[1]"
            ])
    }

    @Test("userAccount.ID, plain and prefixed person fields, and accounts that name no person")
    func xdmFieldsAndAccounts() throws {
        let account = try record("xdm/components/fieldgroups/profile/profile-user-account-details.example.1.json")
        #expect(
            found(IdentityExtractor.extract(kind: "xdm.profile", record: account, rules: rules)) == [
                "userId:X87321 @xdm:userAccount.xdm:ID"
            ])
        let plain = try record(
            json: #"{"personalEmail":{"address":"a@example.com"},"homePhone":{"number":"+1 212 555 0100"}}"#)
        #expect(
            found(IdentityExtractor.extract(kind: "xdm.profile", record: plain, rules: rules)) == [
                "email:a@example.com @personalEmail.address", "phone:+1 212 555 0100 @homePhone.number",
            ])
        let business = try record("xdm/components/classes/b2b/account.example.1.json")
        let extraction = IdentityExtractor.extract(kind: "xdm.account", record: business, rules: rules)
        #expect(extraction.identities.isEmpty)
        #expect(extraction.accountID == "1234567890")
    }

    @Test("records of other kinds, and non-objects, name nobody")
    func otherKinds() throws {
        let node = try record("segment/segment-docs/identify__example.json")
        #expect(IdentityExtractor.extract(kind: "unknown", record: node, rules: rules) == Extraction())
        #expect(
            IdentityExtractor.extract(kind: "identify", record: try record(json: "[1]"), rules: rules) == Extraction())
    }
}
