import TesseraCore

/// A realistic, synthetic customer history as Segment messages, for `tessera demo` and benchmarks.
///
/// People live across channels the way real customers do: anonymous web visits with UTM campaigns,
/// sign-ups and logins that tie cookies to user ids and emails (some on two browsers), a mobile app
/// with push notifications, online orders, till receipts identified by loyalty cards, CRM exports
/// with CRM ids and phone numbers typed in national formats, B2B accounts, and families who share a
/// laptop or an email address. Every message is a Segment Spec `page`, `screen`, `identify`,
/// `track`, `group` or `alias` with a unique `messageId`, a `timestamp` within the last `days` days
/// before `now`, and `context.library` naming the channel that sent it. All names, emails, phone
/// numbers and addresses are fictional and use ranges reserved for documentation.
///
/// Output depends only on the configuration: the same seed, size and `now` give the same bytes on
/// every run and platform. Messages come person by person, each person's in chronological order,
/// and only one person's messages are held at a time, so memory stays flat for millions of people.
public struct DemoHistory: Sendable {
    /// What to generate.
    public struct Configuration: Sendable {
        /// How many people to generate (0 to 2^32 − 1). Each makes about 40 messages over 30 days.
        public var people: Int = 1000
        /// How many days of history, ending at `now` (1 to 3,650). Longer histories hold more activity,
        /// up to three times the 30-day amount.
        public var days: Int = 30
        /// The seed for every random choice; the same seed gives the same history.
        public var seed: UInt64 = 42
        /// The end of the history; no timestamp is later.
        public var now: Timestamp

        /// A configuration; by default 1,000 people over the 30 days before the current time.
        public init(people: Int = 1000, days: Int = 30, seed: UInt64 = 42, now: Timestamp = .now()) {
            self.people = people
            self.days = days
            self.seed = seed
            self.now = now
        }
    }

    /// The configuration in use, with `people` and `days` clamped to their supported ranges.
    public let configuration: Configuration

    /// About how many messages `next(maxMessages:)` will return in total, for progress reporting.
    ///
    /// Exact for up to 2,048 people; for more it plans 2,048 people spread evenly over the index range
    /// and scales up, which lands within a few percent of the real total.
    public let estimatedMessageCount: Int

    private let planner: Planner
    private var nextPerson = 0
    private var pending: [[UInt8]] = []
    private var pendingIndex = 0

    /// Prepares a history; nothing is generated until `next(maxMessages:)` is called.
    ///
    /// - Complexity: Plans up to 2,048 people to estimate the message count (a few milliseconds).
    public init(configuration: Configuration) {
        var configuration = configuration
        configuration.people = min(max(0, configuration.people), Int(UInt32.max))
        configuration.days = min(max(1, configuration.days), 3_650)
        self.configuration = configuration
        planner = Planner(configuration: configuration)
        estimatedMessageCount = DemoHistory.estimateMessageCount(planner: planner)
    }

    /// The next chunk of messages, each one compact JSON object, person by person; nil when done.
    ///
    /// - Parameter maxMessages: The largest chunk to return (at least 1). Chunks are full except the last.
    /// - Returns: Between 1 and `maxMessages` messages, or nil when the history is exhausted.
    /// - Complexity: Proportional to the messages returned, plus the rest of the current person's.
    public mutating func next(maxMessages: Int) -> [[UInt8]]? {
        precondition(maxMessages > 0, "maxMessages must be at least 1")
        var chunk: [[UInt8]] = []
        chunk.reserveCapacity(min(maxMessages, 4_096))
        while chunk.count < maxMessages {
            if pendingIndex == pending.count {
                guard nextPerson < configuration.people else { break }
                pending = render(person: nextPerson)
                pendingIndex = 0
                nextPerson += 1
                continue
            }
            let take = min(maxMessages - chunk.count, pending.count - pendingIndex)
            chunk.append(contentsOf: pending[pendingIndex..<(pendingIndex + take)])
            pendingIndex += take
        }
        if pendingIndex == pending.count {
            pending = []
            pendingIndex = 0
        }
        return chunk.isEmpty ? nil : chunk
    }

    /// All messages of person `index`, in time order.
    func render(person index: Int) -> [[UInt8]] {
        let plan = planner.plan(person: index)
        var renderer = PersonRenderer(plan: plan, planner: planner)
        let messages = renderer.render(plan)
        assert(messages.count == plan.messageCount, "the renderer must follow the plan")
        return messages
    }

    /// The planned message count of person `index`.
    func plannedMessageCount(person index: Int) -> Int {
        planner.plan(person: index).messageCount
    }

    private static let estimateSample = 2_048

    private static func estimateMessageCount(planner: Planner) -> Int {
        let people = planner.configuration.people
        guard people > estimateSample else {
            return (0..<people).reduce(0) { $0 + planner.plan(person: $1).messageCount }
        }
        var sampled = 0
        for step in 0..<estimateSample {
            sampled += planner.plan(person: step * people / estimateSample).messageCount
        }
        return Int((Double(sampled) * Double(people) / Double(estimateSample)).rounded())
    }
}
