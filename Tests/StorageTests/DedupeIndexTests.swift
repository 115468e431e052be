@testable import Storage
import Testing

@Suite("Dedupe index")
struct DedupeIndexTests {
    @Test("the same key hashes the same; different sources or ids hash differently")
    func hashing() {
        let hash = DedupeIndex.hash(sourceID: 1, messageID: "m-1")
        #expect(hash == DedupeIndex.hash(sourceID: 1, messageID: "m-1"))
        #expect(hash != DedupeIndex.hash(sourceID: 2, messageID: "m-1"))
        #expect(hash != DedupeIndex.hash(sourceID: 1, messageID: "m-2"))
    }

    @Test("rows are found by hash, moved on replace and forgotten on remove")
    func addReplaceRemove() {
        var index = DedupeIndex()
        #expect(index.candidates(7).isEmpty)
        index.add(7, row: 1)
        #expect(Array(index.candidates(7)) == [1])
        index.replace(7, old: 1, new: 9)
        #expect(Array(index.candidates(7)) == [9])
        index.remove(7, row: 1)
        #expect(Array(index.candidates(7)) == [9])
        index.remove(7, row: 9)
        #expect(index.candidates(7).isEmpty)
        #expect(index.count == 0)
    }

    @Test("distinct keys that share a hash are all kept as candidates")
    func sharedHash() {
        var index = DedupeIndex()
        index.add(42, row: 1)
        index.add(42, row: 2)
        index.add(42, row: 3)
        #expect(Array(index.candidates(42)) == [1, 2, 3])
        index.remove(42, row: 1)
        #expect(Set(index.candidates(42)) == [2, 3])
        index.replace(42, old: 3, new: 30)
        #expect(Set(index.candidates(42)) == [2, 30])
        #expect(index.count == 2)
    }

    @Test("rolling back to a mark undoes adds, replaces and removes made since")
    func rollback() {
        var index = DedupeIndex()
        index.add(1, row: 10)
        index.add(2, row: 20)
        index.commit()

        let mark = index.mark
        index.add(3, row: 30)
        index.replace(1, old: 10, new: 11)
        index.remove(2, row: 20)
        index.rollback(to: mark)
        #expect(Array(index.candidates(1)) == [10])
        #expect(Array(index.candidates(2)) == [20])
        #expect(index.candidates(3).isEmpty)
        #expect(index.count == 2)
    }
}
