import Synchronization
import TesseraCore
import Testing

@Suite struct ConcurrentMapTests {
    @Test(
        "results keep the order of the elements, whether the work is spread or not", arguments: [0, 1, 31, 32, 1_001])
    func order(count: Int) {
        let numbers = Array(0..<count)
        #expect(numbers.concurrentMap { $0 * 3 } == numbers.map { $0 * 3 })
    }

    @Test("every element is transformed exactly once")
    func once() {
        let calls = Atomic<Int>(0)
        let strings = Array(0..<10_000).concurrentMap { number -> String in
            calls.add(1, ordering: .relaxed)
            return String(number)
        }
        #expect(calls.load(ordering: .relaxed) == 10_000)
        #expect(strings.last == "9999" && Set(strings).count == 10_000)
    }
}
