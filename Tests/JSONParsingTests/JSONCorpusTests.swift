import Foundation
import JSONParsing
import Testing
import TesseraCore

/// Real payloads: the Segment spec's examples and the XDM schema examples.
enum Corpus {
    static let root = URL(fileURLWithPath: "/work/shared/testdata")

    /// Every file under `folder` (recursively) whose name satisfies `include`, sorted.
    static func files(under folder: String, where include: (String) -> Bool) -> [String] {
        let base = root.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { return [] }
        return walker.compactMap { $0 as? String }
            .filter { include(($0 as NSString).lastPathComponent) }
            .map { base.appendingPathComponent($0).path }
            .sorted()
    }

    static let segment = files(under: "segment/segment-docs") { $0.hasSuffix(".json") }
    static let xdm = files(under: "xdm") { $0.contains(".example.") && $0.hasSuffix(".json") }
    static let malformed = files(under: "segment/segment-docs/malformed") { $0.hasSuffix(".json.invalid") }

    static func bytes(of path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// Any JSON, decoded by Foundation as an independent reading to compare the parser with.
private struct FoundationJSON: Decodable {
    let value: JSONValue

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let flag = try? container.decode(Bool.self) {
            value = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            value = .double(number)
        } else if let text = try? container.decode(String.self) {
            value = .string(text)
        } else if let elements = try? container.decode([FoundationJSON].self) {
            value = .array(elements.map(\.value))
        } else {
            value = .object(try container.decode([String: FoundationJSON].self).mapValues(\.value))
        }
    }
}

/// The value with every integer turned into a double, since Foundation does not keep the distinction.
private func numbersAsDoubles(_ value: JSONValue) -> JSONValue {
    switch value {
    case .int(let number): .double(Double(number))
    case .array(let elements): .array(elements.map(numbersAsDoubles))
    case .object(let members): .object(members.mapValues(numbersAsDoubles))
    default: value
    }
}

@Suite struct JSONCorpusTests {
    @Test("the corpus is where the tests expect it")
    func corpusPresent() {
        #expect(Corpus.segment.count >= 100)
        #expect(Corpus.xdm.count >= 50)
        #expect(Corpus.malformed.count >= 4)
    }

    @Test(
        "every example parses, reads as Foundation reads it, and survives write and parse again",
        arguments: Corpus.segment + Corpus.xdm)
    func roundTrip(path: String) throws {
        let bytes = try Corpus.bytes(of: path)
        let parser = JSONParser()
        let first = try parser.parse(bytes).root

        let foundation = try JSONDecoder().decode(FoundationJSON.self, from: Data(bytes)).value
        #expect(numbersAsDoubles(first.value) == numbersAsDoubles(foundation))

        var writer = JSONWriter()
        first.write(to: &writer)
        let second = try parser.parse(writer.bytes).root
        #expect(second.value == first.value)
        #expect(second.nodeCount == first.nodeCount && second.height == first.height)
        #expect(second.longestString == first.longestString)
    }

    @Test("malformed examples from the Segment docs are rejected", arguments: Corpus.malformed)
    func malformed(path: String) throws {
        let error = parseError(try Corpus.bytes(of: path))
        #expect(error?.code == .invalidJSON)
    }
}
