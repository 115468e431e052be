import Identity
import Testing

@Suite struct IdentityNormalizerTests {
    let normalizer = IdentityNormalizer(rules: .defaults, phones: FakePhones())

    static let emailsCases: [(raw: String, expected: String?)] = [
        (" Jane.Doe@Example.COM ", "jane.doe@example.com"),
        ("peter@example.com", "peter@example.com"),
        ("o'brien+tag@mail.example.co.uk", "o'brien+tag@mail.example.co.uk"),
        ("ÉLODIE@Exemple.fr", "élodie@exemple.fr"),
        ("jane", nil),
        ("jane@", nil),
        ("@example.com", nil),
        ("jane@doe@example.com", nil),
        ("jane@localhost", nil),
        ("jane@example..com", nil),
        ("jane@.example.com", nil),
        ("jane@example.com.", nil),
        ("jane doe@example.com", nil),
    ]

    @Test("emails are trimmed, lower-cased and validated", arguments: emailsCases)
    func emails(_ raw: String, _ expected: String?) {
        let result = normalizer.normalise(namespace: "email", value: raw)
        if let expected {
            #expect(result == .identity(Identity(namespace: "email", value: expected)))
        } else {
            guard case .invalid(let reason) = result else {
                Issue.record("expected invalid, got \(result)")
                return
            }
            #expect(!reason.contains(raw.trimmingPrefix(" ")), "reasons never quote the value")
        }
    }

    static let phonesCases: [(raw: String, region: String, expected: String?)] = [
        ("(415) 555-0132", "US", "+14155550132"),
        ("1-408-888-8888", "US", "+14088888888"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("020 7946 0958", "US", nil),
        ("12", "US", nil),
    ]

    @Test("phones go to E.164 through the phone normaliser, from the configured region", arguments: phonesCases)
    func phones(_ raw: String, _ region: String, _ expected: String?) {
        let normalizer = IdentityNormalizer(rules: IdentityRules(defaultPhoneRegion: region), phones: FakePhones())
        let result = normalizer.normalise(namespace: "phone", value: raw)
        #expect(
            result
                == (expected.map { .identity(Identity(namespace: "phone", value: $0)) }
                    ?? .invalid("not a valid phone number")))
    }

    static let ecidsCases: [(raw: String, valid: Bool)] = [
        ("00497781304058976192356650736267671594", true),
        (" 00497781304058976192356650736267671594 ", true),
        ("0049778130405897619235665073626767159", false),
        ("004977813040589761923566507362676715941", false),
        ("0049778130405897619235665073626767159A", false),
        ("92312748749128", false),
    ]

    @Test("an ECID is exactly 38 digits", arguments: ecidsCases)
    func ecids(_ raw: String, _ valid: Bool) {
        let result = normalizer.normalise(namespace: "ecid", value: raw)
        if valid {
            #expect(result == .identity(Identity(namespace: "ecid", value: "00497781304058976192356650736267671594")))
        } else {
            #expect(result == .invalid("an ECID has exactly 38 digits"))
        }
    }

    static let blockedCases = [
        "", "   ", "null", " NULL ", "undefined", "Anonymous", "0", "-1", "unknown", "none", "N/A", "test",
        "00000000-0000-0000-0000-000000000000",
    ]

    @Test("placeholder values are blocked in every namespace, ignoring case and spaces", arguments: blockedCases)
    func blockedValues(_ raw: String) {
        for namespace in ["userId", "anonymousId", "email", "phone", "crmId", "advertisingId"] {
            #expect(normalizer.normalise(namespace: namespace, value: raw) == .blocked, "\(namespace)")
        }
    }

    @Test("the blocked list is configurable")
    func configurableBlockedValues() {
        let rules = IdentityRules(blockedValues: ["guest-user"])
        let normalizer = IdentityNormalizer(rules: rules, phones: FakePhones())
        #expect(normalizer.normalise(namespace: "userId", value: " Guest-User ") == .blocked)
        #expect(normalizer.normalise(namespace: "userId", value: "null") == .identity(Identity("userId:null")))
    }

    @Test("ids are trimmed and keep their case; advertising ids are lower-cased")
    func ids() {
        #expect(normalizer.normalise(namespace: "userId", value: " AbC-123\t") == .identity(Identity("userId:AbC-123")))
        #expect(normalizer.normalise(namespace: "crmId", value: "0012345") == .identity(Identity("crmId:0012345")))
        #expect(
            normalizer.normalise(namespace: "advertisingId", value: "7A3CBEA0-BDF5-11E4-8DFC-AA07A5B093DB")
                == .identity(Identity("advertisingId:7a3cbea0-bdf5-11e4-8dfc-aa07a5b093db")))
    }

    @Test("custom namespaces use their declared format; undeclared ones are accepted only when allowed")
    func customNamespaces() {
        let rules = IdentityRules(customNamespaces: [.init(name: "cardNumber", format: .digits)])
        let normalizer = IdentityNormalizer(rules: rules, phones: FakePhones())
        #expect(
            normalizer.normalise(namespace: "cardNumber", value: "4000 1234-5678")
                == .identity(Identity("cardNumber:400012345678")))
        #expect(
            normalizer.normalise(namespace: "cardNumber", value: "4000x")
                == .invalid("only digits, spaces and dashes are allowed"))
        #expect(normalizer.normalise(namespace: "tntid", value: " x ") == .identity(Identity("tntid:x")))
        let closed = IdentityNormalizer(rules: IdentityRules(acceptsUndeclaredNamespaces: false), phones: FakePhones())
        #expect(closed.normalise(namespace: "tntid", value: "x") == .invalid("unknown namespace"))
        #expect(normalizer.normalise(namespace: "bad name", value: "x") == .invalid("unknown namespace"))
    }

    @Test("control characters and oversized values are invalid everywhere")
    func unsafeValues() {
        #expect(normalizer.normalise(namespace: "userId", value: "a\u{0}b") == .invalid("control character in value"))
        #expect(
            normalizer.normalise(namespace: "userId", value: "a\u{1B}[31m") == .invalid("control character in value"))
        let long = String(repeating: "x", count: IdentityNormalizer.maximumValueLength + 1)
        #expect(normalizer.normalise(namespace: "userId", value: long) == .invalid("value too long"))
    }

    @Test("normalising an extraction keeps distinct identities and sorts out the rest")
    func extraction() {
        let extraction = Extraction(identities: [
            ExtractedIdentity(namespace: "email", value: "Jane@Example.com", field: "traits.email"),
            ExtractedIdentity(namespace: "email", value: "jane@example.com ", field: "context.traits.email"),
            ExtractedIdentity(namespace: "userId", value: "undefined", field: "userId"),
            ExtractedIdentity(namespace: "phone", value: "12", field: "traits.phone"),
        ])
        let result = normalizer.normalise(extraction)
        #expect(result.identities == [Identity("email:jane@example.com")])
        #expect(result.blocked.map(\.field) == ["userId"])
        #expect(result.invalid.map(\.found.field) == ["traits.phone"])
    }

    @Test("identities print and parse as namespace:value, and order by namespace then value")
    func identityText() {
        let identity = Identity(namespace: "cookieId", value: "a:b:c")
        #expect(identity.description == "cookieId:a:b:c")
        #expect(Identity(parsing: "cookieId:a:b:c") == identity)
        #expect(Identity(parsing: "cookieId:") == nil)
        #expect(Identity(parsing: ":x") == nil)
        #expect(Identity(parsing: "novalue") == nil)
        #expect(Identity("email:b@x.com") < Identity("email:c@x.com"))
        #expect(Identity("anonymousId:z") < Identity("email:a@x.com"))
    }
}
