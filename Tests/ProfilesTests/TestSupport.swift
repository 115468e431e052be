import JSONParsing
import Profiles
import TesseraCore
import TesseraTesting

/// The root of a parsed inline JSON document.
func node(_ text: String) throws -> JSONNode {
    try JSONParser().parse(Array(text.utf8)).root
}

/// The root of a parsed JSON value.
func node(_ value: JSONValue) throws -> JSONNode {
    try JSONParser().parse(value.serializedBytes).root
}

/// The root of a shared test-data file (`segment/segment-docs/x.json`, `xdm/components/...`).
func fixture(_ path: String) throws -> JSONNode {
    try JSONParser().parse(TestData.bytes(path)).root
}

/// A shared test-data file as a `JSONValue`, to derive variants from.
func fixtureValue(_ path: String) throws -> JSONValue {
    try fixture(path).value
}

/// A time `milliseconds` after an arbitrary fixed instant.
func at(_ milliseconds: Int64) -> Timestamp {
    Timestamp(milliseconds: 1_700_000_000_000 + milliseconds)
}

/// An update at `at(time)`.
func update(_ path: String, _ value: JSONValue, _ time: Int64) -> AttributeUpdate {
    AttributeUpdate(path: path, value: value, time: at(time))
}

extension JSONValue {
    /// A copy with the value at `keys` replaced, or removed when `value` is nil.
    func setting(_ keys: [String], to value: JSONValue?) -> JSONValue {
        guard let key = keys.first, case .object(var members) = self else { return self }
        if keys.count == 1 {
            members[key] = value
        } else {
            members[key] = (members[key] ?? .object([:])).setting(Array(keys.dropFirst()), to: value)
        }
        return .object(members)
    }
}
