import Foundation
import Testing
import TesseraCore

@testable import TesseraCommands

@Suite("Demo history building blocks: generator, identifiers, JSON writing")
struct DemoBuildingBlocksTests {
    @Test("the generator matches the SplitMix64 reference outputs, so histories match across platforms")
    func splitMixReference() {
        var zero = DemoHistory.Random(seed: 0)
        #expect(
            [zero.next(), zero.next(), zero.next()] == [
                0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F,
            ])
        var other = DemoHistory.Random(seed: 1_234_567)
        #expect(other.next() == 6_457_827_717_110_365_317)
    }

    @Test("bounded draws stay in range and reach both ends")
    func boundedDraws() {
        var random = DemoHistory.Random(seed: 99)
        var seen = Set<Int>()
        for _ in 0..<2_000 {
            let value = random.between(3, 9)
            #expect((3...9).contains(value))
            seen.insert(value)
        }
        #expect(seen == Set(3...9))
        let heads = (0..<10_000).filter { _ in random.chance(0.25) }.count
        #expect(heads > 2_200 && heads < 2_800)
        #expect((0..<1_000).allSatisfy { _ in random.weighted([0, 5, 0]) == 1 })
    }

    @Test("derived identifiers are unique per purpose, owner and slot")
    func identifiersUnique() {
        let ids = DemoHistory.Identifiers(seed: 42)
        var seen = Set<UInt64>()
        for purpose in [DemoHistory.Purpose.message, .cookie, .user] {
            for owner in 0..<200 {
                for slot in 0..<20 { seen.insert(ids.unique(purpose, owner, slot)) }
            }
        }
        #expect(seen.count == 3 * 200 * 20)
        #expect(ids.uuid(.cookie, 1) == DemoHistory.Identifiers(seed: 42).uuid(.cookie, 1))
        #expect(ids.uuid(.cookie, 1) != DemoHistory.Identifiers(seed: 43).uuid(.cookie, 1))
    }

    @Test("UUIDs are version 4 in shape")
    func uuidShape() throws {
        let text = DemoHistory.IdentifierText.uuid(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210)
        #expect(text == "01234567-89ab-4210-a543-cdeffedcba98")
        #expect(UUID(uuidString: text) != nil)
    }

    @Test(
        "timestamps are written exactly as Timestamp.iso8601 writes them",
        arguments: [
            Int64(0), 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 1_767_225_599_999, 1_767_225_600_000,
            4_102_444_800_123, -1, -86_400_000, -86_400_001,
        ])
    func timestampFormatting(milliseconds: Int64) {
        var builder = DemoHistory.MessageBuilder()
        builder.begin()
        builder.timestamp("t", milliseconds: milliseconds)
        builder.timestamp("u", milliseconds: milliseconds + 1)
        let text = String(decoding: builder.finish(), as: UTF8.self)
        let expected =
            "{\"t\":\"\(Timestamp(milliseconds: milliseconds).iso8601)\","
            + "\"u\":\"\(Timestamp(milliseconds: milliseconds + 1).iso8601)\"}"
        #expect(text == expected)
    }

    @Test("the builder places commas between members, elements and pre-encoded fragments")
    func builderCommas() throws {
        let fragment = DemoHistory.MessageBuilder.encodeMembers { builder in
            builder.string("a", "x\"y")
            builder.int("b", 2)
        }
        var builder = DemoHistory.MessageBuilder()
        builder.begin()
        builder.members(fragment)
        builder.beginArray("list")
        builder.beginElement()
        builder.bool("c", true)
        builder.endObject()
        builder.beginElement()
        builder.endObject()
        builder.endArray()
        builder.object("nested", members: fragment)
        builder.money("price", cents: 1_999)
        builder.members([])
        let text = String(decoding: builder.finish(), as: UTF8.self)
        #expect(text == #"{"a":"x\"y","b":2,"list":[{"c":true},{}],"nested":{"a":"x\"y","b":2},"price":19.99}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
    }
}
