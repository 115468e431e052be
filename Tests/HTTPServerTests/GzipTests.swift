import Testing

@testable import HTTPServer

@Suite struct GzipTests {
    @Test("deflate then inflate gives the input back", arguments: [0, 1, 100, 70_000, 1_000_000])
    func roundTrip(size: Int) throws {
        let input = TestServer.noise(count: size, seed: 7).map { $0 % 16 }
        let compressed = try Gzip.deflate(input)

        #expect(compressed.starts(with: [0x1f, 0x8b]))
        #expect(try Gzip.inflate(compressed, limit: size) == input)
    }

    @Test("inflating stops at the limit")
    func limit() throws {
        let compressed = try Gzip.deflate([UInt8](repeating: 7, count: 200_000))

        #expect(throws: Gzip.Failure.tooLarge) { try Gzip.inflate(compressed, limit: 199_999) }
        #expect(try Gzip.inflate(compressed, limit: 200_000).count == 200_000)
    }

    @Test("zlib and raw deflate data are not gzip")
    func otherFormats() throws {
        let zlibHeader: [UInt8] = [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
        #expect(throws: Gzip.Failure.corrupt) { try Gzip.inflate(zlibHeader, limit: 100) }
    }

    @Test("an invalid level is reported as a zlib error")
    func invalidLevel() {
        #expect(throws: Gzip.Failure.zlib(-2)) { try Gzip.deflate([1, 2, 3], level: 42) }
    }
}
