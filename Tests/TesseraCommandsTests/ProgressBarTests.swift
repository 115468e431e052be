import Synchronization
import Testing
import TesseraCore

@testable import TesseraCommands

@Suite("Progress bar")
struct ProgressBarTests {
    /// A clock the test moves by hand.
    final class ManualClock: WallClock {
        private let milliseconds = Mutex<Int64>(1_000_000)

        func now() -> Timestamp { Timestamp(milliseconds: milliseconds.withLock { $0 }) }

        func advance(by delta: Int64) { milliseconds.withLock { $0 += delta } }
    }

    /// Collects what the bar writes.
    final class Capture: Sendable {
        private let writes = Mutex<[String]>([])

        var all: [String] { writes.withLock { $0 } }

        func record(_ bytes: [UInt8]) { writes.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } }
    }

    private func makeBar(total: Int, terminal: Bool) -> (ProgressBar, ManualClock, Capture) {
        let clock = ManualClock()
        let capture = Capture()
        let bar = ProgressBar(
            total: total, label: "sending", isTerminal: terminal, clock: clock, output: { capture.record($0) })
        return (bar, clock, capture)
    }

    @Test("without a terminal it prints one line per tenth, then a summary")
    func logLines() throws {
        let (initial, clock, capture) = makeBar(total: 1_000, terminal: false)
        var bar = initial
        for _ in 0..<100 {
            clock.advance(by: 20)
            bar.advance(by: 10)
        }
        bar.finish()
        let lines = capture.all
        #expect(lines.count == 11)
        #expect(lines.first == "sending: 10% (100 of 1,000)\n")
        #expect(lines[9] == "sending: 100% (1,000 of 1,000)\n")
        #expect(lines.allSatisfy { !$0.contains("\r") })
        let summary = try #require(lines.last)
        #expect(summary == "sending: done, 1,000 in 2.0 s (500/s)\n")
    }

    @Test("a big step prints one line, not one per tenth skipped")
    func bigStep() {
        let (initial, _, capture) = makeBar(total: 100, terminal: false)
        var bar = initial
        bar.advance(by: 55)
        bar.advance(by: 1)
        #expect(capture.all == ["sending: 50% (55 of 100)\n"])
    }

    @Test("on a terminal it redraws in place at most ten times a second")
    func terminalRedraw() throws {
        let (initial, clock, capture) = makeBar(total: 2_000_000, terminal: true)
        var bar = initial
        bar.advance(by: 1_000)
        bar.advance(by: 1_000)
        #expect(capture.all.count == 1)
        clock.advance(by: 1_000)
        bar.advance(by: 998_000)
        let lines = capture.all
        #expect(lines.count == 2)
        let line = try #require(lines.last)
        #expect(line.hasPrefix("\rsending ["))
        #expect(line.contains(" 50%  1,000,000/2,000,000  1.0M/s  ETA 1s"))
        bar.finish()
        #expect(capture.all.last?.hasSuffix("\nsending: done, 1,000,000 in 1.0 s (1.0M/s)\n") == true)
    }

    @Test("an estimate that is exceeded keeps the percentage at 100")
    func exceededEstimate() throws {
        let (initial, clock, capture) = makeBar(total: 100, terminal: true)
        var bar = initial
        clock.advance(by: 500)
        bar.advance(by: 150)
        let line = try #require(capture.all.last)
        #expect(line.contains("100%  150/100"))
        #expect(!line.contains("ETA"))
    }

    @Test("finish prints once, and nothing is drawn after it")
    func finishOnce() {
        let (initial, _, capture) = makeBar(total: 10, terminal: false)
        var bar = initial
        bar.finish()
        bar.finish()
        bar.advance(by: 10)
        #expect(capture.all.count == 1)
    }

    @Test("without a total there are no percentages, only counts")
    func noTotal() {
        let (initial, clock, capture) = makeBar(total: 0, terminal: true)
        var bar = initial
        clock.advance(by: 2_000)
        bar.advance(by: 3_000)
        #expect(capture.all == ["\rsending  3,000  1.5k/s\u{1B}[K"])
    }
}
