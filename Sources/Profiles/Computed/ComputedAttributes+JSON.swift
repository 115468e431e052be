public import TesseraCore

extension ComputedAttributes {
    /// The state as JSON, for the profile API and for storage:
    ///
    ///     {"firstSeen": "2015-02-23T22:28:55.111Z", "lastSeen": "…", "eventCount": 3,
    ///      "eventCounts": {"Order Completed": 1, "page": 2}, "otherEventCount": 0,
    ///      "orderCount": 1, "firstOrderAt": "…", "lastOrderAt": "…", "lifetimeValue": {"USD": 22.5},
    ///      "refundCount": 0, "refundedValue": {}}
    ///
    /// Times are `Timestamp.iso8601` text, or `null` before the first event; values are in units.
    /// The configuration is not part of the state.
    public var json: JSONValue {
        [
            "firstSeen": Self.time(firstSeen), "lastSeen": Self.time(lastSeen),
            "eventCount": .int(eventCount), "eventCounts": .object(eventCounts.mapValues { .int($0) }),
            "otherEventCount": .int(otherEventCount),
            "orderCount": .int(orderCount), "firstOrderAt": Self.time(firstOrderAt),
            "lastOrderAt": Self.time(lastOrderAt),
            "lifetimeValue": .object(lifetimeValueMicros.mapValues { .double(Money.units($0)) }),
            "refundCount": .int(refundCount),
            "refundedValue": .object(refundedValueMicros.mapValues { .double(Money.units($0)) }),
        ]
    }

    /// The bytes of `json`, written straight from the state without building the `JSONValue`
    /// tree: the single writer encodes every changed profile's state in each commit. Members and
    /// map keys come in `json`'s sorted order, so the bytes are the same.
    public var serialized: [UInt8] {
        var writer = JSONWriter(capacity: 192 + 32 * eventCounts.count)
        writer.beginObject()
        writer.writeKey("eventCount")
        writer.writeInt(eventCount)
        writer.writeComma()
        writer.writeKey("eventCounts")
        Self.write(eventCounts, to: &writer) { $0.writeInt($1) }
        for (key, time) in [
            ("firstOrderAt", firstOrderAt), ("firstSeen", firstSeen), ("lastOrderAt", lastOrderAt),
            ("lastSeen", lastSeen),
        ] {
            writer.writeComma()
            writer.writeKey(key)
            if let time { writer.writeTimestamp(time) } else { writer.writeNull() }
        }
        writer.writeComma()
        writer.writeKey("lifetimeValue")
        Self.write(lifetimeValueMicros, to: &writer) { $0.writeDouble(Money.units($1)) }
        let counts = [("orderCount", orderCount), ("otherEventCount", otherEventCount), ("refundCount", refundCount)]
        for (key, count) in counts {
            writer.writeComma()
            writer.writeKey(key)
            writer.writeInt(count)
        }
        writer.writeComma()
        writer.writeKey("refundedValue")
        Self.write(refundedValueMicros, to: &writer) { $0.writeDouble(Money.units($1)) }
        writer.endObject()
        return writer.bytes
    }

    private static func write(
        _ map: [String: Int64], to writer: inout JSONWriter, value: (inout JSONWriter, Int64) -> Void
    ) {
        writer.beginObject()
        for (index, key) in map.keys.sorted().enumerated() {
            if index > 0 { writer.writeComma() }
            writer.writeKey(key)
            value(&writer, map[key]!)
        }
        writer.endObject()
    }

    /// Loads a state that `json` wrote.
    ///
    /// Members left out take their empty values and unknown members are ignored, so states written
    /// by older or newer versions still load.
    ///
    /// - Parameters:
    ///   - json: the stored state.
    ///   - configuration: the settings for later observation.
    /// - Throws: `ProfilesError` when a member has the wrong type or a time is not in `iso8601` form.
    public init(json: JSONValue, configuration: Configuration = .standard) throws(ProfilesError) {
        guard case .object(let members) = json else {
            throw ProfilesError(field: "(root)", message: "must be an object")
        }
        let reader = StateReader(members: members)
        self.init(configuration: configuration)
        firstSeen = try reader.time("firstSeen")
        lastSeen = try reader.time("lastSeen")
        eventCount = try reader.count("eventCount")
        eventCounts = try reader.counts("eventCounts")
        otherEventCount = try reader.count("otherEventCount")
        orderCount = try reader.count("orderCount")
        firstOrderAt = try reader.time("firstOrderAt")
        lastOrderAt = try reader.time("lastOrderAt")
        lifetimeValueMicros = try reader.amounts("lifetimeValue")
        refundCount = try reader.count("refundCount")
        refundedValueMicros = try reader.amounts("refundedValue")
    }

    private static func time(_ time: Timestamp?) -> JSONValue {
        time.map { .string($0.iso8601) } ?? .null
    }
}

/// Reads the members of a stored computed-attributes state.
private struct StateReader {
    let members: [String: JSONValue]

    func time(_ field: String) throws(ProfilesError) -> Timestamp? {
        guard let value = members[field], value != .null else { return nil }
        guard let time = TimestampText.time(value) else {
            throw ProfilesError(field: field, message: "must be an ISO-8601 time as the state writes it")
        }
        return time
    }

    func count(_ field: String) throws(ProfilesError) -> Int64 {
        guard let value = members[field] else { return 0 }
        guard let number = value.intValue, number >= 0 else {
            throw ProfilesError(field: field, message: "must be a non-negative integer")
        }
        return number
    }

    func counts(_ field: String) throws(ProfilesError) -> [String: Int64] {
        guard let value = members[field] else { return [:] }
        guard let object = value.objectValue else { throw ProfilesError(field: field, message: "must be an object") }
        var counts: [String: Int64] = [:]
        for (name, count) in object {
            guard let number = count.intValue, number >= 0 else {
                throw ProfilesError(field: field, message: "must map names to non-negative integers")
            }
            counts[name] = number
        }
        return counts
    }

    func amounts(_ field: String) throws(ProfilesError) -> [String: Int64] {
        guard let value = members[field] else { return [:] }
        guard let object = value.objectValue else { throw ProfilesError(field: field, message: "must be an object") }
        var amounts: [String: Int64] = [:]
        for (currency, amount) in object {
            guard let micros = amount.doubleValue.flatMap(Money.storedMicros) else {
                throw ProfilesError(field: field, message: "must map currencies to numbers")
            }
            amounts[currency] = micros
        }
        return amounts
    }
}
