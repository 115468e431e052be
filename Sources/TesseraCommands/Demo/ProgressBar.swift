import Foundation
import TesseraCore

/// A progress report on standard error for long jobs such as `tessera demo`.
///
/// On a terminal it redraws one line in place (`\r`) at most ten times a second, with a bar, the
/// percentage, counts, the rate and the time left. When standard error is a file or a pipe (CI logs,
/// `2> log`) it prints a plain line each time another tenth is done, so logs stay short. `finish()`
/// prints the total, the elapsed time and the rate. The total is an estimate that may be exceeded:
/// the percentage then stays at 100 while the count keeps going.
public struct ProgressBar: Sendable {
    private let total: Int
    private let label: String
    private let isTerminal: Bool
    private let clock: any WallClock
    private let output: @Sendable ([UInt8]) -> Void
    private let started: Timestamp
    private var completed = 0
    private var lastDrawn: Int64?
    private var lastTenth = 0
    private var finished = false

    /// A progress bar for `total` units of work, named `label`, drawn on standard error.
    ///
    /// - Parameters:
    ///   - total: The expected number of units; 0 or less shows counts without a percentage.
    ///   - label: A short name shown at the start of each line, e.g. `"sending"`.
    public init(total: Int, label: String) {
        self.init(
            total: total, label: label, isTerminal: isatty(STDERR_FILENO) == 1, clock: SystemClock(),
            output: ProgressBar.writeToStandardError)
    }

    /// A progress bar with its terminal check, clock and output chosen by the caller (for tests).
    init(
        total: Int, label: String, isTerminal: Bool, clock: any WallClock,
        output: @escaping @Sendable ([UInt8]) -> Void
    ) {
        self.total = max(0, total)
        self.label = label
        self.isTerminal = isTerminal
        self.clock = clock
        self.output = output
        started = clock.now()
    }

    /// Records `count` more units done and redraws if it is time to.
    public mutating func advance(by count: Int) {
        guard !finished else { return }
        completed += max(0, count)
        if isTerminal {
            let now = clock.now().milliseconds
            if let lastDrawn, now - lastDrawn < 100 { return }
            lastDrawn = now
            output(Array(("\r" + line(now: now) + "\u{1B}[K").utf8))
        } else if total > 0 {
            let tenth = min(10, completed * 10 / total)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            output(Array("\(label): \(tenth * 10)% (\(grouped(completed)) of \(grouped(total)))\n".utf8))
        }
    }

    /// Prints the final line with the total, the elapsed time and the rate; later calls do nothing.
    public mutating func finish() {
        guard !finished else { return }
        finished = true
        let now = clock.now().milliseconds
        let seconds = Double(max(1, now - started.milliseconds)) / 1000
        let summary =
            "\(label): done, \(grouped(completed)) in \(oneDecimal(seconds)) s "
            + "(\(rate(Double(completed) / seconds)))"
        output(Array(((isTerminal ? "\r" + line(now: now) + "\u{1B}[K\n" : "") + summary + "\n").utf8))
    }

    /// `label [#####.....]  50%  500,000/1,000,000  120.5k/s  ETA 4s` (without a percentage if no total).
    private func line(now: Int64) -> String {
        let seconds = Double(max(1, now - started.milliseconds)) / 1000
        let perSecond = Double(completed) / seconds
        guard total > 0 else { return "\(label)  \(grouped(completed))  \(rate(perSecond))" }
        let fraction = min(1, Double(completed) / Double(total))
        let filled = Int(fraction * 30)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
        let percent = String(Int(fraction * 100)).leftPadded(to: 3)
        var text = "\(label) [\(bar)] \(percent)%  \(grouped(completed))/\(grouped(total))  \(rate(perSecond))"
        if completed < total, perSecond > 0 {
            text += "  ETA \(duration(Double(total - completed) / perSecond))"
        }
        return text
    }

    /// `1234567` as `1,234,567`.
    private func grouped(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var text = value < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }

    private func rate(_ perSecond: Double) -> String {
        if perSecond >= 1_000_000 { return oneDecimal(perSecond / 1_000_000) + "M/s" }
        if perSecond >= 1_000 { return oneDecimal(perSecond / 1_000) + "k/s" }
        return "\(Int(perSecond))/s"
    }

    private func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3_600 { return "\(whole / 60)m\(String(whole % 60).leftPadded(to: 2, with: "0"))s" }
        return "\(whole / 3_600)h\(String(whole / 60 % 60).leftPadded(to: 2, with: "0"))m"
    }

    private func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static let writeToStandardError: @Sendable ([UInt8]) -> Void = { bytes in
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

extension String {
    /// The string padded on the left with `pad` to at least `width` characters.
    fileprivate func leftPadded(to width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
