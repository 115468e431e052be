public import TesseraCore

extension ProfileFragments {
    /// The fragments as JSON: their `entries` in path and source order.
    ///
    ///     [{"source": 3, "path": "address.city", "value": "San Francisco",
    ///       "time": "2015-02-23T22:28:55.111Z"}]
    public var json: JSONValue {
        .array(entries.map(\.json))
    }

    /// Loads fragments that `json` wrote.
    ///
    /// - Parameters:
    ///   - json: an array of entries.
    ///   - limits: the bounds for later updates; not applied to what is loaded.
    /// - Throws: `ProfilesError` when an entry lacks a member or has one of the wrong type.
    public init(json: JSONValue, limits: Limits = .standard) throws(ProfilesError) {
        guard case .array(let items) = json else { throw ProfilesError(field: "(root)", message: "must be an array") }
        var entries: [FragmentEntry] = []
        entries.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            entries.append(try FragmentEntry(json: item, field: "[\(index)]"))
        }
        self.init(entries: entries, limits: limits)
    }
}

extension FragmentEntry {
    /// The entry as JSON: `source`, `path`, `value` and `time` (`Timestamp.iso8601` text).
    public var json: JSONValue {
        ["source": .int(source), "path": .string(path), "value": value, "time": .string(time.iso8601)]
    }

    /// Reads an entry that `json` wrote.
    ///
    /// - Parameters:
    ///   - json: the entry.
    ///   - field: the entry's place in a larger document, for error messages.
    /// - Throws: `ProfilesError` when a member is missing or has the wrong type.
    public init(json: JSONValue, field: String = "(root)") throws(ProfilesError) {
        guard case .object(let members) = json else { throw ProfilesError(field: field, message: "must be an object") }
        guard case .int(let source)? = members["source"] else {
            throw ProfilesError(
                field: ProfilesError.member("source", of: field), message: "must be an integer source id")
        }
        guard let path = members["path"]?.stringValue else {
            throw ProfilesError(field: ProfilesError.member("path", of: field), message: "must be a string")
        }
        guard let value = members["value"] else {
            throw ProfilesError(field: ProfilesError.member("value", of: field), message: "is missing")
        }
        guard let time = TimestampText.time(members["time"]) else {
            throw ProfilesError(
                field: ProfilesError.member("time", of: field), message: "must be an ISO-8601 time as entries write it")
        }
        self.init(source: source, path: path, value: value, time: time)
    }
}
