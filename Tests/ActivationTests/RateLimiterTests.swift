import Activation
import Testing
import TesseraCore
import TesseraTesting

@Suite struct RateLimiterTests {
    @Test("without a limit every request may start")
    func unlimited() {
        var limiter = RateLimiter(ratePerSecond: 0)
        let now = Timestamp(milliseconds: 0)
        for _ in 0..<1_000 {
            let took = limiter.take(at: now)
            #expect(took)
        }
        #expect(limiter.available(at: now) == Int.max)
    }

    @Test(
        "allows a burst of one second's worth, then the rate",
        arguments: [(5.0, 5, 200 as Int64), (2.0, 2, 500), (0.5, 1, 2_000), (100.0, 100, 10)])
    func pacing(rate: Double, burst: Int, interval: Int64) {
        let clock = ManualClock()
        var limiter = RateLimiter(ratePerSecond: rate)
        #expect(limiter.available(at: clock.now()) == burst)
        for _ in 0..<burst {
            let took = limiter.take(at: clock.now())
            #expect(took)
        }
        let overBurst = limiter.take(at: clock.now())
        #expect(!overBurst)
        #expect(limiter.nextTokenAt(clock.now()) == clock.now().adding(milliseconds: interval))
        clock.advance(milliseconds: interval - 1)
        let tooEarly = limiter.take(at: clock.now())
        #expect(!tooEarly)
        clock.advance(milliseconds: 1)
        let onTime = limiter.take(at: clock.now())
        #expect(onTime)
        clock.advance(milliseconds: 3_600_000)
        #expect(limiter.available(at: clock.now()) == burst, "an idle bucket holds no more than its burst")
    }
}
