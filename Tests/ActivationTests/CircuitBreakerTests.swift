import Activation
import Testing
import TesseraCore
import TesseraTesting

@Suite struct CircuitBreakerTests {
    let configuration = CircuitBreaker.Configuration(failureThreshold: 3, coolDownMilliseconds: 1_000)

    @Test("opens after K consecutive failures and refuses requests during the cool-down")
    func opensAfterThreshold() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(configuration: configuration)
        for _ in 0..<2 { breaker.recordFailure(at: clock.now()) }
        #expect(breaker.state == .closed(failures: 2))
        let whileClosed = breaker.permitsRequest(at: clock.now())
        #expect(whileClosed)
        breaker.recordFailure(at: clock.now())
        #expect(breaker.state == .open(until: clock.now().adding(milliseconds: 1_000)))
        let whenOpened = breaker.permitsRequest(at: clock.now())
        #expect(!whenOpened)
        #expect(breaker.allowance(at: clock.now()) == 0)
        clock.advance(milliseconds: 999)
        let beforeCoolDown = breaker.permitsRequest(at: clock.now())
        #expect(!beforeCoolDown)
    }

    @Test("a success in between resets the count of failures")
    func successResets() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(configuration: configuration)
        breaker.recordFailure(at: clock.now())
        breaker.recordFailure(at: clock.now())
        breaker.recordSuccess()
        breaker.recordFailure(at: clock.now())
        breaker.recordFailure(at: clock.now())
        #expect(breaker.state == .closed(failures: 2))
    }

    @Test("after the cool-down one probe goes; its success closes the breaker")
    func probeSucceeds() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(configuration: configuration)
        for _ in 0..<3 { breaker.recordFailure(at: clock.now()) }
        clock.advance(milliseconds: 1_000)
        #expect(breaker.allowance(at: clock.now()) == 1)
        let probe = breaker.permitsRequest(at: clock.now())
        #expect(probe)
        #expect(breaker.state == .halfOpen(probing: true))
        let secondProbe = breaker.permitsRequest(at: clock.now())
        #expect(!secondProbe, "only one probe at a time")
        breaker.recordSuccess()
        #expect(breaker.state == .closed(failures: 0))
        #expect(breaker.allowance(at: clock.now()) == Int.max)
    }

    @Test("a failed probe opens the breaker for another cool-down")
    func probeFails() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(configuration: configuration)
        for _ in 0..<3 { breaker.recordFailure(at: clock.now()) }
        clock.advance(milliseconds: 1_500)
        let probe = breaker.permitsRequest(at: clock.now())
        #expect(probe)
        breaker.recordFailure(at: clock.now())
        #expect(breaker.state == .open(until: clock.now().adding(milliseconds: 1_000)))
        #expect(breaker.reopensAt() == clock.now().adding(milliseconds: 1_000))
    }

    @Test("an unused probe permit can be given back")
    func probeReturned() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(configuration: configuration)
        for _ in 0..<3 { breaker.recordFailure(at: clock.now()) }
        clock.advance(milliseconds: 1_000)
        let probe = breaker.permitsRequest(at: clock.now())
        #expect(probe)
        breaker.returnProbe()
        #expect(breaker.state == .halfOpen(probing: false))
        let probeAgain = breaker.permitsRequest(at: clock.now())
        #expect(probeAgain)
    }

    @Test("failures of requests started before the breaker opened do not extend the cool-down")
    func lateFailuresIgnored() {
        let clock = ManualClock()
        var breaker = CircuitBreaker(configuration: configuration)
        for _ in 0..<3 { breaker.recordFailure(at: clock.now()) }
        let until = clock.now().adding(milliseconds: 1_000)
        clock.advance(milliseconds: 500)
        breaker.recordFailure(at: clock.now())
        #expect(breaker.state == .open(until: until))
    }
}
