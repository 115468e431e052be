import JSONParsing
import Testing

/// Parses text with a fresh parser.
func parse(_ text: String, maxDepth: Int = 1024) throws(JSONParseError) -> JSONDocument {
    try JSONParser(maxDepth: maxDepth).parse(Array(text.utf8))
}

/// The error that parsing `bytes` throws, or nil when it succeeds.
func parseError(_ bytes: [UInt8], maxDepth: Int = 1024) -> JSONParseError? {
    do {
        _ = try JSONParser(maxDepth: maxDepth).parse(bytes)
        return nil
    } catch {
        return error
    }
}

/// `depth` arrays nested in each other around a 1.
func nestedArrays(depth: Int) -> String {
    String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
}

@Suite struct JSONParserTests {
    @Test("scalar documents read back with their kinds and values")
    func scalars() throws {
        let null = try parse("null").root
        #expect(null.kind == .null && null.isNull)

        let yes = try parse(" true ").root
        #expect(yes.kind == .bool && yes.bool == true)
        #expect(try parse("false").root.bool == false)

        let negative = try parse("-42").root
        #expect(negative.kind == .int && negative.int64 == -42 && negative.double == -42)

        let fraction = try parse("2.5").root
        #expect(fraction.kind == .double && fraction.double == 2.5 && fraction.int64 == nil)

        let integral = try parse("3.0").root
        #expect(integral.kind == .double && integral.int64 == 3)

        let text = try parse(#""caf\u00e9 \"x\"""#).root
        #expect(text.kind == .string && text.string == "café \"x\"" && text.stringByteCount == 9)
    }

    @Test("accessors of other kinds answer nil, zero or false")
    func mismatchedAccessors() throws {
        let number = try parse("7").root
        #expect(number.string == nil && number.bool == nil && number.stringByteCount == nil)
        #expect(number["a"] == nil && number[0] == nil && number.member("a") == nil)
        #expect(number.count == 0 && !number.isNull && number.members.isEmpty && number.elements.isEmpty)
        #expect(!number.stringEquals("7"))

        let text = try parse(#""7""#).root
        #expect(text.int64 == nil && text.double == nil)
    }

    @Test("numbers at and beyond the 64-bit limits")
    func bigNumbers() throws {
        let minimum = try parse("-9223372036854775808").root
        #expect(minimum.kind == .int && minimum.int64 == Int64.min)

        let maximum = try parse("18446744073709551615").root
        #expect(maximum.kind == .uint && maximum.int64 == nil && maximum.double == 18446744073709551615.0)

        let justAbove = try parse("9223372036854775808").root
        #expect(justAbove.kind == .uint && justAbove.int64 == nil)

        let huge = try parse("[123456789012345678901234567890, -9223372036854775809, 1]").root
        #expect(huge[0]?.kind == .double && huge[0]?.double == 1.2345678901234568e29)
        #expect(huge[1]?.kind == .double && huge[1]?.double == -9223372036854775809.0)
        #expect(huge[2]?.kind == .int && huge[2]?.int64 == 1)

        let inString = try parse(#"{"id":"123456789012345678901234567890","n":18446744073709551616}"#).root
        #expect(inString["id"]?.string == "123456789012345678901234567890")
        #expect(inString["n"]?.kind == .double && inString["n"]?.double == 18446744073709551616.0)

        let tiny = try parse("[1e-400, 1.7976931348623157e308]").root
        #expect(tiny[0]?.double == 0 && tiny[1]?.double == Double.greatestFiniteMagnitude)
    }

    @Test(
        "malformed JSON is rejected as invalid JSON",
        arguments: [
            #"{"a" 1}"#, #"{"a":1"#, #"[1,2"#, "[1,]", #"{"a":1,}"#, "{'a':1}", #"{"a":'b'}"#, "[1] 2",
            #"{"a":tru}"#, "nul", "[01]", "[1.]", "[-]", "[1e400]", #""abc"#, #"["\x"]"#, #""\ud800""#,
            "\"tab\there\"", "{1:2}", #"{"a"}"#, "]", "[1 2]", "NaN", "[Infinity]", "[+1]",
            #"[123456789012345678901234567890.5.5]"#, "[00000000000000000000000001]",
        ]
    )
    func invalidJSON(text: String) {
        let error = parseError(Array(text.utf8))
        #expect(error?.code == .invalidJSON)
    }

    @Test("error messages are short phrases that never quote the input")
    func errorMessages() throws {
        let error = try #require(parseError(Array(#"{"secret-value" 1}"#.utf8)))
        #expect(error.message == "unexpected character")
        #expect(!error.description.contains("secret"))
        #expect(parseError(Array(#"["abc"#.utf8))?.message == "unterminated string")
        #expect(parseError(Array("[1.]".utf8))?.message == "invalid number")
        #expect(parseError(Array("[nul]".utf8))?.message == "invalid literal")
    }

    @Test(
        "bytes that are not UTF-8 are rejected as invalid UTF-8",
        arguments: [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22],
            Array(#"{"name":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8),
        ] as [[UInt8]]
    )
    func invalidUTF8(bytes: [UInt8]) {
        let error = parseError(bytes)
        #expect(error?.code == .invalidUTF8)
        #expect(error?.message == "invalid UTF-8")
    }

    @Test("empty and blank input is reported as empty", arguments: ["", " ", "\n\t \r\n"])
    func emptyInput(text: String) {
        #expect(parseError(Array(text.utf8))?.code == .empty)
        #expect(throws: JSONParseError.self) { try JSONParser().parse(UnsafeRawBufferPointer(start: nil, count: 0)) }
    }

    @Test("nesting up to the maximum depth parses and one level more is too deep")
    func deepNesting() throws {
        let deepest = try parse(nestedArrays(depth: 1024)).root
        #expect(deepest.height == 1024 && deepest.nodeCount == 1025)
        #expect(parseError(Array(nestedArrays(depth: 1025).utf8))?.code == .tooDeep)

        #expect(try parse(#"{"a":[1]}"#, maxDepth: 2).root.height == 2)
        #expect(parseError(Array(#"{"a":[[1]]}"#.utf8), maxDepth: 2)?.code == .tooDeep)
        #expect(try parse("5", maxDepth: 1).root.int64 == 5)
    }

    @Test("a parser is reused across documents and earlier documents stay intact")
    func parserReuse() throws {
        let parser = JSONParser()
        let first = try parser.parse(Array(#"{"name":"first","list":[1,2,3]}"#.utf8))
        _ = try? parser.parse(Array("[1,".utf8))
        let big = "[" + (0..<5000).map { #"{"n":\#($0),"s":"value \#($0)"}"# }.joined(separator: ",") + "]"
        let second = try parser.parse(Array(big.utf8))
        let third = try parser.parse(Array(#""x""#.utf8))

        #expect(first.root["name"]?.string == "first" && first.root["list"]?[2]?.int64 == 3)
        #expect(second.root.count == 5000 && second.root[4999]?["s"]?.string == "value 4999")
        #expect(third.root.string == "x")
    }

    @Test("parsing from a raw buffer reads exactly the bytes given")
    func rawBuffer() throws {
        let bytes = Array(#"[1,2]trailing"#.utf8)
        let document = try bytes.withUnsafeBytes { raw in
            try JSONParser().parse(UnsafeRawBufferPointer(rebasing: raw[0..<5]))
        }
        #expect(document.root.count == 2)
    }
}
