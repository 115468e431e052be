import TesseraCore

/// The provenances the graph keeps for its links, one per graph operation that made or changed one.
///
/// A `Provenance` takes 57 bytes and copies its rule's `String` (a reference count to touch on every
/// copy); with one per observed record, ten million links held half a gigabyte of them. Here each
/// takes 32 bytes: record, source and time as integers and the rule as the number of its name, as a
/// graph sees a handful of rules (`record`, `request.unlink`, an import's name).
struct ProvenanceStore {
    /// One provenance, its optional members told apart by `presence`.
    private struct Stored {
        var record: Int64
        var source: Int64
        var time: Int64
        var rule: UInt32
        /// Bit 0: `record` is set; bit 1: `source` is set.
        var presence: UInt8
    }

    private var stored: [Stored] = []
    private var rules: [String] = []
    private var ruleNumbers: [String: UInt32] = [:]

    /// The number of provenances kept.
    var count: Int { stored.count }

    /// The bytes held, for the benchmark's memory report.
    var bytes: Int { stored.capacity * MemoryLayout<Stored>.stride }

    /// Keeps a provenance and returns its number.
    ///
    /// - Complexity: amortised O(1); the rule is found by comparing it with the last one, then by hash.
    mutating func append(_ provenance: Provenance) -> Int32 {
        precondition(stored.count < Int(Int32.max), "the graph keeps at most 2^31 - 1 provenances")
        let presence = UInt8(provenance.record == nil ? 0 : 1) | UInt8(provenance.source == nil ? 0 : 2)
        stored.append(
            Stored(
                record: provenance.record ?? 0, source: provenance.source ?? 0,
                time: provenance.time.milliseconds, rule: ruleNumber(provenance.rule), presence: presence))
        return Int32(stored.count - 1)
    }

    /// The provenance numbered `number`.
    subscript(number: Int) -> Provenance {
        let item = stored[number]
        return Provenance(
            record: item.presence & 1 == 0 ? nil : item.record, source: item.presence & 2 == 0 ? nil : item.source,
            rule: rules[Int(item.rule)], time: Timestamp(milliseconds: item.time))
    }

    /// Reserves room for `count` provenances.
    mutating func reserveCapacity(_ count: Int) {
        stored.reserveCapacity(count)
    }

    private mutating func ruleNumber(_ rule: String) -> UInt32 {
        if let last = stored.last, rules[Int(last.rule)] == rule { return last.rule }
        if let number = ruleNumbers[rule] { return number }
        let number = UInt32(rules.count)
        rules.append(rule)
        ruleNumbers[rule] = number
        return number
    }
}
