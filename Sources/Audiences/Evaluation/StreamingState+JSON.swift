public import TesseraCore

extension StreamingState {
    /// The stored form, under the keys of `plan`'s atoms and sequences:
    ///
    ///     {"fixed": {"KEY": [count, numericCount, sum, min, max]},
    ///      "sliding": {"KEY": {"window": ms, "events": [[time, number], …]}},
    ///      "sequences": {"KEY": true | [[[time, sequence], …] per step]}}
    public func json(plan: StreamingPlan) -> JSONValue {
        var fixed: [String: JSONValue] = [:]
        for (key, totals) in self.fixed {
            fixed[plan.atomKeys[key]] = [
                .int(totals.count), .int(totals.numericCount), .double(totals.sum),
                totals.minimum.map(JSONValue.double) ?? .null, totals.maximum.map(JSONValue.double) ?? .null,
            ]
        }
        var sliding: [String: JSONValue] = [:]
        for (key, window) in self.sliding {
            let events = window.events.map { event -> JSONValue in
                [.int(event.time.milliseconds), event.number.map(JSONValue.double) ?? .null]
            }
            sliding[plan.atomKeys[key]] = ["window": .int(window.milliseconds), "events": .array(events)]
        }
        var sequences: [String: JSONValue] = [:]
        for (key, progress) in self.sequences {
            switch progress {
            case .completed: sequences[plan.sequenceKeys[key]] = true
            case .pending(let steps):
                sequences[plan.sequenceKeys[key]] = .array(
                    steps.map { marks in
                        .array(marks.map { [.int($0.time.milliseconds), .int($0.sequence)] })
                    })
            }
        }
        return ["fixed": .object(fixed), "sliding": .object(sliding), "sequences": .object(sequences)]
    }

    /// Reads the stored form `json(plan:)` writes, numbered by `plan`; what `plan` does not ask
    /// about any more is left out.
    ///
    /// - Throws: `StreamingStateError` naming the first member that is not as written.
    public init(json: JSONValue, plan: StreamingPlan) throws(StreamingStateError) {
        self.init()
        for (key, value) in json["fixed"]?.objectValue ?? [:] {
            guard let number = plan.atomNumber(key) else { continue }
            guard let parts = value.arrayValue, parts.count == 5, let count = parts[0].intValue,
                let numericCount = parts[1].intValue, let sum = parts[2].doubleValue
            else { throw StreamingStateError(member: "fixed.\(key)") }
            var totals = AtomTotals()
            totals.count = count
            totals.numericCount = numericCount
            totals.sum = sum
            totals.minimum = parts[3].doubleValue
            totals.maximum = parts[4].doubleValue
            fixed[number] = totals
        }
        for (key, value) in json["sliding"]?.objectValue ?? [:] {
            guard let number = plan.atomNumber(key) else { continue }
            guard let milliseconds = value["window"]?.intValue, let events = value["events"]?.arrayValue else {
                throw StreamingStateError(member: "sliding.\(key)")
            }
            var window = Window(milliseconds: milliseconds)
            for event in events {
                guard let time = event[0]?.intValue else { throw StreamingStateError(member: "sliding.\(key)") }
                window.events.append(Recent(time: Timestamp(milliseconds: time), number: event[1]?.doubleValue))
            }
            sliding[number] = window
        }
        for (key, value) in json["sequences"]?.objectValue ?? [:] {
            guard let number = plan.sequenceNumber(key) else { continue }
            if value == true {
                sequences[number] = .completed
                continue
            }
            guard let steps = value.arrayValue else { throw StreamingStateError(member: "sequences.\(key)") }
            var marks: [[EventMark]] = []
            for step in steps {
                var stepMarks: [EventMark] = []
                for mark in step.arrayValue ?? [] {
                    guard let time = mark[0]?.intValue, let sequence = mark[1]?.intValue else {
                        throw StreamingStateError(member: "sequences.\(key)")
                    }
                    stepMarks.append(EventMark(time: Timestamp(milliseconds: time), sequence: sequence))
                }
                marks.append(stepMarks)
            }
            sequences[number] = .pending(marks)
        }
    }
}

/// A stored streaming state that cannot be read.
public struct StreamingStateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The member that is not as `StreamingState.json` writes it.
    public var member: String

    public var description: String { "stored audience state: \(member) is not as written" }
}
