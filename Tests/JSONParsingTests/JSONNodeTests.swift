import JSONParsing
import Testing

@Suite struct JSONNodeTests {
    let event = #"""
        {"type":"track","event":"Order Completed","userId":"u-1",
         "properties":{"total":27.5,"currency":"EUR","products":[{"sku":"A1","qty":2},{"sku":"B2","qty":1}]},
         "context":{"ip":"0.0.0.0","library":{"name":"analytics.js"}},"sentAt":null,"consented":true}
        """#

    @Test("members and elements are found by key and index")
    func lookups() throws {
        let root = try parse(event).root
        #expect(root.kind == .object && root.count == 7)
        #expect(root["type"]?.string == "track" && root.member("userId")?.string == "u-1")
        #expect(root["properties"]?["total"]?.double == 27.5)
        #expect(root["properties"]?["products"]?[1]?["sku"]?.string == "B2")
        #expect(root["properties"]?["products"]?[2] == nil && root["properties"]?["products"]?[-1] == nil)
        #expect(root.member("context")?.member("library")?.member("name")?.stringEquals("analytics.js") == true)
        #expect(root["sentAt"]?.isNull == true && root["consented"]?.bool == true)
        #expect(root["missing"] == nil && root.member("typ") == nil && root.member("types") == nil)
        #expect(root["event"]?.stringEquals("Order Completed") == true)
        #expect(root["event"]?.stringEquals("Order Complete") == false)
        #expect(root[0] == nil)
    }

    @Test("members keep document order and elements walk every item")
    func iteration() throws {
        let root = try parse(event).root
        #expect(root.members.map(\.key) == ["type", "event", "userId", "properties", "context", "sentAt", "consented"])
        #expect(root.members.count == 7 && root.elements.isEmpty)

        let products = try #require(root["properties"]?["products"])
        #expect(products.elements.count == 2 && products.members.isEmpty)
        #expect(products.elements.map { $0["qty"]?.int64 } == [2, 1])
        for (key, value) in try #require(root["context"]).members where key == "library" {
            #expect(value["name"]?.string == "analytics.js")
        }
    }

    @Test("duplicate keys are kept in order and lookups find the first")
    func duplicateKeys() throws {
        let root = try parse(#"{"a":1,"b":2,"a":3}"#).root
        #expect(root.count == 3 && root["a"]?.int64 == 1 && root.member("a")?.int64 == 1)
        #expect(root.members.map(\.key) == ["a", "b", "a"])
        #expect(root.members.map { $0.value.int64 } == [1, 2, 3])
        #expect(root.value == ["a": 1, "b": 2])
    }

    @Test("keys and strings with escapes are unescaped")
    func unescaping() throws {
        let root = try parse(#"{"caf\u00e9":"line\nbreak","tab\t":"\/\\\"","":"empty key"}"#).root
        #expect(root["café"]?.string == "line\nbreak")
        #expect(root["tab\t"]?.string == #"/\""#)
        #expect(root[""]?.string == "empty key")
        #expect(root["café"]?.stringByteCount == 10)
    }

    @Test(
        "subtree figures: height, node count and longest string",
        arguments: [
            ("1", 0, 1, 0), (#""abcd""#, 0, 1, 4), ("{}", 1, 1, 0), ("[]", 1, 1, 0), ("[1,2,3]", 1, 4, 0),
            (#"{"a":{}}"#, 2, 2, 1), (#"{"a":[[],[1,[2]]]}"#, 4, 7, 1),
            (#"{"key":"v","longer-key":[{"x":"abcdefghijklmn"}]}"#, 3, 5, 14),
            (#"[{"k":"é"},"x"]"#, 2, 4, 2), (#"{"a":null,"b":true,"c":1.5,"d":-1}"#, 1, 5, 1),
        ]
    )
    func figures(text: String, height: Int, nodeCount: Int, longestString: Int) throws {
        let root = try parse(text).root
        #expect(root.height == height)
        #expect(root.nodeCount == nodeCount)
        #expect(root.longestString == longestString)
    }

    @Test("figures of inner nodes cover only their own subtree")
    func innerFigures() throws {
        let root = try parse(#"{"short":{"k":"abc"},"list":[1,[2,3]],"aVeryLongKeyName":0}"#).root
        #expect(root.longestString == 16 && root.height == 3 && root.nodeCount == 9)

        let short = try #require(root["short"])
        #expect(short.longestString == 3 && short.height == 1 && short.nodeCount == 2)

        let list = try #require(root["list"])
        #expect(list.longestString == 0 && list.height == 2 && list.nodeCount == 5 && list.count == 2)
        #expect(root["aVeryLongKeyName"]?.longestString == 0)
    }

    @Test("nodes stay valid after their parser and document are gone")
    func nodeOutlivesParser() throws {
        func firstName() throws -> JSONNode {
            try #require(parse(#"{"names":["Ada","Grace"]}"#).root["names"]?[0])
        }
        let name = try firstName()
        #expect(name.string == "Ada")
    }
}
