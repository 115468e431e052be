import TesseraCore

/// The stable numbers a store gives the keys of a plan's atoms and sequences, so that stored state
/// names them in a few bytes instead of their canonical text.
public struct StoredKeys: Sendable {
    /// The stored id of each atom, by the plan's number.
    public let atomIDs: [Int64]
    /// The stored id of each sequence, by the plan's number.
    public let sequenceIDs: [Int64]
    private let atomNumbers: [Int64: Int]
    private let sequenceNumbers: [Int64: Int]

    /// Creates the mapping; `atomIDs` and `sequenceIDs` are indexed by the plan's numbers.
    public init(atomIDs: [Int64], sequenceIDs: [Int64]) {
        self.atomIDs = atomIDs
        self.sequenceIDs = sequenceIDs
        atomNumbers = Dictionary(atomIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        sequenceNumbers = Dictionary(
            sequenceIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func atomNumber(_ id: Int64) -> Int? { atomNumbers[id] }
    func sequenceNumber(_ id: Int64) -> Int? { sequenceNumbers[id] }
}

extension StreamingState {
    /// The first byte of the binary form; JSON text never starts with it.
    public static let binaryFormat: UInt8 = 2

    /// The compact stored form: the format byte, then fixed totals, sliding windows and sequences,
    /// each as a count and entries that start with the stored id of their atom or sequence.
    /// Integers are varints; times inside a list are deltas from the previous one.
    ///
    /// - Complexity: O(size of the state), one allocation in the common case.
    public func encoded(keys: StoredKeys) -> [UInt8] {
        var writer = BinaryWriter(capacity: 16 + fixed.count * 24 + sliding.count * 32)
        writer.byte(Self.binaryFormat)
        writer.count(fixed.count)
        for (number, totals) in fixed {
            writer.unsigned(UInt64(keys.atomIDs[number]))
            writer.unsigned(UInt64(totals.count))
            writer.unsigned(UInt64(totals.numericCount))
            let flags: UInt8 =
                (totals.sum != 0 ? 1 : 0) | (totals.minimum != nil ? 2 : 0) | (totals.maximum != nil ? 4 : 0)
            writer.byte(flags)
            if totals.sum != 0 { writer.double(totals.sum) }
            if let minimum = totals.minimum { writer.double(minimum) }
            if let maximum = totals.maximum { writer.double(maximum) }
        }
        writer.count(sliding.count)
        for (number, window) in sliding {
            writer.unsigned(UInt64(keys.atomIDs[number]))
            writer.signed(window.milliseconds)
            writer.count(window.events.count)
            var previous: Int64 = 0
            for event in window.events {
                writer.signed(event.time.milliseconds - previous)
                previous = event.time.milliseconds
                if let value = event.number {
                    writer.byte(1)
                    writer.double(value)
                } else {
                    writer.byte(0)
                }
            }
        }
        writer.count(sequences.count)
        for (number, progress) in sequences {
            writer.unsigned(UInt64(keys.sequenceIDs[number]))
            guard case .pending(let steps) = progress else {
                writer.byte(0)
                continue
            }
            writer.byte(1)
            writer.count(steps.count)
            for marks in steps {
                writer.count(marks.count)
                var previous: Int64 = 0
                for mark in marks {
                    writer.signed(mark.time.milliseconds - previous)
                    previous = mark.time.milliseconds
                    writer.signed(mark.sequence)
                }
            }
        }
        return writer.bytes
    }

    /// Reads the stored form `encoded(keys:)` writes, numbered as `keys` maps the stored ids;
    /// atoms and sequences the plan no longer asks about are left out.
    ///
    /// - Throws: `StreamingStateError` when the bytes are not a state of a known form.
    public init(stored bytes: [UInt8], keys: StoredKeys) throws(StreamingStateError) {
        guard bytes.first == Self.binaryFormat else { throw StreamingStateError(reason: "an unknown format") }
        self.init()
        var reader = BinaryReader(bytes)
        do {
            _ = try reader.byte()
            for _ in 0..<(try reader.count()) {
                let number = keys.atomNumber(Int64(try reader.unsigned()))
                var totals = AtomTotals()
                totals.count = Int64(try reader.unsigned())
                totals.numericCount = Int64(try reader.unsigned())
                let flags = try reader.byte()
                if flags & 1 != 0 { totals.sum = try reader.double() }
                if flags & 2 != 0 { totals.minimum = try reader.double() }
                if flags & 4 != 0 { totals.maximum = try reader.double() }
                if let number { fixed[number] = totals }
            }
            for _ in 0..<(try reader.count()) {
                let number = keys.atomNumber(Int64(try reader.unsigned()))
                var window = Window(milliseconds: try reader.signed())
                var previous: Int64 = 0
                for _ in 0..<(try reader.count()) {
                    previous += try reader.signed()
                    let value = try reader.byte() == 1 ? try reader.double() : nil
                    window.events.append(Recent(time: Timestamp(milliseconds: previous), number: value))
                }
                if let number { sliding[number] = window }
            }
            for _ in 0..<(try reader.count()) {
                let number = keys.sequenceNumber(Int64(try reader.unsigned()))
                guard try reader.byte() == 1 else {
                    if let number { sequences[number] = .completed }
                    continue
                }
                var steps: [[EventMark]] = []
                for _ in 0..<(try reader.count()) {
                    var marks: [EventMark] = []
                    var previous: Int64 = 0
                    for _ in 0..<(try reader.count()) {
                        previous += try reader.signed()
                        marks.append(EventMark(time: Timestamp(milliseconds: previous), sequence: try reader.signed()))
                    }
                    steps.append(marks)
                }
                if let number { sequences[number] = .pending(steps) }
            }
        } catch {
            throw StreamingStateError(reason: "cut short at byte \(reader.position)")
        }
        guard reader.isAtEnd else { throw StreamingStateError(reason: "bytes after the end") }
    }
}

/// A stored streaming state that cannot be read.
public struct StreamingStateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with it.
    public var reason: String

    public var description: String { "stored audience state: \(reason)" }
}
