public import TesseraCore

/// A literal written in an audience rule: a string, a number, a boolean or a date.
///
/// Dates are their own kind of literal (`2026-01-01`), never quoted strings, so that a rule says
/// unambiguously when it compares points in time.
public enum AudienceValue: Sendable, Hashable {
    /// A double-quoted string: `"gold"`.
    case string(String)
    /// A whole number: `3`, `-12`.
    case int(Int64)
    /// A number with a fraction or an exponent: `99.5`, `1e-05`.
    case double(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// An unquoted date or date-time: `2026-01-01`, `2026-07-01T09:30:00Z`.
    case date(AudienceDate)

    /// The value as a number when it is an integer or a double.
    public var number: AudienceNumber? {
        switch self {
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        default: return nil
        }
    }
}

/// A numeric literal, kept as written: integer or floating point.
public enum AudienceNumber: Sendable, Hashable {
    /// A whole number.
    case int(Int64)
    /// A number with a fraction or an exponent.
    case double(Double)

    /// The number as a `Double`, for comparisons against aggregated values.
    public var doubleValue: Double {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        }
    }

    /// The number as a literal value.
    public var value: AudienceValue {
        switch self {
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        }
    }
}

/// A date literal: a calendar day (`2026-01-01`, midnight UTC) or an instant (`2026-07-01T09:30:00Z`).
///
/// Offsets such as `+02:00` are accepted when parsing and folded into UTC, so two dates naming the
/// same instant are equal.
public struct AudienceDate: Sendable, Hashable, Comparable {
    /// The instant the date names; a calendar day names its first millisecond in UTC.
    public var timestamp: Timestamp
    /// Whether the literal carried a time of day; a plain calendar day renders without one.
    public var hasTime: Bool

    /// Creates a date literal.
    ///
    /// - Parameters:
    ///   - timestamp: The instant; for a calendar day it should be midnight UTC.
    ///   - hasTime: Whether the literal names an instant rather than a whole day.
    public init(timestamp: Timestamp, hasTime: Bool) {
        self.timestamp = timestamp
        self.hasTime = hasTime
    }

    /// Creates the calendar day `year-month-day` at midnight UTC.
    public init(year: Int64, month: Int64, day: Int64) {
        let days = Timestamp.daysSinceEpoch(year: year, month: month, day: day)
        self.init(timestamp: Timestamp(milliseconds: days * 86_400_000), hasTime: false)
    }

    /// Whether `lhs` names an earlier instant than `rhs`.
    public static func < (lhs: AudienceDate, rhs: AudienceDate) -> Bool { lhs.timestamp < rhs.timestamp }

    /// The canonical spelling: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SSZ` with `.mmm` when milliseconds are set.
    public var text: String {
        let milliseconds = timestamp.milliseconds
        let days = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        let ofDay = milliseconds - days * 86_400_000
        let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: days)
        var result = Self.padded(year, 4) + "-" + Self.padded(month, 2) + "-" + Self.padded(day, 2)
        guard hasTime else { return result }
        result += "T" + Self.padded(ofDay / 3_600_000, 2) + ":" + Self.padded(ofDay / 60_000 % 60, 2)
        result += ":" + Self.padded(ofDay / 1000 % 60, 2)
        if ofDay % 1000 != 0 { result += "." + Self.padded(ofDay % 1000, 3) }
        return result + "Z"
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// The unit of a duration. A month counts as 30 days and a year as 365 days.
public enum DurationUnit: String, Sendable, Hashable, CaseIterable {
    /// 60 seconds, a day, 7 days, 30 days, 365 days, and so on: see `milliseconds`.
    case minute, hour, day, week, month, year

    /// The length of one unit in milliseconds.
    public var milliseconds: Int64 {
        switch self {
        case .minute: return 60_000
        case .hour: return 3_600_000
        case .day: return 86_400_000
        case .week: return 7 * 86_400_000
        case .month: return 30 * 86_400_000
        case .year: return 365 * 86_400_000
        }
    }
}

/// A length of time written as a count of units: `15 minutes`, `7 days`, `1 year`.
public struct AudienceDuration: Sendable, Hashable {
    /// The largest amount a duration may have; keeps every duration far from overflowing.
    public static let maximumAmount: Int64 = 1_000_000

    /// How many units; between 1 and `maximumAmount`.
    public var amount: Int64
    /// The unit counted.
    public var unit: DurationUnit

    /// Creates a duration of `amount` units.
    public init(_ amount: Int64, _ unit: DurationUnit) {
        self.amount = amount
        self.unit = unit
    }

    /// The length in milliseconds (months are 30 days, years 365 days).
    public var milliseconds: Int64 { amount * unit.milliseconds }

    /// The canonical spelling, singular for one unit: `1 hour`, `30 days`.
    public var text: String { "\(amount) \(unit.rawValue)\(amount == 1 ? "" : "s")" }
}
