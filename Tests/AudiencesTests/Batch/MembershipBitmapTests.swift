import Audiences
import Testing

@Suite struct MembershipBitmapTests {
    @Test("members are added, found, counted and listed in increasing order")
    func basics() {
        var bitmap = MembershipBitmap([9, 3, 70_000, 3])
        #expect(bitmap.count == 3)
        #expect(bitmap.contains(3) && bitmap.contains(70_000) && !bitmap.contains(4) && !bitmap.contains(-1))
        let added = bitmap.insert(4)
        let addedAgain = bitmap.insert(4)
        let removed = bitmap.remove(9)
        let removedAgain = bitmap.remove(9)
        #expect(added && !addedAgain && removed && !removedAgain)
        #expect(bitmap.members() == [3, 4, 70_000])
        #expect(MembershipBitmap().isEmpty)
        #expect(MembershipBitmap(range: 5..<8).members() == [5, 6, 7])
    }

    @Test("pages of members skip `offset` and stop at `limit`")
    func pages() {
        let bitmap = MembershipBitmap(range: 0..<200_000)
        #expect(bitmap.members(offset: 65_535, limit: 3) == [65_535, 65_536, 65_537])
        #expect(bitmap.members(offset: 199_999, limit: 10) == [199_999])
        #expect(bitmap.members(offset: 300_000, limit: 10) == [])
        #expect(bitmap.members(offset: 0, limit: 0) == [])
    }

    @Test("set operations agree with Swift sets", arguments: [1, 2, 3])
    func operations(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let left = Set((0..<5_000).map { _ in Int32.random(in: 0..<200_000, using: &generator) })
        let right = Set((0..<5_000).map { _ in Int32.random(in: 0..<200_000, using: &generator) })
        let a = MembershipBitmap(left)
        let b = MembershipBitmap(right)
        #expect(Set(a.intersection(b).members()) == left.intersection(right))
        #expect(Set(a.union(b).members()) == left.union(right))
        #expect(Set(a.subtracting(b).members()) == left.subtracting(right))
        let complement = a.complement(within: 100_000)
        #expect(complement.count == 100_000 - left.count { $0 < 100_000 })
        #expect(!complement.contains(100_000))
        #expect(complement.members().allSatisfy { !left.contains($0) })
    }

    @Test("a copy is a value: changing it leaves the original alone")
    func valueSemantics() {
        let original = MembershipBitmap([1, 2])
        var copy = original
        copy.insert(3)
        copy.optimize()
        #expect(original.members() == [1, 2])
        #expect(copy.members() == [1, 2, 3])
        #expect(original != copy)
        #expect(original == MembershipBitmap([2, 1]))
    }

    @Test("the portable serialization reads back equal, and damaged bytes are refused")
    func serialization() throws {
        var bitmap = MembershipBitmap([1, 5, 65_536, 1_000_000])
        bitmap.insert(contentsOf: Array(2_000_000..<2_100_000))
        bitmap.optimize()
        let bytes = bitmap.serialized()
        #expect(try MembershipBitmap(serialized: bytes) == bitmap)
        #expect(throws: MembershipBitmapError.malformedSerialization) {
            try MembershipBitmap(serialized: Array(bytes.dropLast(3)))
        }
        #expect(throws: MembershipBitmapError.malformedSerialization) { try MembershipBitmap(serialized: []) }
        #expect(throws: MembershipBitmapError.malformedSerialization) {
            try MembershipBitmap(serialized: [0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0])
        }
        #expect(MembershipBitmapError.malformedSerialization.description == "malformed serialized membership bitmap")
    }

    @Test("dense bitsets combine like sets and convert to and from membership bitmaps")
    func denseBitsets() {
        var generator = SeededGenerator(seed: 42)
        let universe: Int32 = 10_001
        let left = Set((0..<3_000).map { _ in Int32.random(in: 0..<universe, using: &generator) })
        let right = Set((0..<3_000).map { _ in Int32.random(in: 0..<universe, using: &generator) })
        var a = DenseBitset(universe: universe)
        for row in left { a.insert(row) }
        let b = DenseBitset(MembershipBitmap(right), universe: universe)
        #expect(a.count == left.count)
        var both = a
        both.formIntersection(b)
        #expect(Set(both.members()) == left.intersection(right))
        var either = a
        either.formUnion(b)
        #expect(Set(either.members()) == left.union(right))
        var only = a
        only.subtract(b)
        #expect(Set(only.members()) == left.subtracting(right))
        #expect(a.complement().count == Int(universe) - left.count)
        #expect(!a.complement().contains(universe))
        #expect(a.membershipBitmap() == MembershipBitmap(left))
        #expect(DenseBitset(universe: 130, filled: true).count == 130)
        var mixed = DenseBitset(universe: 300_000)
        let rows = (0..<300_000).filter { $0 % 3 == 0 && ($0 < 70_000 || $0 > 140_000) || $0 % 1_000 == 7 }
        for row in rows { mixed.insert(Int32(row)) }
        #expect(mixed.membershipBitmap() == MembershipBitmap(rows.map { Int32($0) }))
        #expect(DenseBitset(universe: 0).membershipBitmap().isEmpty)
        #expect(DenseBitset(MembershipBitmap([3, 200]), universe: 100).members() == [3])
    }
}
