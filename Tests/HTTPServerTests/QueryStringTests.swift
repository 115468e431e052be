import Testing

@testable import HTTPServer

@Suite struct QueryStringTests {
    @Test(
        "query strings decode like HTML forms",
        arguments: [
            ("a=1&b=2", ["a": "1", "b": "2"]),
            ("q=a+b%20c", ["q": "a b c"]),
            ("name=J%C3%BCrgen", ["name": "Jürgen"]),
            ("x=1&x=2", ["x": "2"]),
            ("flag&&=v&e=", ["flag": "", "": "v", "e": ""]),
            ("bad=%4&worse=%zz&plus=%2B", ["bad": "%4", "worse": "%zz", "plus": "+"]),
            ("k%3D=v%26", ["k=": "v&"]),
            ("", [:]),
        ])
    func decode(raw: String, expected: [String: String]) {
        #expect(QueryString.decode(raw) == expected)
    }

    @Test("a missing query string decodes to no parameters")
    func missing() {
        #expect(QueryString.decode(nil).isEmpty)
    }
}
