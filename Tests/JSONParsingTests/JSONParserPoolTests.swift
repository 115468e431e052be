import JSONParsing
import Testing

@Suite struct JSONParserPoolTests {
    @Test("a returned parser is lent again")
    func reuse() throws {
        let pool = JSONParserPool()
        let first = pool.withParser { ObjectIdentifier($0) }
        let second = pool.withParser { ObjectIdentifier($0) }
        #expect(first == second)

        let nested = pool.withParser { outer in pool.withParser { inner in outer !== inner } }
        #expect(nested)
    }

    @Test("errors thrown by the body pass through and the parser goes back to the pool")
    func throwingBody() throws {
        let pool = JSONParserPool()
        let lent = pool.withParser { ObjectIdentifier($0) }
        #expect(throws: JSONParseError.self) {
            try pool.withParser { parser in try parser.parse(Array("[1,".utf8)) }
        }
        #expect(pool.withParser { ObjectIdentifier($0) } == lent)
    }

    @Test("parsers borrowed from many tasks at once parse their own documents")
    func concurrentUse() async throws {
        let pool = JSONParserPool(maxDepth: 64, maximumIdleParsers: 4)
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var mismatches = 0
                    for round in 0..<200 {
                        let text = #"{"task":\#(task),"round":\#(round),"tags":["t\#(task)","r\#(round)"]}"#
                        let document = try? pool.withParser { try $0.parse(Array(text.utf8)) }
                        let root = document?.root
                        let matches =
                            root?["task"]?.int64 == Int64(task) && root?["round"]?.int64 == Int64(round)
                            && root?["tags"]?[1]?.string == "r\(round)"
                        if !matches { mismatches += 1 }
                    }
                    return mismatches
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
