import JSONParsing
import Profiles
import TesseraCore
import Testing

/// Consent answers read from Segment's consent context and the XDM Consents & Preferences group.
@Suite struct ConsentExtractorTests {
    @Test("the XDM consents example: profile-wide answers, lawful bases, channels and per-identity answers")
    func xdmExample() throws {
        let record = try fixture("xdm/components/fieldgroups/profile/profile-consents.example.1.json")
        let updates = ConsentExtractor.extract(
            kind: "xdm.profile", record: record, time: at(0), configuration: .standard)
        let profileWide = updates.filter { $0.identity == nil }
        let metadataTime = Timestamp(milliseconds: 1_546_357_945_000)
        #expect(
            profileWide == [
                ConsentUpdate(purpose: "collect", value: .yes, time: metadataTime, basis: "vitalInterest"),
                ConsentUpdate(purpose: "share", value: .yes, time: metadataTime),
                ConsentUpdate(purpose: "personalize", value: .yes, time: metadataTime),
                ConsentUpdate(purpose: "marketing", value: .yes, time: metadataTime),
                ConsentUpdate(purpose: "marketing.email", value: .yes, time: metadataTime),
            ])
        let push = updates.first {
            $0.identity == "ECID:12345678-abcdef09-87654321-fedcba90" && $0.purpose == "marketing.push"
        }
        #expect(push?.value == .no && push?.time == Timestamp(milliseconds: 1_601_427_753_000), "its own time wins")
        #expect(updates.contains { $0.identity == "email:johnny@company.com" && $0.value == .no })
        #expect(updates.filter { $0.identity != nil }.count == 6)
    }

    @Test(
        "XDM choice values",
        arguments: [
            ("y", ConsentValue.yes, nil), ("n", .no, nil), ("p", .unknown, nil), ("u", .unknown, nil),
            ("dy", .yes, "default"), ("dn", .no, "default"), ("LI", .yes, "legitimateInterest"),
            ("CT", .yes, "contract"),
        ] as [(String, ConsentValue, String?)])
    func choiceValues(text: String, value: ConsentValue, basis: String?) {
        let parsed = ConsentValue.parse(xdm: text)
        #expect(parsed?.value == value && parsed?.basis == basis)
        #expect(ConsentValue.parse(xdm: "maybe") == nil)
    }

    @Test("Segment categoryPreferences map categories to purposes; unknown categories and non-booleans are ignored")
    func segment() throws {
        let record = try node(
            #"""
            {"type": "track", "event": "Segment Consent Preference Updated", "userId": "u-1",
             "context": {"consent": {"categoryPreferences": {"Advertising": false, "Analytics": true,
                                                              "Email": true, "Unheard": true, "SMS": "yes"}}}}
            """#)
        let updates = ConsentExtractor.extract(kind: "track", record: record, time: at(5), configuration: .standard)
        #expect(
            updates.map { "\($0.purpose)=\($0.value.rawValue)" } == [
                "collect=y", "marketing=n", "marketing.email=y", "share=n",
            ])
        #expect(updates.allSatisfy { $0.time == at(5) && $0.identity == nil })
        let none = try node(#"{"type": "track", "event": "x", "context": {"consent": {}}}"#)
        #expect(ConsentExtractor.extract(kind: "track", record: none, time: at(0), configuration: .standard).isEmpty)
    }

    @Test("effective answers: the purpose's own, then its parent's, then the configured default")
    func effective() {
        let configuration = ConsentConfiguration.standard
        #expect(configuration.effective("marketing.email", answers: [:]) == .no, "marketing is denied until answered")
        #expect(configuration.effective("marketing.email", answers: ["marketing": .yes]) == .yes)
        #expect(
            configuration.effective("marketing.email", answers: ["marketing": .yes, "marketing.email": .no]) == .no)
        #expect(configuration.effective("collect", answers: [:]) == .yes)
        #expect(configuration.effective("collect", answers: ["collect": .unknown]) == .yes)
        #expect(configuration.effective("share", answers: [:]) == .unknown)
    }
}
