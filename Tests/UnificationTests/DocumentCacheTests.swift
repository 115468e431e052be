import Testing

@testable import Unification

@Suite struct DocumentCacheTests {
    @Test("a document is served only at the version it was stored at")
    func versions() {
        let cache = DocumentCache(capacityBytes: 10_000)
        cache.store([1, 2, 3], of: 7, version: 4)
        #expect(cache.document(of: 7, version: 4) == [1, 2, 3])
        #expect(cache.document(of: 7, version: 5) == nil)
        cache.store([9], of: 7, version: 5)
        #expect(cache.document(of: 7, version: 5) == [9])
        #expect(cache.bytes == 1 + 64, "a replaced document no longer counts")
    }

    @Test("a document showing an answer that expires is served only until the expiry")
    func validity() {
        let cache = DocumentCache(capacityBytes: 10_000)
        cache.store([1], of: 7, version: 4, validUntil: 1_000)
        #expect(cache.document(of: 7, version: 4, at: 999) == [1])
        #expect(cache.document(of: 7, version: 4, at: 1_000) == nil)
    }

    @Test("the cache stays within its byte budget, letting the oldest documents go first")
    func budget() {
        let cache = DocumentCache(capacityBytes: 100 * (100 + 64))
        for profile in 0..<1_000 {
            cache.store([UInt8](repeating: 1, count: 100), of: Int64(profile), version: 1)
            #expect(cache.bytes <= cache.capacityBytes)
        }
        let kept = (0..<1_000).filter { cache.document(of: Int64($0), version: 1) != nil }
        #expect(kept == Array(900..<1_000), "the documents cached longest ago left first, one at a time")
        cache.store([UInt8](repeating: 0, count: 20_000), of: 1, version: 2)
        #expect(cache.document(of: 1, version: 2) == nil, "a document over the whole budget is not kept")
    }
}
