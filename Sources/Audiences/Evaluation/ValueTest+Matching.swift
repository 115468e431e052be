public import TesseraCore

extension ValueTest {
    /// Whether `value` passes the test, as `docs/audiences.md` ("What a rule means") defines it.
    ///
    /// A missing value or `null` passes nothing; a value of another kind than the literal is neither
    /// equal nor unequal; arrays and objects pass only `exists`.
    public func matches(_ value: JSONValue?) -> Bool {
        guard let value, value != .null else { return false }
        switch self {
        case .exists: return true
        case .oneOf(let literals): return literals.contains { Self.compare(value, .equal, $0) }
        case .compare(let comparison, let literal): return Self.compare(value, comparison, literal)
        }
    }

    /// Compares one present value with one literal.
    static func compare(_ value: JSONValue, _ comparison: ComparisonOperator, _ literal: AudienceValue) -> Bool {
        switch (comparison, literal) {
        case (.contains, .string(let text)):
            guard let string = value.stringValue else { return false }
            return string.lowercased().contains(text.lowercased())
        case (.startsWith, .string(let text)):
            guard let string = value.stringValue else { return false }
            return string.lowercased().hasPrefix(text.lowercased())
        case (.before, .date(let date)):
            return AudienceFacts.instant(of: value).map { $0 < date.timestamp } ?? false
        case (.after, .date(let date)):
            return AudienceFacts.instant(of: value).map { $0 > date.timestamp } ?? false
        case (_, .date(let date)):
            guard let instant = AudienceFacts.instant(of: value) else { return false }
            return comparison.holds(instant.milliseconds.compared(to: date.timestamp.milliseconds))
        case (_, .int), (_, .double):
            guard let number = AudienceFacts.number(of: value), let threshold = literal.number else { return false }
            return comparison.holds(number.compared(to: threshold.doubleValue))
        case (.equal, .string(let text)): return value.stringValue == text
        case (.notEqual, .string(let text)): return value.stringValue.map { $0 != text } ?? false
        case (.equal, .bool(let flag)): return value.boolValue == flag
        case (.notEqual, .bool(let flag)): return value.boolValue.map { $0 != flag } ?? false
        default: return false
        }
    }
}

extension ComparisonOperator {
    /// Whether the operator accepts an ordering of the value against the literal (`-1`, `0`, `1`).
    ///
    /// `contains`, `starts with`, `before` and `after` are not orderings and answer `false`.
    public func holds(_ order: Int) -> Bool {
        switch self {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        case .contains, .startsWith, .before, .after: return false
        }
    }
}

extension Comparable {
    /// `-1`, `0` or `1` as `self` is smaller than, equal to or greater than `other`.
    fileprivate func compared(to other: Self) -> Int { self < other ? -1 : (self == other ? 0 : 1) }
}

/// How rules read values out of profiles and events, shared by every evaluator.
public enum AudienceFacts {
    /// The value of a numeric JSON value, integers widened to `Double`.
    public static func number(of value: JSONValue) -> Double? {
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number.isNaN ? nil : number
        default: return nil
        }
    }

    /// The instant a value names: an ISO-8601 string or milliseconds since 1970.
    public static func instant(of value: JSONValue) -> Timestamp? {
        switch value {
        case .string(let text): return AudienceDateParser.parse(text)?.timestamp
        case .int(let milliseconds): return Timestamp(milliseconds: milliseconds)
        case .double(let milliseconds) where milliseconds.isFinite && abs(milliseconds) < 9e15:
            return Timestamp(milliseconds: Int64(milliseconds))
        default: return nil
        }
    }

    /// The value at a dotted `path` inside `root`, or `nil` when any step is missing.
    public static func value(at path: String, in root: JSONValue) -> JSONValue? {
        var current = root
        for step in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let next = current[String(step)] else { return nil }
            current = next
        }
        return current
    }

    /// The value an event filter reads: `properties.…` in `properties`, `context.…` in `context`.
    public static func eventField(_ path: String, properties: JSONValue, context: JSONValue) -> JSONValue? {
        if path.hasPrefix("properties.") { return value(at: String(path.dropFirst(11)), in: properties) }
        if path.hasPrefix("context.") { return value(at: String(path.dropFirst(8)), in: context) }
        return nil
    }
}
