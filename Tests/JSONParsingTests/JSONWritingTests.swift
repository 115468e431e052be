import JSONParsing
import Testing
import TesseraCore

/// The compact JSON that `write(to:)` produces for `node`.
func written(_ node: JSONNode) -> String {
    var writer = JSONWriter()
    node.write(to: &writer)
    return writer.string
}

/// The compact JSON that `write(to:overriding:)` produces for `node`.
func written(_ node: JSONNode, overriding overrides: [(key: String, value: JSONValue?)]) -> String {
    var writer = JSONWriter()
    node.write(to: &writer, overriding: overrides)
    return writer.string
}

@Suite struct JSONWritingTests {
    @Test(
        "compact output keeps member order, duplicates and number kinds",
        arguments: [
            (#" { "b" : 1 , "a" : [ true , false , null ] } "#, #"{"b":1,"a":[true,false,null]}"#),
            (#"{"a":1,"a":2}"#, #"{"a":1,"a":2}"#),
            (
                "[1.0,-0.0,2.5,1e20,1E-7,-42,18446744073709551615]",
                "[1.0,-0.0,2.5,1e+20,1e-07,-42,18446744073709551615]"
            ),
            ("[[],{},[[]],{\"x\":{}}]", #"[[],{},[[]],{"x":{}}]"#),
            ("\"plain\"", "\"plain\""), ("7", "7"), ("null", "null"),
            ("[123456789012345678901234567890]", "[1.2345678901234568e+29]"),
        ]
    )
    func compactOutput(input: String, expected: String) throws {
        #expect(written(try parse(input).root) == expected)
    }

    @Test("unicode escapes and surrogate pairs come out as UTF-8 and read back the same")
    func unicodeRoundTrip() throws {
        let input = #"{"emoji":"\ud83d\ude00","accents":"\u00e9\u00E8","cjk":"\u4e2d文","nul":"a\u0000b","\u00e9":1}"#
        let root = try parse(input).root
        #expect(root["emoji"]?.string == "😀" && root["emoji"]?.stringByteCount == 4)
        #expect(root["accents"]?.string == "éè" && root["cjk"]?.string == "中文")
        #expect(root["nul"]?.string == "a\u{0}b" && root["é"]?.int64 == 1)

        let output = written(root)
        #expect(output == #"{"emoji":"😀","accents":"éè","cjk":"中文","nul":"a\u0000b","é":1}"#)
        #expect(try parse(output).root.value == root.value)
    }

    @Test("quotes, backslashes and control characters are escaped again")
    func escaping() throws {
        let input = #"["quote \" backslash \\ slash \/ tab \t line \n cr \r bell \u0007 del \u007f"]"#
        let output = written(try parse(input).root)
        #expect(output == "[\"quote \\\" backslash \\\\ slash / tab \\t line \\n cr \\r bell \\u0007 del \u{7f}\"]")
        let text = "quote \" backslash \\ slash / tab \t line \n cr \r bell \u{7} del \u{7f}"
        #expect(try parse(output).root[0]?.string == text)
    }

    @Test("an inner node writes only its own subtree")
    func innerNode() throws {
        let root = try parse(#"{"a":{"b":[1,{"c":"d"}],"e":2},"f":3}"#).root
        #expect(written(try #require(root["a"])) == #"{"b":[1,{"c":"d"}],"e":2}"#)
        #expect(written(try #require(root["a"]?["b"]?[1])) == #"{"c":"d"}"#)
        #expect(written(try #require(root["f"])) == "3")
    }

    @Test("deep documents are written without deep recursion")
    func deepWrite() throws {
        let text = nestedArrays(depth: 1024)
        #expect(written(try parse(text).root) == text)
    }

    @Test("overrides replace in place, remove, and append new keys in order")
    func overriding() throws {
        let root = try parse(#"{"type":"track","userId":"u1","secret":"x","properties":{"a":1}}"#).root
        let output = written(
            root,
            overriding: [
                ("userId", .string("u2")), ("secret", nil), ("messageId", .string("m-1")),
                ("receivedAt", .int(1_700_000_000_000)), ("absent", nil),
            ])
        let expected =
            #"{"type":"track","userId":"u2","properties":{"a":1},"messageId":"m-1","receivedAt":1700000000000}"#
        #expect(output == expected)
        #expect(written(root, overriding: []) == written(root))
    }

    @Test("an overridden duplicate key is written once and the last override wins")
    func overridingDuplicates() throws {
        let root = try parse(#"{"a":1,"b":2,"a":3}"#).root
        #expect(written(root, overriding: [("a", .int(9))]) == #"{"a":9,"b":2}"#)
        #expect(written(root, overriding: [("a", nil)]) == #"{"b":2}"#)
        #expect(written(root, overriding: [("c", .int(1)), ("c", .int(2))]) == #"{"a":1,"b":2,"a":3,"c":2}"#)
        #expect(written(root, overriding: [("b", .array([.null, "x"]))]) == #"{"a":1,"b":[null,"x"],"a":3}"#)
    }

    @Test("overriding an empty object and a non-object")
    func overridingEdges() throws {
        #expect(written(try parse("{}").root, overriding: [("k", .bool(true))]) == #"{"k":true}"#)
        #expect(written(try parse("{}").root, overriding: [("k", nil)]) == "{}")
        #expect(written(try parse("[1]").root, overriding: [("k", .bool(true))]) == "[1]")
        #expect(written(try parse(#"{"é\"":1}"#).root, overriding: [("é\"", .int(2))]) == #"{"é\"":2}"#)
    }
}
