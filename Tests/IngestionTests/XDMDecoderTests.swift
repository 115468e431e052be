import Ingestion
import JSONParsing
import TesseraCore
import Testing

private let received = Timestamp(milliseconds: 1_764_720_000_000)

private func decode(_ json: String) throws -> DecodedRequest {
    let document = try JSONParser().parse(Array(json.utf8))
    return try XDMDecoder().decode(document, receivedAt: received)
}

@Suite struct XDMDecoderTests {
    @Test("an ExperienceEvent with prefixed keys is recognised, with its id, time and event type")
    func prefixedEvent() throws {
        let request = try decode(
            #"{"@id":"evt-1","xdm:timestamp":"2017-09-26T15:52:25+00:00","xdm:eventType":"commerce.purchases","#
                + #""xdm:identityMap":{"ECID":[{"xdm:id":"123","xdm:authenticatedState":"ambiguous","#
                + #""xdm:primary":true}]}}"#
        )
        let record = try #require(request.records.first)
        #expect(record.kind == "xdm.event")
        #expect(record.messageID == "evt-1")
        #expect(record.eventName == "commerce.purchases")
        #expect(record.timestamp.iso8601 == "2017-09-26T15:52:25.000Z")
    }

    @Test("a profile with plain keys is recognised and kept whole")
    func plainProfile() throws {
        let json =
            #"{"_id":"p1","identityMap":{"EMAIL":[{"id":"jane@example.com"}]},"person":{"name":{"firstName":"Jane"}}}"#
        let record = try #require(try decode(json).records.first)
        #expect(record.kind == "xdm.profile")
        #expect(try JSONValue(parsing: record.body) == JSONValue(parsing: Array(json.utf8)))
    }

    @Test("the streaming envelope's schemaRef names the class")
    func envelope() throws {
        let json =
            #"{"header":{"imsOrgId":"x"},"#
            + #""body":{"xdmMeta":{"schemaRef":{"id":"https://ns.adobe.com/xdm/context/profile","#
            + #""contentType":"application/vnd.adobe.xed-full+json;version=1"}},"#
            + #""xdmEntity":{"userAccount":{"ID":"1"}}}}"#
        let record = try #require(try decode(json).records.first)
        #expect(record.kind == "xdm.profile")
        #expect(try JSONValue(parsing: record.body) == ["userAccount": ["ID": "1"]])
    }

    @Test("B2B records are recognised by their identifying fields")
    func b2b() throws {
        let request = try decode(
            #"{"records":[{"xdm:accountID":"1"},{"xdm:opportunityContactID":"2","#
                + #""xdm:opportunityID":"3"},{"xdm:opportunityID":"4"}]}"#
        )
        #expect(request.records.map(\.kind) == ["xdm.account", "xdm.opportunity-contact-role", "xdm.opportunity"])
    }

    @Test(
        "malformed identityMaps and classless records are refused with the field at fault",
        arguments: [
            (#"{"identityMap":[1]}"#, Rejection.Code.invalidIdentityMap, "identityMap"),
            (#"{"identityMap":{"ECID":{"id":"1"}}}"#, .invalidIdentityMap, "identityMap.ECID"),
            (#"{"identityMap":{"ECID":[{"primary":true}]}}"#, .invalidIdentityMap, "identityMap.ECID[0].id"),
            (#"{"identityMap":{"ECID":[{"id":""}]}}"#, .invalidIdentityMap, "identityMap.ECID[0].id"),
            (
                #"{"identityMap":{"ECID":[{"id":"1","authenticatedState":"maybe"}]}}"#, .invalidIdentityMap,
                "identityMap.ECID[0].authenticatedState"
            ),
            (
                #"{"identityMap":{"ECID":[{"id":"1","primary":"yes"}]}}"#, .invalidIdentityMap,
                "identityMap.ECID[0].primary"
            ),
            (#"{"xdm:type":"browser","colour":"blue"}"#, .unknownXDMClass, nil),
            (#"{"eventType":"x","timestamp":"soon"}"#, .invalidTimestamp, "timestamp"),
            (#"{"eventType":7}"#, .wrongType, "eventType"),
            (#"{"header":{},"body":{"xdmMeta":{}}}"#, .missingField, "body.xdmEntity"),
        ] as [(String, Rejection.Code, String?)])
    func refusesMalformed(json: String, code: Rejection.Code, field: String?) throws {
        let request = try decode(json)
        #expect(request.records.isEmpty)
        let rejection = try #require(request.rejections.first).rejection
        #expect(rejection.code == code)
        #expect(rejection.field == field)
    }

    @Test("records lists report refused records by index and keep the rest")
    func partialRecords() throws {
        let request = try decode(
            #"{"records":[{"eventType":"a"},{"identityMap":5},{"personalEmail":{"address":"a@example.com"}}]}"#)
        #expect(request.records.map(\.kind) == ["xdm.event", "xdm.profile"])
        #expect(request.rejections.map { $0.rejection.index } == [1])
    }
}
