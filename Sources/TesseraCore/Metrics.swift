import Foundation

import Synchronization

/// Counters and histograms, rendered in the Prometheus text exposition format.
///
/// Metric families are registered once at start-up; label values are added as they are first used.
/// Names follow Prometheus conventions (`tessera_records_accepted_total`).
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[String: Family]>([:])
    private let order = Mutex<[String]>([])

    public init() {}

    /// The counter family `name`, created on first use.
    public func counter(_ name: String, help: String, labels: [String] = []) -> Counter {
        let family = family(name) { Family(name: name, help: help, kind: .counter(labels: labels)) }
        return Counter(family: family)
    }

    /// The histogram `name` with upper bucket bounds `buckets` (seconds, sizes, …), created on first use.
    public func histogram(_ name: String, help: String, buckets: [Double]) -> Histogram {
        let family = family(name) { Family(name: name, help: help, kind: .histogram(buckets: buckets.sorted())) }
        return Histogram(family: family)
    }

    /// Every family in registration order, as Prometheus text.
    public func render() -> String {
        let names = order.withLock { $0 }
        let snapshot = families.withLock { $0 }
        var text = ""
        for name in names {
            guard let family = snapshot[name] else { continue }
            family.render(into: &text)
        }
        return text
    }

    private func family(_ name: String, make: () -> Family) -> Family {
        families.withLock { families in
            if let existing = families[name] { return existing }
            let created = make()
            families[name] = created
            order.withLock { $0.append(name) }
            return created
        }
    }
}

/// A monotonically increasing count, optionally split by label values.
public struct Counter: Sendable {
    fileprivate let family: Family

    /// Adds `amount` to the series with `labels` (values in the order the family declared its labels).
    public func increment(by amount: Int = 1, labels: [String] = []) {
        family.add(Double(amount), labels: labels)
    }

    /// The current value of one series; for tests and for the CLI.
    public func value(labels: [String] = []) -> Double {
        family.values.withLock { $0[labels]?.first ?? 0 }
    }
}

/// A distribution of observations in cumulative buckets.
public struct Histogram: Sendable {
    fileprivate let family: Family

    public func observe(_ value: Double) {
        family.observe(value)
    }

    /// How many values were observed so far.
    public var count: Int {
        guard case .histogram(let buckets) = family.kind else { return 0 }
        return Int(family.values.withLock { $0[[]]?[buckets.count + 1] ?? 0 })
    }
}

private final class Family: Sendable {
    enum Kind: Sendable {
        case counter(labels: [String])
        case histogram(buckets: [Double])
    }

    let name: String
    let help: String
    let kind: Kind
    /// Counter: label values → [value]. Histogram: [] → [bucket counts…, sum, count].
    let values = Mutex<[[String]: [Double]]>([:])

    init(name: String, help: String, kind: Kind) {
        self.name = name
        self.help = help
        self.kind = kind
    }

    func add(_ amount: Double, labels: [String]) {
        values.withLock { $0[labels, default: [0]][0] += amount }
    }

    func observe(_ value: Double) {
        guard case .histogram(let buckets) = kind else { return }
        values.withLock { values in
            var series = values[[]] ?? Array(repeating: 0, count: buckets.count + 2)
            if let bucket = buckets.firstIndex(where: { value <= $0 }) { series[bucket] += 1 }
            series[buckets.count] += value
            series[buckets.count + 1] += 1
            values[[]] = series
        }
    }

    func render(into text: inout String) {
        let snapshot = values.withLock { $0 }
        switch kind {
        case .counter(let labels):
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            if labels.isEmpty && snapshot.isEmpty { text += "\(name) 0\n" }
            for key in snapshot.keys.sorted(by: { $0.joined(separator: "\u{1}") < $1.joined(separator: "\u{1}") }) {
                text += "\(name)\(Family.labelText(labels, key)) \(Family.number(snapshot[key]![0]))\n"
            }
        case .histogram(let buckets):
            text += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            let series = snapshot[[]] ?? Array(repeating: 0, count: buckets.count + 2)
            var cumulative = 0.0
            for (index, bound) in buckets.enumerated() {
                cumulative += series[index]
                text += "\(name)_bucket{le=\"\(Family.number(bound))\"} \(Family.number(cumulative))\n"
            }
            text += "\(name)_bucket{le=\"+Inf\"} \(Family.number(series[buckets.count + 1]))\n"
            text += "\(name)_sum \(Family.number(series[buckets.count]))\n"
            text += "\(name)_count \(Family.number(series[buckets.count + 1]))\n"
        }
    }

    private static func labelText(_ names: [String], _ values: [String]) -> String {
        guard !names.isEmpty else { return "" }
        let pairs = zip(names, values).map { name, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            return "\(name)=\"\(escaped)\""
        }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    private static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
