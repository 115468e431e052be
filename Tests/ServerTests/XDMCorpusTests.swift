import Foundation
import JSONParsing
import TesseraCore
import TesseraTesting
import Testing

/// Sends the adobe/xdm example documents through `/v1/xdm`.
///
/// Class and field-group examples are records (or parts of one) and must be accepted; data-type
/// examples are values that live inside a record, so each is sent at its place in an ExperienceEvent
/// or a Profile. An identityMap example is sent as the identityMap of a profile.
@Suite struct XDMCorpusTests {
    static let profile = "https://ns.adobe.com/xdm/context/profile"
    static let experienceEvent = "https://ns.adobe.com/xdm/context/experienceevent"

    /// Where each data-type example sits inside a record: (class, path of keys).
    static let placements: [String: (String, [String])] = [
        "components/datatypes/b2b/organization.example.1.json": (profile, ["xdm:organizations", "0"]),
        "components/datatypes/consent/consent-preferences.example.1.json": (profile, ["xdm:consentsAndPreferences"]),
        "components/datatypes/consent/consentstring.example.1.json": (experienceEvent, ["xdm:consentStrings", "0"]),
        "components/datatypes/consent/marketing-field-basic.example.1.json": (
            profile, ["xdm:consents", "xdm:marketing", "xdm:email"]
        ),
        "components/datatypes/consent/marketing-field-subscription.example.1.json": (
            profile, ["xdm:consents", "xdm:marketing", "xdm:push"]
        ),
        "components/datatypes/data/order.example.1.json": (experienceEvent, ["xdm:commerce", "xdm:order"]),
        "components/datatypes/device.example.1.json": (experienceEvent, ["xdm:device"]),
        "components/datatypes/environment.example.1.json": (experienceEvent, ["xdm:environment"]),
        "components/datatypes/identity.example.1.json": (
            experienceEvent, ["xdm:endUserIDs", "xdm:_experience", "xdm:aaid"]
        ),
        "components/datatypes/identityitem.example.1.json": (profile, ["xdm:identityMap", "ECID", "0"]),
        "components/datatypes/marketing/commerce.example.1.json": (experienceEvent, ["xdm:commerce"]),
        "components/datatypes/productlistitem.example.1.json": (experienceEvent, ["xdm:productListItems", "0"]),
        "components/datatypes/productlistitem.example.2.json": (experienceEvent, ["xdm:productListItems", "0"]),
        "components/datatypes/webinfo.example.1.json": (experienceEvent, ["xdm:web"]),
        "components/datatypes/webinfo.example.2.json": (experienceEvent, ["xdm:web"]),
        "components/fieldgroups/shared/identitymap.example.1.json": (profile, ["xdm:identityMap"]),
        "components/fieldgroups/shared/identitymap.example.2.json": (profile, ["xdm:identityMap"]),
    ]

    /// The class a field-group example extends, read from its sibling schema's `meta:intendedToExtend`.
    static func extendedClass(of file: String) throws -> String? {
        let schemaPath = file.replacingOccurrences(
            of: #"\.example\.\d+\.json$"#, with: ".schema.json", options: .regularExpression)
        let schema = try JSONValue(parsing: TestData.bytes(schemaPath))
        if let id = schema["$id"]?.stringValue, [profile, experienceEvent].contains(id) { return id }
        let extends = schema["meta:intendedToExtend"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return extends.first { $0 == profile || $0 == experienceEvent }
    }

    static func nest(_ value: JSONValue, at path: ArraySlice<String>) -> JSONValue {
        guard let key = path.first else { return value }
        let inner = nest(value, at: path.dropFirst())
        return Int(key) != nil ? .array([inner]) : .object([key: inner])
    }

    static func envelope(_ entity: JSONValue, schema: String) -> JSONValue {
        [
            "header": ["schemaRef": ["id": .string(schema)]],
            "body": ["xdmMeta": ["schemaRef": ["id": .string(schema)]], "xdmEntity": entity],
        ]
    }

    @Test("every example document is accepted, as a record or at its place inside one")
    func acceptsExamples() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let files = TestData.files(under: "xdm", endingWith: ".json").filter { $0.contains(".example.") }
        #expect(files.count == 57)
        var sent = 0
        var ids: [String] = []
        for file in files {
            let document = try JSONValue(parsing: TestData.bytes(file))
            let body: JSONValue
            if let (schema, path) = XDMCorpusTests.placements[String(file.dropFirst("xdm/".count))] {
                body = XDMCorpusTests.envelope(XDMCorpusTests.nest(document, at: path[...]), schema: schema)
            } else if let schema = try XDMCorpusTests.extendedClass(of: file) {
                body = XDMCorpusTests.envelope(document, schema: schema)
            } else {
                body = document
            }
            if let id = (body["body"]?["xdmEntity"] ?? body)["@id"]?.stringValue { ids.append(id) }
            let answer = try await server.send("POST", "/v1/xdm", body: body.serialized)
            #expect(answer.status == 200, "\(file): \(answer.text)")
            sent += 1
        }
        let events = try await server.allEvents()
        // Some examples share an `@id`; a repeated id is acknowledged and stored once.
        #expect(events.count == sent - (ids.count - Set(ids).count))
        let kinds = Set(events.compactMap { $0["type"]?.stringValue })
        #expect(kinds.isSuperset(of: ["xdm.profile", "xdm.event", "xdm.account", "xdm.opportunity"]))
    }

    @Test("a bare class example is accepted as sent, with its class recognised from its fields")
    func bareClassExamples() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let expectations = [
            "xdm/components/classes/profile.example.1.json": "xdm.profile",
            "xdm/components/classes/experienceevent.example.1.json": "xdm.event",
            "xdm/extensions/adobe/experience/aep-web-sdk-experienceevent.example.1.json": "xdm.event",
            "xdm/components/classes/b2b/opportunity-person.example.1.json": "xdm.opportunity-person",
            "xdm/components/classes/consentpolicy.example.1.json": "xdm.consent-policy",
        ]
        for (file, kind) in expectations.sorted(by: { $0.key < $1.key }) {
            let answer = try await server.send("POST", "/v1/xdm", bytes: try TestData.bytes(file))
            #expect(answer.status == 200, "\(file)")
            let last = try await server.allEvents().last
            #expect(last?["type"] == .string(kind), "\(file)")
            #expect(last?["record"] == (try JSONValue(parsing: TestData.bytes(file))), "kept whole")
        }
    }

    @Test("a malformed identityMap and a record of no known class get a clear 400")
    func refusesMalformed() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let badMap = try await server.send(
            "POST", "/v1/xdm", body: #"{"xdm:identityMap":{"ECID":[{"xdm:primary":true}]}}"#)
        #expect(badMap.status == 400)
        #expect(badMap.json["error"]?["code"] == "invalid_identity_map")
        #expect(badMap.json["error"]?["field"] == "identityMap.ECID[0].id")
        let device = try await server.send(
            "POST", "/v1/xdm", bytes: try TestData.bytes("xdm/components/datatypes/device.example.1.json"))
        #expect(device.status == 400)
        #expect(device.json["error"]?["code"] == "unknown_xdm_class")
    }
}
