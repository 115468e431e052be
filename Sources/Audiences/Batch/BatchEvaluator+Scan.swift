import Dispatch
import TesseraCore

extension BatchEvaluator {
    /// Runs `plan` on `chunks`, writing each chunk's words of the result into `words`.
    func run(_ plan: Plan, at now: Timestamp, chunks: [Int], into words: inout [UInt64]) {
        guard !chunks.isEmpty else { return }
        let workers = min(configuration.concurrency, chunks.count)
        words.withUnsafeMutableBufferPointer { buffer in
            let output = ChunkOutput(words: buffer)
            let work: @Sendable (Int) -> Void = { worker in
                var scanner = ChunkScanner(now: now)
                for position in stride(from: worker, to: chunks.count, by: workers) {
                    let range = wordRange(ofChunk: chunks[position])
                    let result = scanner.evaluate(plan, firstRow: range.lowerBound * 64, mask: mask(for: range))
                    output.write(result, at: range.lowerBound)
                }
            }
            if workers == 1 {
                work(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: workers, execute: work)
            }
        }
    }

    /// All rows of the snapshot inside `range` of words.
    private func mask(for range: Range<Int>) -> [UInt64] {
        var mask = [UInt64](repeating: ~0, count: range.count)
        let rowsAfter = Int(snapshot.count) - (range.upperBound - 1) * 64
        if rowsAfter < 64 { mask[mask.count - 1] = (1 << UInt64(rowsAfter)) - 1 }
        return mask
    }
}

/// The output words while chunks run on several threads.
///
/// `@unchecked Sendable`: every chunk writes only its own word range, chunks are disjoint, and the
/// buffer outlives `concurrentPerform`, which returns only after every worker has finished.
private struct ChunkOutput: @unchecked Sendable {
    let words: UnsafeMutableBufferPointer<UInt64>

    func write(_ chunk: [UInt64], at start: Int) {
        for (offset, word) in chunk.enumerated() { words[start + offset] = word }
    }
}

/// Evaluates a plan on one chunk of rows; each node sees only the rows still in play (`mask`) and
/// answers a subset of them.
struct ChunkScanner {
    let now: Timestamp
    /// Scratch space for sequence conditions: each step's position in its name's events.
    private var cursors: [Int] = []

    init(now: Timestamp) {
        self.now = now
    }

    mutating func evaluate(_ plan: Plan, firstRow: Int, mask: [UInt64]) -> [UInt64] {
        switch plan {
        case .all(let children):
            var result = mask
            for child in children {
                guard result.contains(where: { $0 != 0 }) else { break }
                result = evaluate(child, firstRow: firstRow, mask: result)
            }
            return result
        case .any(let children):
            var result = [UInt64](repeating: 0, count: mask.count)
            var remaining = mask
            for child in children {
                guard remaining.contains(where: { $0 != 0 }) else { break }
                let matched = evaluate(child, firstRow: firstRow, mask: remaining)
                for index in result.indices {
                    result[index] |= matched[index]
                    remaining[index] &= ~matched[index]
                }
            }
            return result
        case .not(let child):
            var result = evaluate(child, firstRow: firstRow, mask: mask)
            for index in result.indices { result[index] = mask[index] & ~result[index] }
            return result
        case .rows(let set):
            let firstWord = firstRow / 64
            return set.words.withUnsafeBufferPointer { words in
                mask.indices.map { mask[$0] & words[firstWord + $0] }
            }
        case .value(let table):
            return table.codes.withUnsafeBufferPointer { codes in
                table.truth.withUnsafeBufferPointer { truth in
                    select(mask, firstRow) { truth[Int(codes[$0])] }
                }
            }
        case .consent(let answers, let required):
            return select(mask, firstRow) { answers[$0] == required }
        case .event(let event):
            return counts(event, firstRow: firstRow, mask: mask)
        case .aggregate(let aggregate):
            return totals(aggregate, firstRow: firstRow, mask: mask)
        case .sequence(let sequence):
            var result = mask
            for index in mask.indices where mask[index] != 0 {
                var bits = mask[index]
                var kept: UInt64 = 0
                while bits != 0 {
                    let bit = bits.trailingZeroBitCount
                    if completes(sequence, row: firstRow + index * 64 + bit) { kept |= 1 << UInt64(bit) }
                    bits &= bits &- 1
                }
                result[index] = kept
            }
            return result
        }
    }

    /// The rows of `mask` for which `test` holds.
    private func select(_ mask: [UInt64], _ firstRow: Int, _ test: (Int) -> Bool) -> [UInt64] {
        var result = [UInt64](repeating: 0, count: mask.count)
        for index in mask.indices where mask[index] != 0 {
            var bits = mask[index]
            var kept: UInt64 = 0
            let base = firstRow + index * 64
            while bits != 0 {
                let bit = bits.trailingZeroBitCount
                if test(base + bit) { kept |= 1 << UInt64(bit) }
                bits &= bits &- 1
            }
            result[index] = kept
        }
        return result
    }

    /// Whether the event `index` passes every filter.
    private func passes(_ filters: [ValueTable], _ index: Int) -> Bool {
        for filter in filters where !filter.truth[Int(filter.codes[index])] { return false }
        return true
    }

    /// The rows from the first to the last row of `mask`.
    private func span(_ mask: [UInt64], _ firstRow: Int) -> Range<Int>? {
        guard let first = mask.firstIndex(where: { $0 != 0 }), let last = mask.lastIndex(where: { $0 != 0 })
        else { return nil }
        let lower = firstRow + first * 64 + mask[first].trailingZeroBitCount
        let upper = firstRow + last * 64 + 64 - mask[last].leadingZeroBitCount
        return lower..<upper
    }

    /// For each event of `rows`, 1 when it lies in the window and passes every filter, else 0.
    ///
    /// One tight pass over the events for the window and one per filter, instead of a branchy walk
    /// per profile: events of neighbouring rows are neighbours in the columns.
    private func flags(
        _ columns: AudienceSnapshot.EventColumns, _ filters: [ValueTable], _ window: TimeWindow, _ events: Range<Int>
    ) -> [UInt8] {
        var flags = [UInt8](repeating: 0, count: events.count)
        let now = self.now
        flags.withUnsafeMutableBufferPointer { flags in
            columns.times.withUnsafeBufferPointer { times in
                for index in flags.indices {
                    let time = Timestamp(milliseconds: times[events.lowerBound &+ index])
                    flags[index] = window.contains(time, at: now) ? 1 : 0
                }
            }
            for filter in filters {
                filter.codes.withUnsafeBufferPointer { codes in
                    filter.truth.withUnsafeBufferPointer { truth in
                        for index in flags.indices {
                            flags[index] &= truth[Int(codes[events.lowerBound &+ index])] ? 1 : 0
                        }
                    }
                }
            }
        }
        return flags
    }

    /// The rows of `mask` that have at least one event with a flag set.
    private func present(
        _ columns: AudienceSnapshot.EventColumns, _ flags: [UInt8], _ events: Range<Int>, firstRow: Int,
        mask: [UInt64]
    ) -> [UInt64] {
        var present = [UInt64](repeating: 0, count: mask.count)
        columns.rows.withUnsafeBufferPointer { rows in
            for (offset, flag) in flags.enumerated() where flag != 0 {
                let row = Int(rows[events.lowerBound &+ offset]) &- firstRow
                present[row >> 6] |= 1 << UInt64(row & 63)
            }
        }
        for index in present.indices { present[index] &= mask[index] }
        return present
    }

    /// `mask` rows without matching events when `holdsForNone`, plus the rows of `computed`.
    private func combine(_ mask: [UInt64], present: [UInt64], holdsForNone: Bool, _ computed: [UInt64]) -> [UInt64] {
        guard holdsForNone else { return computed }
        return mask.indices.map { (mask[$0] & ~present[$0]) | computed[$0] }
    }

    /// The rows of `mask` whose number of matching events satisfies the quantifier.
    ///
    /// Rows without a matching event all get the answer for 0 at once; only rows with one are
    /// counted, which in most windows is a minority.
    private func counts(_ plan: EventPlan, firstRow: Int, mask: [UInt64]) -> [UInt64] {
        guard let rows = span(mask, firstRow) else { return mask }
        let columns = plan.columns
        let events = Int(columns.offsets[rows.lowerBound])..<Int(columns.offsets[rows.upperBound])
        let flags = flags(columns, plan.filters, plan.window, events)
        let present = present(columns, flags, events, firstRow: firstRow, mask: mask)
        let counted = columns.offsets.withUnsafeBufferPointer { offsets in
            flags.withUnsafeBufferPointer { flags in
                select(present, firstRow) { row in
                    var matching: Int64 = 0
                    for index in Int(offsets[row])..<Int(offsets[row &+ 1]) {
                        matching &+= Int64(flags[index &- events.lowerBound])
                    }
                    return plan.quantifier.isSatisfied(by: matching)
                }
            }
        }
        return combine(mask, present: present, holdsForNone: plan.quantifier.isSatisfied(by: 0), counted)
    }

    /// The rows of `mask` whose aggregate passes its comparison, through the shared `AtomTotals`;
    /// rows without a matching event share the answer for empty totals.
    private func totals(_ plan: AggregatePlan, firstRow: Int, mask: [UInt64]) -> [UInt64] {
        guard let rows = span(mask, firstRow) else { return mask }
        let columns = plan.columns
        let events = Int(columns.offsets[rows.lowerBound])..<Int(columns.offsets[rows.upperBound])
        let flags = flags(columns, plan.filters, plan.window, events)
        let present = present(columns, flags, events, firstRow: firstRow, mask: mask)
        let reads = !plan.numbers.isEmpty
        let computed = columns.offsets.withUnsafeBufferPointer { offsets in
            flags.withUnsafeBufferPointer { flags in
                plan.fieldCodes.withUnsafeBufferPointer { codes in
                    plan.numbers.withUnsafeBufferPointer { numbers in
                        select(present, firstRow) { row in
                            var totals = AtomTotals()
                            for index in Int(offsets[row])..<Int(offsets[row &+ 1])
                            where flags[index &- events.lowerBound] != 0 {
                                let number = reads ? numbers[Int(codes[index])] : .nan
                                totals.add(number.isNaN ? nil : number)
                            }
                            return plan.condition.isSatisfied(by: totals)
                        }
                    }
                }
            }
        }
        return combine(mask, present: present, holdsForNone: plan.condition.isSatisfied(by: AtomTotals()), computed)
    }

    /// Whether distinct events of the row match the steps in strictly increasing (time, sequence)
    /// order, the last within `within` of the first.
    ///
    /// For a given first event, taking for each later step its earliest event after the previous
    /// step's gives the earliest possible end, so trying each first event in turn is exact. A later
    /// first event never finds a step's event earlier than the one found before, so each step keeps
    /// a cursor into its name's events and the whole search is linear in the row's events; once a
    /// first event cannot complete the steps at all, no later one can.
    private mutating func completes(_ plan: SequencePlan, row: Int) -> Bool {
        for offsets in plan.offsets where offsets[row] == offsets[row + 1] { return false }
        let name = plan.steps[0].name
        cursors.removeAll(keepingCapacity: true)
        for step in plan.steps { cursors.append(Int(plan.offsets[step.name][row])) }
        for start in Int(plan.offsets[name][row])..<Int(plan.offsets[name][row + 1])
        where passes(plan.steps[0].filters, start) {
            var last = (time: plan.times[name][start], sequence: plan.sequences[name][start])
            for position in plan.steps.indices.dropFirst() {
                let step = plan.steps[position]
                let end = Int(plan.offsets[step.name][row + 1])
                var index = cursors[position]
                while index < end
                    && ((plan.times[step.name][index], plan.sequences[step.name][index]) <= last
                        || !passes(step.filters, index))
                {
                    index += 1
                }
                cursors[position] = index
                guard index < end else { return false }
                last = (plan.times[step.name][index], plan.sequences[step.name][index])
            }
            guard let within = plan.within else { return true }
            if last.time - plan.times[name][start] <= within { return true }
        }
        return false
    }
}
