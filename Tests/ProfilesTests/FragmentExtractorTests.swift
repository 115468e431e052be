import Foundation
import JSONParsing
import Profiles
import TesseraCore
import TesseraTesting
import Testing

@Suite struct FragmentExtractorTests {
    let time = at(0)

    /// The paths and values of a list of updates.
    func attributes(_ updates: [AttributeUpdate]) -> [String: JSONValue] {
        Dictionary(updates.map { ($0.path, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    @Test("identify traits become dotted paths with the record's time")
    func identifyExample() throws {
        let record = try fixture("segment/segment-docs/identify__example.json")
        let extracted = FragmentExtractor.extract(kind: "identify", record: record, time: time)
        #expect(extracted.account == nil)
        #expect(
            attributes(extracted.person) == [
                "name": "Peter Gibbons", "email": "peter@example.com", "plan": "premium", "logins": 5,
                "address.street": "6th St", "address.city": "San Francisco", "address.state": "CA",
                "address.postalCode": "94103", "address.country": "USA",
            ])
        #expect(extracted.person.allSatisfy { $0.time == time })
    }

    @Test(
        "the best-practice identify examples give their traits and nothing else",
        arguments: [
            (
                "full-user-registration", "identify",
                [
                    "address.city", "address.country", "address.postalCode",
                    "address.state", "address.street", "phone",
                ]
            ),
            ("merging-identified-and-anonymous-user-profiles", "identify", ["email", "name", "plan"]),
            ("merging-identified-and-anonymous-user-profiles-2", "track", []),
            ("soft-user-registration", "page", []),
            ("soft-user-registration-2", "identify", ["email", "firstName", "lastName"]),
        ])
    func bestPractices(name: String, kind: String, paths: [String]) throws {
        let record = try fixture("segment/segment-docs/best-practices-identify__\(name).json")
        let extracted = FragmentExtractor.extract(kind: kind, record: record, time: time)
        #expect(extracted.person.map(\.path).sorted() == paths)
    }

    @Test("group traits describe the account, not the person")
    func groupExample() throws {
        let record = try fixture("segment/segment-docs/group__example.json")
        let extracted = FragmentExtractor.extract(kind: "group", record: record, time: time)
        #expect(extracted.person.isEmpty)
        let account = try #require(extracted.account)
        #expect(account.id == "0e8c78ea9d97a7b8185e8632")
        #expect(
            attributes(account.updates) == [
                "name": "Initech", "industry": "Technology", "employees": 329, "plan": "enterprise",
                "total billed": 830,
            ])
    }

    @Test("context.traits on any call describe the person")
    func contextTraits() throws {
        let record = try fixture("segment/segment-docs/track__sending-traits-in-a-track-call-destination-actions.json")
        let extracted = FragmentExtractor.extract(kind: "track", record: record, time: time)
        #expect(attributes(extracted.person) == ["username": "testing-123"])
    }

    @Test("traits win over context.traits on the same path; arrays and nulls are single values")
    func traitsBeforeContext() throws {
        let record = try node(
            """
            {"type":"identify","traits":{"plan":"pro","tags":["a","b"],"nickname":null,"empty":{}},
             "context":{"traits":{"plan":"free","company":{"name":"Initech"}}}}
            """)
        let extracted = FragmentExtractor.extract(kind: "identify", record: record, time: time)
        #expect(extracted.person.map(\.path) == ["plan", "tags", "nickname", "company.name"])
        #expect(
            attributes(extracted.person) == [
                "plan": "pro", "tags": ["a", "b"], "nickname": nil, "company.name": "Initech",
            ])
    }

    @Test("a group call's context.traits go to the person and its traits to the account")
    func groupWithContext() throws {
        let record = try node(#"{"groupId":42,"traits":{"plan":"team"},"context":{"traits":{"role":"admin"}}}"#)
        let extracted = FragmentExtractor.extract(kind: "group", record: record, time: time)
        #expect(attributes(extracted.person) == ["role": "admin"])
        #expect(
            extracted.account
                == AccountUpdates(id: "42", updates: [AttributeUpdate(path: "plan", value: "team", time: time)]))
    }

    @Test("an XDM profile's fields are attributes without the xdm: prefix; identity fields are left out")
    func xdmProfile() throws {
        let record = try fixture("xdm/components/classes/profile.example.1.json")
        let found = attributes(FragmentExtractor.extract(kind: "xdm.profile", record: record, time: time).person)
        #expect(found["person.name.firstName"] == "Jane")
        #expect(found["person.name.fullName"] == "Jane F. Doe")
        #expect(found["person.gender"] == "female")
        #expect(found["workAddress.city"] == "San Jose")
        #expect(found["workAddress.schema:latitude"] == .double(37.3382))
        #expect(found["mobilePhone.number"] == "1-408-888-8888")
        #expect(found["optInOut.globalOptout"] == false)
        #expect(!found.keys.contains { $0.hasPrefix("identityMap") || $0.contains("xdm:") })

        let optIn = try #require(found.keys.first { $0.hasSuffix("channels/email") })
        #expect(AttributePath.keys(of: optIn) == ["optInOut", "https://ns.adobe.com/xdm/channels/email"])
        #expect(found[optIn] == "pending")

        let segments = try #require(found["segments"]?.arrayValue)
        #expect(segments.count == 2)
        #expect(segments[0]["segmentID"]?["namespace"]?["code"] == "AAM")
        #expect(segments[1]["status"] == "realized")
    }

    @Test("prefixed and plain XDM documents give the same attributes")
    func prefixedAndPlain() throws {
        let bytes = try TestData.bytes("xdm/components/classes/profile.example.1.json")
        let plainText = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"xdm:", with: "\"")
        let prefixed = try fixture("xdm/components/classes/profile.example.1.json")
        let plain = try node(plainText)
        let fromPrefixed = FragmentExtractor.extract(kind: "xdm.profile", record: prefixed, time: time)
        let fromPlain = FragmentExtractor.extract(kind: "xdm.profile", record: plain, time: time)
        #expect(fromPrefixed == fromPlain)
        #expect(fromPrefixed.person.count > 20)
    }

    @Test("XDM system fields are not attributes, at the top level only")
    func xdmSystemFields() throws {
        let record = try node(
            """
            {"_id":"r1","@id":"r2","identityMap":{"ECID":[{"id":"1"}]},"_repo":{"createDate":"x"},
             "repo:modifyDate":"y","xdm:repo":"z","_acme":{"tier":"gold"},"homeAddress":{"_id":"a1","city":"Oslo"}}
            """)
        let found = attributes(FragmentExtractor.extract(kind: "xdm.profile", record: record, time: time).person)
        #expect(found == ["_acme.tier": "gold", "homeAddress._id": "a1", "homeAddress.city": "Oslo"])
    }

    @Test("an XDM account record describes the account its accountID names")
    func xdmAccount() throws {
        let minimal = try fixture("xdm/components/classes/b2b/account.example.1.json")
        #expect(
            FragmentExtractor.extract(kind: "xdm.account", record: minimal, time: time).account
                == AccountUpdates(id: "1234567890", updates: []))

        let record = try node(
            #"{"accountID":"A-7","xdm:accountName":"Initech","accountOrganization":{"industry":"Tech"}}"#)
        let extracted = FragmentExtractor.extract(kind: "xdm.account", record: record, time: time)
        #expect(extracted.person.isEmpty)
        #expect(extracted.account?.id == "A-7")
        #expect(
            attributes(extracted.account?.updates ?? []) == [
                "accountName": "Initech", "accountOrganization.industry": "Tech",
            ])
    }

    @Test(
        "records that state no attributes give nothing",
        arguments: [
            ("xdm.event", "xdm/components/classes/experienceevent.example.1.json"),
            ("track", "segment/segment-docs/ecommerce-v2__order-completed.json"),
            ("page", "segment/segment-docs/page__example.json"),
            ("screen", "segment/segment-docs/screen__example.json"),
        ])
    func nothingStated(kind: String, path: String) throws {
        #expect(FragmentExtractor.extract(kind: kind, record: try fixture(path), time: time).isEmpty)
    }

    @Test("an imported row is traits-shaped, wrapped in traits or not")
    func imports() throws {
        let wrapped = try node(#"{"traits":{"loyalty":{"tier":"gold"}}}"#)
        let bare = try node(#"{"loyalty":{"tier":"gold"}}"#)
        let expected = [AttributeUpdate(path: "loyalty.tier", value: "gold", time: time)]
        #expect(FragmentExtractor.extract(kind: "import", record: wrapped, time: time).person == expected)
        #expect(FragmentExtractor.extract(kind: "import", record: bare, time: time).person == expected)
        #expect(FragmentExtractor.traits(bare, time: time) == expected)
    }

    @Test(
        "paths split back into the keys they were made from",
        arguments: [
            ["address", "city"], ["a.b", "c"], ["back\\slash", "x."], [""], ["", ""], ["https://ns.adobe.com/x"],
            ["ends\\", "\u{301}combining"], [".\u{301}", "é.e\u{301}"],
        ])
    func pathRoundTrip(keys: [String]) {
        #expect(AttributePath.keys(of: AttributePath.join(keys)) == keys)
    }

    @Test("plain keys join without escapes")
    func plainPaths() {
        #expect(AttributePath.join(["person", "name", "firstName"]) == "person.name.firstName")
        #expect(AttributePath.join(["a.b", "c"]) == "a\\.b.c")
    }
}
