import Dispatch
import Foundation
import Identity
import TesseraCore

/// Identity graph throughput on random links: the whole `IdentityGraph.observe` path (new links, then
/// the same records again), interning alone, and the bare union-find, on the same links; plus a
/// workload of people under the default rules.
///
/// The random links join uniformly drawn nodes, so the graph is the classic random graph whose
/// connected components `Benchmarks/identity/components.py` computes with igraph and networkx from the
/// same edge list (little-endian `Int32` pairs), for a reference measured in the same run. The graph
/// runs with rules that make linking plain union (no unique namespaces, no size limit, no sharing),
/// so its profile count must equal the component count; the result says whether it does.
enum IdentityBenchmark {
    /// `tessera-bench identity [LINKS] [NODES] [EDGE-FILE]`: defaults 1,000,000 links over as many nodes.
    static func run(arguments: [String]) -> [String: JSONValue] {
        let links = arguments.first.flatMap { Int($0) } ?? 1_000_000
        let nodes = arguments.count > 1 ? Int(arguments[1]) ?? links : links
        return run(links: links, nodes: nodes, edgeListPath: arguments.count > 2 ? arguments[2] : nil)
    }

    /// Runs every measurement on `links` random links over `nodes` nodes, writing the links to
    /// `edgeListPath` when given.
    static func run(links: Int, nodes: Int, edgeListPath: String?) -> [String: JSONValue] {
        precondition(links > 0 && nodes > 1 && nodes <= Int(Int32.max), "need links > 0 and 1 < nodes < 2^31")
        let (firsts, seconds) = randomLinks(count: links, nodes: nodes)
        if let edgeListPath { write(firsts, seconds, to: edgeListPath) }

        let graph = IdentityGraph(rules: plainUnion, retainsLog: false)
        graph.reserveCapacity(identities: min(nodes, 2 * links), links: links)
        let newLinks = measure { observe(graph, firsts, seconds) }
        let repeated = measure { observe(graph, firsts, seconds) }
        let graphBytes = graph.approximateBytes
        let batched = IdentityGraph(rules: plainUnion, retainsLog: false)
        batched.reserveCapacity(identities: min(nodes, 2 * links), links: links)
        let batchedLinks = measure { observeBatched(batched, firsts, seconds) }
        let batchedRepeat = measure { observeBatched(batched, firsts, seconds) }
        let interning = measure { intern(firsts, seconds, capacity: min(nodes, 2 * links)) }
        var sets = UnionFind()
        let unionFind = measure { sets = unite(firsts, seconds, nodes: nodes) }
        let components = countComponents(&sets, firsts, seconds, nodes: nodes)
        let people = peopleWorkload(records: min(links, 2_000_000))
        let log = replayWorkload(entries: min(links, 1_000_000), nodes: nodes)

        let rate = { (seconds: Double) in JSONValue.double(Double(links) / seconds) }
        return [
            "links": .int(Int64(links)), "nodes": .int(Int64(nodes)), "identities": .int(Int64(graph.identityCount)),
            "graph_seconds": .double(newLinks), "graph_links_per_s": rate(newLinks),
            "repeat_seconds": .double(repeated), "repeat_links_per_s": rate(repeated),
            "batched_links_per_s": rate(batchedLinks), "batched_repeat_links_per_s": rate(batchedRepeat),
            "batched_profiles_match": .bool(batched.profileCount == graph.profileCount),
            "graph_bytes": .int(Int64(graphBytes)),
            "graph_bytes_per_identity": .double(Double(graphBytes) / Double(max(graph.identityCount, 1))),
            "intern_seconds": .double(interning), "intern_links_per_s": rate(interning),
            "union_find_seconds": .double(unionFind), "union_find_links_per_s": rate(unionFind),
            "profiles": .int(Int64(graph.profileCount)), "components": .int(Int64(components)),
            "profiles_match_components": .bool(graph.profileCount == components),
            "default_rules_records": .int(Int64(people.records)),
            "default_rules_records_per_s": .double(Double(people.records) / people.seconds),
            "default_rules_profiles": .int(Int64(people.profiles)),
            "default_rules_refusals": .int(Int64(people.refusals)), "peak_rss_mb": .double(peakResidentMegabytes()),
        ].merging(log) { first, _ in first }
    }

    /// Non-unique namespaces, so that random links never conflict.
    static let namespaces = ["cookieId", "deviceId", "anonymousId", "loyaltyId"]

    /// Rules under which linking is plain union, as connected components compute it.
    static let plainUnion = IdentityRules(
        uniqueNamespaces: [], maxIdentitiesPerProfile: Int(Int32.max), sharedIdentityThreshold: Int(Int32.max),
        touchInterval: Int64.max / 4)

    /// The identity of random node `node`: one of four namespaces, and `n` with the number.
    ///
    /// Made as each link is observed, as a record's identities arrive with it, rather than read from
    /// a table of millions (whose reads would be cache misses no caller pays).
    /// The value is written digit by digit into a small buffer, as `String(node)` and a concatenation
    /// cost more than observing the link does.
    @inline(__always)
    static func identity(_ node: Int32) -> Identity {
        let value = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 12) { buffer in
            var number = UInt32(node)
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(number % 10)
                number /= 10
            } while number > 0
            start -= 1
            buffer[start] = UInt8(ascii: "n")
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self)
        }
        return Identity(namespace: namespaces[Int(node & 3)], value: value)
    }

    /// Observes each link as a record of two identities.
    static func observe(_ graph: IdentityGraph, _ firsts: [Int32], _ seconds: [Int32]) {
        var pair = [identity(0), identity(1)]
        let time = Timestamp(milliseconds: 1_764_720_000_000)
        for position in firsts.indices {
            pair[0] = identity(firsts[position])
            pair[1] = identity(seconds[position])
            _ = graph.observe(
                pair, provenance: Provenance(record: Int64(position), source: 1, rule: "bench", time: time))
        }
    }

    /// Observes each link as a record of two identities, handing the graph `batch` records at a time
    /// (`IdentityGraph.observe(_:)`), as a writer does with the records of one commit.
    static func observeBatched(_ graph: IdentityGraph, _ firsts: [Int32], _ seconds: [Int32], batch: Int = 1024) {
        let time = Timestamp(milliseconds: 1_764_720_000_000)
        var records: [Observation] = []
        records.reserveCapacity(batch)
        for start in stride(from: 0, to: firsts.count, by: batch) {
            records.removeAll(keepingCapacity: true)
            for position in start..<min(start + batch, firsts.count) {
                let provenance = Provenance(record: Int64(position), source: 1, rule: "bench", time: time)
                let identities = [identity(firsts[position]), identity(seconds[position])]
                records.append(Observation(identities: identities, provenance: provenance))
            }
            _ = graph.observe(records)
        }
    }

    /// Interns both ends of every link, as `observe` does first.
    static func intern(_ firsts: [Int32], _ seconds: [Int32], capacity: Int) {
        var index = IdentityIndex()
        index.reserveCapacity(capacity)
        for position in firsts.indices {
            _ = index.intern(identity(firsts[position]))
            _ = index.intern(identity(seconds[position]))
        }
    }

    /// The sets of the links' nodes, by union-find alone.
    static func unite(_ firsts: [Int32], _ seconds: [Int32], nodes: Int) -> UnionFind {
        var sets = UnionFind()
        sets.reserveCapacity(nodes)
        for _ in 0..<nodes { sets.add() }
        for position in firsts.indices {
            _ = sets.union(roots: sets.find(firsts[position]), sets.find(seconds[position]))
        }
        return sets
    }

    /// The number of sets among the nodes in at least one link.
    static func countComponents(_ sets: inout UnionFind, _ firsts: [Int32], _ seconds: [Int32], nodes: Int) -> Int {
        var touched = [Bool](repeating: false, count: nodes)
        for position in firsts.indices {
            touched[Int(firsts[position])] = true
            touched[Int(seconds[position])] = true
        }
        return (0..<nodes).count { touched[$0] && sets.find(Int32($0)) == Int32($0) }
    }

    /// `count` links between uniformly drawn distinct nodes, from a fixed seed.
    static func randomLinks(count: Int, nodes: Int) -> ([Int32], [Int32]) {
        var generator = SplitMix64(seed: 0x7E55_E7A1_D)
        var firsts = [Int32](repeating: 0, count: count)
        var seconds = [Int32](repeating: 0, count: count)
        for position in 0..<count {
            let first = Int(generator.next() % UInt64(nodes))
            var second = Int(generator.next() % UInt64(nodes - 1))
            if second >= first { second += 1 }
            firsts[position] = Int32(first)
            seconds[position] = Int32(second)
        }
        return (firsts, seconds)
    }

    /// Writes the links as little-endian `Int32` pairs.
    static func write(_ firsts: [Int32], _ seconds: [Int32], to path: String) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(firsts.count * 8)
        for position in firsts.indices {
            for value in [firsts[position], seconds[position]] {
                withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    /// The identity log of random links (`entries` entries or a few more, two or three per link),
    /// stored as JSON and in the binary form, then read back and replayed into a new graph: the
    /// profile engine's rebuild at start-up, each way.
    static func replayWorkload(entries count: Int, nodes: Int) -> [String: JSONValue] {
        let (firsts, seconds) = randomLinks(count: count, nodes: nodes)
        let source = IdentityGraph(rules: plainUnion, retainsLog: false)
        var entries: [LogEntry] = []
        entries.reserveCapacity(count + 3)
        let time = Timestamp(milliseconds: 1_764_720_000_000)
        for position in firsts.indices where entries.count < count {
            let provenance = Provenance(record: Int64(position), source: 1, rule: "record", time: time)
            let record = [identity(firsts[position]), identity(seconds[position])]
            entries += source.observe(record, provenance: provenance).entries
        }

        var json: [[UInt8]] = []
        var binary: [[UInt8]] = []
        let jsonEncode = measure { json = entries.map { $0.json.serializedBytes } }
        let binaryEncode = measure { binary = entries.map(\.encoded) }
        var fromJSON: [LogEntry] = []
        var fromBinary: [LogEntry] = []
        let jsonDecode = measure { fromJSON = json.map { try! LogEntry(stored: $0) } }
        let binaryDecode = measure { fromBinary = binary.map { try! LogEntry(stored: $0) } }
        var rebuilt = IdentityGraph(rules: plainUnion, retainsLog: false)
        let replay = measure { rebuilt = IdentityGraph(rules: plainUnion, replaying: fromBinary, retainsLog: false) }

        let perSecond = { (seconds: Double) in JSONValue.double(Double(entries.count) / seconds) }
        return [
            "log_entries": .int(Int64(entries.count)),
            "log_json_bytes_per_entry": .double(Double(json.reduce(0) { $0 + $1.count }) / Double(entries.count)),
            "log_binary_bytes_per_entry": .double(Double(binary.reduce(0) { $0 + $1.count }) / Double(entries.count)),
            "log_json_encode_per_s": perSecond(jsonEncode), "log_binary_encode_per_s": perSecond(binaryEncode),
            "log_json_decode_per_s": perSecond(jsonDecode), "log_binary_decode_per_s": perSecond(binaryDecode),
            "log_replay_per_s": perSecond(replay),
            "log_rebuild_json_seconds": .double(jsonDecode + replay),
            "log_rebuild_binary_seconds": .double(binaryDecode + replay),
            "log_decoded_alike": .bool(fromJSON == entries && fromBinary == entries),
            "log_rebuilt_profiles_match": .bool(rebuilt.profileCount == source.profileCount),
        ]
    }

    /// People with user ids, emails, loyalty cards, CRM ids and several browsers each, sending the
    /// mix of records a retailer sees, under the default rules; 2% of sign-ins happen on 50 shared
    /// kiosk tablets, which get flagged. At most two million records, to keep large runs short.
    static func peopleWorkload(records: Int) -> (records: Int, seconds: Double, profiles: Int, refusals: Int) {
        let people = max(records / 10, 1)
        var generator = SplitMix64(seed: 42)
        let batch = (0..<records).map { _ in record(of: Int(generator.next() % UInt64(people)), &generator) }
        let graph = IdentityGraph(rules: .defaults, retainsLog: false)
        var refusals = 0
        let time = Timestamp(milliseconds: 1_764_720_000_000)
        let seconds = measure {
            for (position, identities) in batch.enumerated() {
                let provenance = Provenance(record: Int64(position), source: 1, rule: "bench", time: time)
                refusals += graph.observe(identities, provenance: provenance).refusals.count
            }
        }
        return (records, seconds, graph.profileCount, refusals)
    }

    /// One record of a person: 40% anonymous browsing, 30% signed in, 10% sign-up, 8% a till
    /// purchase with the loyalty card, 10% a CRM export row, 2% a sign-in on a kiosk.
    static func record(of person: Int, _ generator: inout SplitMix64) -> [Identity] {
        let browser = Identity(namespace: "anonymousId", value: "a\(person)-\(generator.next() % 3)")
        let user = Identity(namespace: "userId", value: "u\(person)")
        let email = Identity(namespace: "email", value: "p\(person)@example.com")
        let card = Identity(namespace: "loyaltyId", value: "L\(person)")
        switch generator.next() % 100 {
        case 0..<40: return [browser]
        case 40..<70: return [user, browser]
        case 70..<80: return [user, browser, email]
        case 80..<88: return [card]
        case 88..<98: return [Identity(namespace: "crmId", value: "C\(person)"), card, email]
        default: return [user, Identity(namespace: "deviceId", value: "kiosk-\(person % 50)")]
        }
    }

    static func measure(_ work: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        work()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The process's peak resident memory (`VmHWM`) in MiB, or 0 when unreadable.
    static func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return 0 }
        return kilobytes / 1024
    }
}

/// SplitMix64: a small, fast, seedable generator, so that every run draws the same links.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
