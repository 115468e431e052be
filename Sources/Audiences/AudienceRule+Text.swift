extension AudienceRule {
    /// The canonical text of the rule; parsing it gives back an equal rule.
    ///
    /// Keywords are lower case, strings are double-quoted with escapes, `did` stands for
    /// "at least once" and `did not` for "exactly 0 times", and every nested `and`/`or` group is
    /// parenthesised.
    public var text: String {
        switch self {
        case .and(let children): return children.map(\.groupedText).joined(separator: " and ")
        case .or(let children): return children.map(\.groupedText).joined(separator: " or ")
        case .not(let child): return "not " + child.groupedText
        case .attribute(let condition):
            let head = condition.isComputed ? condition.path : "attribute \(condition.path)"
            return head + condition.test.text
        case .identity(let namespace): return "has \(namespace)"
        case .event(let condition): return condition.text
        case .aggregate(let condition): return condition.text
        case .sequence(let condition): return condition.text
        case .audience(let name): return "in audience \(AudienceValue.quoted(name))"
        case .consent(let condition):
            return "consent \(condition.path) = \(AudienceValue.quoted(condition.answer.rawValue))"
        }
    }

    /// The text, in parentheses when the rule is an `and` or `or` chain.
    private var groupedText: String {
        switch self {
        case .and, .or: return "(\(text))"
        default: return text
        }
    }
}

extension AudienceValue {
    /// The literal as written in a rule: `"gold"`, `3`, `2.5`, `true`, `2026-01-01`.
    public var text: String {
        switch self {
        case .string(let value): return Self.quoted(value)
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .date(let value): return value.text
        }
    }

    /// `value` in double quotes, escaping quotes, backslashes and control characters.
    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

extension ValueTest {
    /// The test as written after a path, with a leading space: ` = "gold"`, ` in [1, 2]`, ` exists`.
    var text: String {
        switch self {
        case .compare(let comparison, let value): return " \(comparison.rawValue) \(value.text)"
        case .oneOf(let values): return " in [" + values.map(\.text).joined(separator: ", ") + "]"
        case .exists: return " exists"
        }
    }
}

extension TimeWindow {
    /// The window as written after an event, with a leading space; empty for all time.
    var text: String {
        switch self {
        case .allTime: return ""
        case .within(let duration): return " within \(duration.text)"
        case .between(let start, let end): return " between \(start.text) and \(end.text)"
        case .before(let date): return " before \(date.text)"
        case .after(let date): return " after \(date.text)"
        }
    }
}

/// The filters as written after an event, with a leading space; empty when there are none.
private func filterText(_ filters: [EventFilter]) -> String {
    guard !filters.isEmpty else { return "" }
    return " where " + filters.map { $0.path + $0.test.text }.joined(separator: " and ")
}

extension EventCondition {
    var text: String {
        let name = AudienceValue.quoted(event)
        let counted: String
        switch quantifier {
        case .exactly(0): return "did not \(name)\(filterText(filters))\(window.text)"
        case .atLeast(1): counted = ""
        case .atLeast(let count): counted = " at least \(count) \(count == 1 ? "time" : "times")"
        case .atMost(let count): counted = " at most \(count) \(count == 1 ? "time" : "times")"
        case .exactly(let count): counted = " exactly \(count) \(count == 1 ? "time" : "times")"
        }
        return "did \(name)\(filterText(filters))\(counted)\(window.text)"
    }
}

extension AggregateCondition {
    var text: String {
        let subject = field.map { "\($0) for " } ?? ""
        let head = "\(function.rawValue) of \(subject)\(AudienceValue.quoted(event))"
        return "\(head)\(filterText(filters))\(window.text) \(comparison.rawValue) \(threshold.value.text)"
    }
}

extension SequenceCondition {
    var text: String {
        let steps = steps.map { AudienceValue.quoted($0.event) + filterText($0.filters) }
        return "did " + steps.joined(separator: " then ") + (within.map { " within \($0.text)" } ?? "")
    }
}
