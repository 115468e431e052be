import JSONParsing
import Testing
import TesseraCore

@Suite struct JSONValueConversionTests {
    @Test("documents convert to the matching JSONValue tree")
    func conversion() throws {
        let root = try parse(#"{"s":"x","i":-3,"d":0.5,"b":false,"n":null,"a":[1,[2],{}],"o":{"k":[]}}"#).root
        let expected: JSONValue = [
            "s": "x", "i": -3, "d": 0.5, "b": false, "n": nil, "a": [1, [2], [:]], "o": ["k": []],
        ]
        #expect(root.value == expected)
        #expect(root["a"]?.value == [1, [2], [:]])
        #expect(root["s"]?.value == "x")
    }

    @Test("large integers become doubles and integral doubles stay doubles")
    func numberConversion() throws {
        let root = try parse("[9223372036854775807,9223372036854775808,1e2,1.0]").root
        #expect(root.value == .array([.int(Int64.max), .double(9223372036854775808.0), .double(100), .double(1)]))
    }

    @Test("JSONValue(parsing:) parses bytes and reports errors")
    func parsingInitializer() throws {
        #expect(try JSONValue(parsing: Array(#"{"a":[true,"b"]}"#.utf8)) == ["a": [true, "b"]])
        #expect(try JSONValue(parsing: Array("12".utf8)) == 12)

        var caught: JSONParseError?
        do { _ = try JSONValue(parsing: Array("{".utf8)) } catch { caught = error }
        #expect(caught?.code == .invalidJSON)
        do { _ = try JSONValue(parsing: []) } catch { caught = error }
        #expect(caught?.code == .empty)
    }

    @Test("deep documents convert without deep recursion")
    func deepConversion() throws {
        var expected: JSONValue = 1
        for _ in 0..<1024 { expected = .array([expected]) }
        #expect(try parse(nestedArrays(depth: 1024)).root.value == expected)
    }
}
