import TesseraCore

/// Reading back the times this module writes into JSON.
///
/// Profile state renders times as `Timestamp.iso8601` text (`2015-02-23T22:28:55.111Z`) so that the
/// API shows them readably. Loading that state back needs only this one fixed shape, so it is read
/// here by hand instead of with a general ISO-8601 parser; a number of milliseconds since the epoch
/// is accepted too.
enum TimestampText {
    /// The time in `value`: text in the exact form `Timestamp.iso8601` writes, or integer milliseconds.
    static func time(_ value: JSONValue?) -> Timestamp? {
        switch value {
        case .int(let milliseconds)?: return Timestamp(milliseconds: milliseconds)
        case .string(let text)?: return parse(text)
        default: return nil
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` as a timestamp, or nil for any other text.
    static func parse(_ text: String) -> Timestamp? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes[19] == UInt8(ascii: "."), bytes[23] == UInt8(ascii: "Z"),
            let year = number(bytes, 0..<4), let month = number(bytes, 5..<7), let day = number(bytes, 8..<10),
            let hour = number(bytes, 11..<13), let minute = number(bytes, 14..<16),
            let second = number(bytes, 17..<19), let millisecond = number(bytes, 20..<23),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }

        let days = Timestamp.daysSinceEpoch(year: year, month: month, day: day)
        let milliseconds = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millisecond
        return Timestamp(milliseconds: milliseconds)
    }

    /// The decimal number in `bytes[range]`, or nil when a byte is not a digit.
    private static func number(_ bytes: [UInt8], _ range: Range<Int>) -> Int64? {
        var result: Int64 = 0
        for byte in bytes[range] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            result = result * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return result
    }
}
