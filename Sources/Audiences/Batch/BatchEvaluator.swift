public import TesseraCore

/// Evaluates audience rules over every profile of an `AudienceSnapshot` at once.
///
/// Each rule is first turned into a plan: every attribute and event-field test is applied once per
/// distinct value with the shared `ValueTest.matches`, giving a table read once per row or event;
/// identities and memberships become bitsets. The plan then runs over the rows in chunks of 65,536
/// (by default 65,536, one CRoaring container each), spread over the machine's cores. Inside a chunk every node of the
/// rule only looks at the rows its parent still has in play: an `and` narrows the rows for its next
/// child, so the costly event scans run on few rows. Results are dense bitsets while the batch runs
/// and `MembershipBitmap`s when returned.
///
/// Meaning follows `docs/audiences.md`, "What a rule means", through the shared helpers
/// (`ValueTest.matches`, `TimeWindow.contains`, `EventQuantifier.isSatisfied`, `AtomTotals` with
/// `AggregateCondition.isSatisfied(by:)`, `AudienceFacts`), and a property test checks it against the
/// per-profile `AudienceEvaluator` on random profiles and rules.
public struct BatchEvaluator: Sendable {
    /// How the evaluator runs.
    public struct Configuration: Sendable, Hashable {
        /// How many chunks run at the same time; 1 runs on the calling thread. Default: 2 (the cores here).
        public var concurrency: Int
        /// The largest number of rows `estimateSize` evaluates before it samples; default 1,048,576.
        public var estimateSampleRows: Int
        /// Rows per chunk, a multiple of 64; default 65,536, one CRoaring container.
        public var chunkRows: Int

        /// Creates a configuration.
        public init(concurrency: Int = 2, estimateSampleRows: Int = 1 << 20, chunkRows: Int = 65_536) {
            precondition(concurrency >= 1 && estimateSampleRows >= 1, "concurrency and sample size are 1 or more")
            precondition(chunkRows > 0 && chunkRows % 64 == 0, "chunks are a positive multiple of 64 rows")
            self.concurrency = concurrency
            self.estimateSampleRows = estimateSampleRows
            self.chunkRows = chunkRows
        }
    }

    /// The profiles evaluated.
    public let snapshot: AudienceSnapshot
    /// How the evaluator runs.
    public var configuration: Configuration

    /// Creates an evaluator over `snapshot`.
    public init(snapshot: AudienceSnapshot, configuration: Configuration = Configuration()) {
        self.snapshot = snapshot
        self.configuration = configuration
    }

    /// The members of each audience at `now`, by audience name.
    ///
    /// Audiences run in the order given, so list an audience after those it names; `in audience`
    /// reads the result of an earlier audience in the list, or else `known`.
    ///
    /// - Parameters:
    ///   - audiences: Names and rules, in dependency order.
    ///   - now: The moment of evaluation (the time the batch run starts).
    ///   - known: Memberships of audiences not in the list, as rows of this snapshot.
    /// - Returns: Each audience's members as rows of the snapshot.
    /// - Throws: `BatchEvaluationError` when a rule names an unknown audience or reads data the
    ///   snapshot does not keep.
    /// - Complexity: per audience, O(rows + events of the names it reads) at worst.
    public func evaluate(
        _ audiences: [(name: String, rule: AudienceRule)], at now: Timestamp, known: [String: MembershipBitmap] = [:]
    ) throws(BatchEvaluationError) -> [String: MembershipBitmap] {
        var memberships = MembershipSource(known: known, universe: snapshot.count)
        var results: [String: MembershipBitmap] = [:]
        for audience in audiences {
            let members = try members(of: audience.rule, at: now, memberships: &memberships)
            memberships.add(audience.name, members)
            results[audience.name] = members.membershipBitmap()
        }
        return results
    }

    /// The members of one rule at `now`, as a dense bitset over the snapshot's rows.
    ///
    /// - Throws: `BatchEvaluationError` as `evaluate` does.
    public func members(
        of rule: AudienceRule, at now: Timestamp, known: [String: MembershipBitmap] = [:]
    ) throws(BatchEvaluationError) -> DenseBitset {
        var memberships = MembershipSource(known: known, universe: snapshot.count)
        return try members(of: rule, at: now, memberships: &memberships)
    }

    /// About how many profiles a rule (saved or not) matches at `now`.
    ///
    /// Exact up to `configuration.estimateSampleRows` profiles; beyond, the rule runs on evenly spread
    /// chunks of that many rows in total and the count is scaled to the whole snapshot.
    ///
    /// - Throws: `BatchEvaluationError` as `evaluate` does.
    public func estimateSize(
        of rule: AudienceRule, at now: Timestamp, known: [String: MembershipBitmap] = [:]
    ) throws(BatchEvaluationError) -> Int {
        var memberships = MembershipSource(known: known, universe: snapshot.count)
        let plan = try Plan(rule, snapshot: snapshot, memberships: &memberships)
        let chunks = chunkCount
        let sampled = min(chunks, max(1, configuration.estimateSampleRows / configuration.chunkRows))
        let picked = (0..<sampled).map { $0 * chunks / sampled }
        var words = [UInt64](repeating: 0, count: DenseBitset.wordCount(snapshot.count))
        run(plan, at: now, chunks: picked, into: &words)
        let rows = picked.reduce(0) { $0 + rowRange(ofChunk: $1).count }
        let members = picked.reduce(0) { total, chunk in
            total + wordRange(ofChunk: chunk).reduce(0) { $0 + words[$1].nonzeroBitCount }
        }
        guard rows > 0, sampled < chunks else { return members }
        return Int((Double(members) * Double(snapshot.count) / Double(rows)).rounded())
    }

    private func members(
        of rule: AudienceRule, at now: Timestamp, memberships: inout MembershipSource
    ) throws(BatchEvaluationError) -> DenseBitset {
        let plan = try Plan(rule, snapshot: snapshot, memberships: &memberships)
        var words = [UInt64](repeating: 0, count: DenseBitset.wordCount(snapshot.count))
        run(plan, at: now, chunks: Array(0..<chunkCount), into: &words)
        return DenseBitset(universe: snapshot.count, words: words)
    }

    var chunkCount: Int { (Int(snapshot.count) + configuration.chunkRows - 1) / configuration.chunkRows }

    func rowRange(ofChunk chunk: Int) -> Range<Int> {
        chunk * configuration.chunkRows..<min(Int(snapshot.count), (chunk + 1) * configuration.chunkRows)
    }

    func wordRange(ofChunk chunk: Int) -> Range<Int> {
        let rows = rowRange(ofChunk: chunk)
        return rows.lowerBound / 64..<(rows.upperBound + 63) / 64
    }
}

/// The memberships `in audience` conditions read: results of this run first, then known ones.
struct MembershipSource {
    private var dense: [String: DenseBitset] = [:]
    private let known: [String: MembershipBitmap]
    private let universe: Int32

    init(known: [String: MembershipBitmap], universe: Int32) {
        self.known = known
        self.universe = universe
    }

    mutating func add(_ name: String, _ members: DenseBitset) {
        dense[name] = members
    }

    mutating func members(of name: String) -> DenseBitset? {
        if let members = dense[name] { return members }
        guard let bitmap = known[name] else { return nil }
        let members = DenseBitset(bitmap, universe: universe)
        dense[name] = members
        return members
    }
}
