import Profiles
import TesseraCore
import Testing

@Suite struct ProfileFragmentsTests {
    let web: Int64 = 1
    let crm: Int64 = 2

    @Test("applying reports what changed; repeating the same update changes nothing")
    func changes() {
        var fragments = ProfileFragments()
        let first = [update("email", "a@example.com", 10), update("plan", "free", 10)]
        #expect(fragments.apply(first, from: web) == first)
        #expect(fragments.apply(first, from: web).isEmpty)
        #expect(fragments.apply([update("plan", "pro", 20)], from: web) == [update("plan", "pro", 20)])
        #expect(fragments.fragment(from: web)["plan"]?.value == "pro")
        #expect(fragments.attributeCount == 2)
    }

    @Test("an older update never overwrites a newer one from the same source")
    func olderIgnored() {
        var fragments = ProfileFragments()
        fragments.apply([update("plan", "pro", 20)], from: web)
        #expect(fragments.apply([update("plan", "free", 10)], from: web).isEmpty)
        #expect(fragments.values(at: "plan")[web] == .init(value: "pro", time: at(20)))
    }

    @Test("an older update from another source is still kept as that source's view")
    func olderFromAnotherSource() {
        var fragments = ProfileFragments()
        fragments.apply([update("plan", "pro", 20)], from: web)
        #expect(fragments.apply([update("plan", "free", 10)], from: crm) == [update("plan", "free", 10)])
        #expect(fragments.values(at: "plan").count == 2)
        #expect(fragments.sources == [web, crm])
    }

    @Test("on equal times the later arrival wins")
    func equalTimes() {
        var fragments = ProfileFragments()
        fragments.apply([update("plan", "pro", 20)], from: web)
        #expect(fragments.apply([update("plan", "team", 20)], from: web) == [update("plan", "team", 20)])
        #expect(fragments.values(at: "plan")[web]?.value == "team")
    }

    @Test("a path given twice in one batch is reported once, with its final value")
    func duplicateInBatch() {
        var fragments = ProfileFragments()
        let changed = fragments.apply(
            [update("plan", "a", 5), update("name", "x", 5), update("plan", "b", 5)], from: web)
        #expect(changed == [update("plan", "b", 5), update("name", "x", 5)])
    }

    @Test("past the attribute limit new paths are refused and reported; held paths still update")
    func attributeLimit() {
        var fragments = ProfileFragments(limits: .init(maxAttributes: 3))
        var refusals: [FragmentRefusal] = []
        let updates = (0..<5).map { update("p\($0)", .int(Int64($0)), 1) }
        let changed = fragments.apply(updates, from: web, refusals: &refusals)
        #expect(changed.map(\.path) == ["p0", "p1", "p2"])
        #expect(
            refusals == [.init(path: "p3", reason: .tooManyAttributes), .init(path: "p4", reason: .tooManyAttributes)])

        refusals = []
        #expect(fragments.apply([update("p1", 10, 2)], from: crm, refusals: &refusals).count == 1)
        #expect(refusals.isEmpty)
        #expect(fragments.attributeCount == 3)
    }

    /// One size-limit case, described briefly so that large values do not flood the test log.
    struct SizeCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let value: JSONValue
        var path = "p"
        let reason: FragmentRefusal.Reason?
    }

    @Test(
        "values over the size limit and over-long paths are refused",
        arguments: [
            // 4,094 characters and their quotes fill 4,096 bytes exactly; one more is too many.
            SizeCase(
                testDescription: "4,096-byte string", value: .string(String(repeating: "x", count: 4094)), reason: nil),
            SizeCase(
                testDescription: "4,097-byte string", value: .string(String(repeating: "x", count: 4095)),
                reason: .valueTooLarge),
            SizeCase(
                testDescription: "1,000 escaped control characters",
                value: .string(String(repeating: "\u{1}", count: 1000)), reason: .valueTooLarge),
            SizeCase(
                testDescription: "array of 500 strings", value: .array(Array(repeating: "abcdefgh", count: 500)),
                reason: .valueTooLarge),
            SizeCase(
                testDescription: "257-byte path", value: 1, path: String(repeating: "k", count: 257),
                reason: .pathTooLong),
            SizeCase(testDescription: "256-byte path", value: 1, path: String(repeating: "k", count: 256), reason: nil),
        ])
    func sizeLimits(_ size: SizeCase) {
        var fragments = ProfileFragments()
        var refusals: [FragmentRefusal] = []
        let updates = [AttributeUpdate(path: size.path, value: size.value, time: at(0))]
        let changed = fragments.apply(updates, from: web, refusals: &refusals)
        #expect(refusals.map(\.reason) == (size.reason.map { [$0] } ?? []))
        #expect(changed.count == (size.reason == nil ? 1 : 0))
    }

    @Test("absorbing a merged profile keeps the newest value per source and path")
    func absorbNewest() {
        var survivor = ProfileFragments()
        survivor.apply([update("plan", "pro", 20), update("email", "a@x.com", 5)], from: web)
        var other = ProfileFragments()
        other.apply([update("plan", "free", 10), update("email", "b@x.com", 30), update("city", "Oslo", 1)], from: web)
        other.apply([update("plan", "gold", 15)], from: crm)

        #expect(survivor.absorb(other).isEmpty)
        #expect(survivor.values(at: "plan")[web]?.value == "pro")
        #expect(survivor.values(at: "plan")[crm]?.value == "gold")
        #expect(survivor.values(at: "email")[web]?.value == "b@x.com")
        #expect(survivor.values(at: "city")[web]?.value == "Oslo")
    }

    @Test("on equal times absorbing keeps the surviving profile's value")
    func absorbTie() {
        var survivor = ProfileFragments()
        survivor.apply([update("plan", "pro", 20)], from: web)
        var other = ProfileFragments()
        other.apply([update("plan", "free", 20)], from: web)
        survivor.absorb(other)
        #expect(survivor.values(at: "plan")[web]?.value == "pro")
    }

    @Test("absorbing past the attribute limit reports the paths that did not fit")
    func absorbLimit() {
        var survivor = ProfileFragments(limits: .init(maxAttributes: 2))
        survivor.apply([update("a", 1, 1)], from: web)
        var other = ProfileFragments()
        other.apply([update("c", 3, 1), update("b", 2, 1), update("a", 9, 9)], from: web)
        #expect(survivor.absorb(other) == [FragmentRefusal(path: "c", reason: .tooManyAttributes)])
        #expect(survivor.entries.map(\.path) == ["a", "b"])
        #expect(survivor.values(at: "a")[web]?.value == 9)
    }

    @Test("entries and JSON load back to the same fragments")
    func roundTrip() throws {
        var fragments = ProfileFragments()
        fragments.apply([update("address.city", "Oslo", 10), update("tags", ["a"], 11)], from: web)
        fragments.apply([update("address.city", "Bergen", 12), update("nickname", nil, 3)], from: crm)

        #expect(ProfileFragments(entries: fragments.entries) == fragments)
        let reparsed = try JSONValue(parsing: fragments.json.serializedBytes)
        #expect(try ProfileFragments(json: reparsed) == fragments)
        #expect(fragments.entries.map(\.path) == ["address.city", "address.city", "nickname", "tags"])
    }

    @Test("loading stored entries keeps the newest of two for the same source and path")
    func loadNewest() {
        let entries = [
            FragmentEntry(source: 1, path: "plan", value: "pro", time: at(20)),
            FragmentEntry(source: 1, path: "plan", value: "free", time: at(10)),
        ]
        #expect(ProfileFragments(entries: entries).values(at: "plan")[1]?.value == "pro")
    }

    @Test("malformed stored fragments are refused with the field at fault")
    func malformedJSON() {
        #expect(throws: ProfilesError(field: "[0].time", message: "must be an ISO-8601 time as entries write it")) {
            try ProfileFragments(json: [["source": 1, "path": "a", "value": 1, "time": "yesterday"]])
        }
        #expect(throws: ProfilesError.self) { try ProfileFragments(json: ["source": 1]) }
    }

    @Test("removing a source forgets what it said")
    func removeSource() {
        var fragments = ProfileFragments()
        fragments.apply([update("plan", "pro", 1), update("city", "Oslo", 1)], from: web)
        fragments.apply([update("plan", "gold", 1)], from: crm)
        #expect(fragments.remove(source: web) == ["city", "plan"])
        #expect(fragments.entries == [FragmentEntry(source: crm, path: "plan", value: "gold", time: at(1))])
    }
}
