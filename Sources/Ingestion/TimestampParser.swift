import TesseraCore

/// Reads the timestamps clients actually send.
///
/// Accepts ISO-8601 and its common relaxations: one-digit months, days and hours (Segment's own docs
/// show `2015-2-02T00:30:08.276Z`), a space or `T` between date and time, optional seconds, any number
/// of fractional digits (kept to the millisecond), and `Z`, `±HH`, `±HHMM` or `±HH:MM` offsets; no
/// offset means UTC. A bare date is midnight UTC. Written by hand because Foundation's
/// `ISO8601DateFormatter` rejects these variants and costs microseconds per call on the hot path.
public enum TimestampParser {
    /// The instant `text` denotes, or nil when it is not a timestamp.
    public static func parse(_ text: String) -> Timestamp? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// The instant the UTF-8 bytes denote, or nil when they are not a timestamp.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        var scanner = Scanner(bytes: bytes)
        guard let date = scanner.date() else { return nil }
        var milliseconds = Timestamp.daysSinceEpoch(year: date.year, month: date.month, day: date.day) * 86_400_000
        if scanner.skip(UInt8(ascii: "T")) || scanner.skip(UInt8(ascii: "t")) || scanner.skip(UInt8(ascii: " ")) {
            guard let time = scanner.timeOfDay() else { return nil }
            milliseconds += time
            guard let offset = scanner.offset() else { return nil }
            milliseconds -= offset
        }
        return scanner.atEnd ? Timestamp(milliseconds: milliseconds) : nil
    }
}

private struct Scanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    var atEnd: Bool { position == bytes.count }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// Reads between `minimum` and `maximum` decimal digits.
    mutating func number(minimum: Int, maximum: Int) -> Int64? {
        var value: Int64 = 0
        var digits = 0
        while digits < maximum, position < bytes.count, bytes[position] &- UInt8(ascii: "0") < 10 {
            value = value * 10 + Int64(bytes[position] &- UInt8(ascii: "0"))
            position += 1
            digits += 1
        }
        return digits >= minimum ? value : nil
    }

    mutating func date() -> (year: Int64, month: Int64, day: Int64)? {
        guard let year = number(minimum: 4, maximum: 4), skip(UInt8(ascii: "-")),
            let month = number(minimum: 1, maximum: 2), skip(UInt8(ascii: "-")),
            let day = number(minimum: 1, maximum: 2),
            (1...12).contains(month), day >= 1, day <= Scanner.daysIn(month: month, year: year)
        else { return nil }
        return (year, month, day)
    }

    /// Milliseconds since midnight.
    mutating func timeOfDay() -> Int64? {
        guard let hour = number(minimum: 1, maximum: 2), hour < 24, skip(UInt8(ascii: ":")),
            let minute = number(minimum: 2, maximum: 2), minute < 60
        else { return nil }
        var second: Int64 = 0
        var millisecond: Int64 = 0
        if skip(UInt8(ascii: ":")) {
            guard let value = number(minimum: 2, maximum: 2), value <= 60 else { return nil }
            second = min(value, 59)
            if skip(UInt8(ascii: ".")) || skip(UInt8(ascii: ",")) {
                guard let fraction = fractionMilliseconds() else { return nil }
                millisecond = fraction
            }
        }
        return ((hour * 60 + minute) * 60 + second) * 1000 + millisecond
    }

    /// Reads one or more fractional digits, keeping the first three.
    mutating func fractionMilliseconds() -> Int64? {
        var value: Int64 = 0
        var digits = 0
        while position < bytes.count, bytes[position] &- UInt8(ascii: "0") < 10 {
            if digits < 3 { value = value * 10 + Int64(bytes[position] &- UInt8(ascii: "0")) }
            position += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        if digits < 3 {
            for _ in digits..<3 { value *= 10 }
        }
        return value
    }

    /// The zone offset in milliseconds east of UTC; zero when absent or `Z`.
    mutating func offset() -> Int64? {
        if atEnd || skip(UInt8(ascii: "Z")) || skip(UInt8(ascii: "z")) { return 0 }
        let sign: Int64
        if skip(UInt8(ascii: "+")) {
            sign = 1
        } else if skip(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let hours = number(minimum: 2, maximum: 2), hours <= 18 else { return nil }
        var minutes: Int64 = 0
        if !atEnd {
            _ = skip(UInt8(ascii: ":"))
            guard let value = number(minimum: 2, maximum: 2), value < 60 else { return nil }
            minutes = value
        }
        return sign * (hours * 60 + minutes) * 60_000
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
