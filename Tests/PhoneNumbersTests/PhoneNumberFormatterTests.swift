import PhoneNumbers
import Testing

@Suite struct PhoneNumberFormatterTests {
    let formatter = PhoneNumberFormatter()

    struct Case: Sendable, CustomTestStringConvertible {
        var raw: String
        var region: String
        var expected: String?
        var testDescription: String { "\(raw) from \(region)" }
    }

    static let valid: [Case] = [
        Case(raw: "+1 (415) 555-0132", region: "US", expected: "+14155550132"),
        Case(raw: "(415) 555-0132", region: "US", expected: "+14155550132"),
        Case(raw: "415.555.0132", region: "us", expected: "+14155550132"),
        Case(raw: "1-408-888-8888", region: "US", expected: "+14088888888"),
        Case(raw: "+44 20 7946 0958", region: "ZZ", expected: "+442079460958"),
        Case(raw: "020 7946 0958", region: "GB", expected: "+442079460958"),
        Case(raw: "0044 20 7946 0958", region: "DE", expected: "+442079460958"),
        Case(raw: "030 901820", region: "DE", expected: "+4930901820"),
        Case(raw: "+49 (0)30 901820", region: "US", expected: "+4930901820"),
        Case(raw: "06 12 34 56 78", region: "FR", expected: "+33612345678"),
        Case(raw: "+33 6 12 34 56 78", region: "", expected: "+33612345678"),
        Case(raw: "090-1234-5678", region: "JP", expected: "+819012345678"),
        Case(raw: "tel:+1-415-555-0132", region: "US", expected: "+14155550132"),
    ]

    @Test("writes numbers typed in many formats and regions in E.164", arguments: valid)
    func formatsValidNumbers(_ item: Case) throws {
        #expect(formatter.e164(item.raw, defaultRegion: item.region) == item.expected)
        #expect(try formatter.format(item.raw, defaultRegion: item.region) == item.expected)
    }

    static let failures: [(raw: String, region: String, code: PhoneNumberError.Code)] = [
        ("not a phone", "US", .notANumber),
        ("", "US", .notANumber),
        ("12", "US", .invalidNumber),
        ("555-0132", "US", .invalidNumber),
        ("+1 415 555 01329999", "US", .invalidNumber),
        ("(415) 555-0132", "ZZ", .invalidRegion),
        ("415 555 0132", "USA", .invalidRegion),
        ("+1 415\u{0}555 0132", "US", .notANumber),
        (String(repeating: "5", count: 300), "US", .notANumber),
    ]

    @Test("refuses what is not a valid number, with a typed reason", arguments: 0..<failures.count)
    func refusesInvalidNumbers(_ index: Int) {
        let item = Self.failures[index]
        #expect(formatter.e164(item.raw, defaultRegion: item.region) == nil)
        #expect(throws: PhoneNumberError(item.code)) {
            try formatter.format(item.raw, defaultRegion: item.region)
        }
    }

    @Test("error descriptions never quote the number")
    func descriptionsAreConstant() throws {
        let error = try #require(throws: PhoneNumberError.self) {
            try formatter.format("call 0800 SECRET", defaultRegion: "ZZ")
        }
        #expect(!error.description.contains("SECRET"))
        #expect(!error.description.contains("0800"))
    }

    @Test("cached answers, failures included, match fresh ones and the cache stays bounded")
    func cacheIsBoundedAndConsistent() {
        let small = PhoneNumberFormatter(cacheCapacity: 8)
        for round in 0..<3 {
            for number in 0..<20 {
                let raw = "(415) 555-01\(number < 10 ? "0" : "")\(number)"
                let fresh = formatter.e164(raw, defaultRegion: "US")
                #expect(small.e164(raw, defaultRegion: "US") == fresh, "round \(round)")
            }
            #expect(small.e164("garbage", defaultRegion: "US") == nil)
        }
        #expect(small.cachedAnswers <= 8)
        let uncached = PhoneNumberFormatter(cacheCapacity: 0)
        #expect(uncached.e164("+14155550132", defaultRegion: "ZZ") == "+14155550132")
        #expect(uncached.cachedAnswers == 0)
    }

    @Test("many threads at once get the same answers as one thread")
    func concurrentCallsAgree() async {
        PhoneNumberFormatter.prepare()
        let shared = PhoneNumberFormatter(cacheCapacity: 64)
        let numbers = (0..<200).map { "+1 415 555 \(1000 + $0)" }
        let expected = numbers.map { formatter.e164($0, defaultRegion: "US") }
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    numbers.indices.allSatisfy { shared.e164(numbers[$0], defaultRegion: "US") == expected[$0] }
                }
            }
            for await agreed in group { #expect(agreed) }
        }
    }
}
