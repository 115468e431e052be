import Audiences
import Dispatch
import Foundation
import TesseraCore

/// Batch audience evaluation over synthetic profiles: 100 audiences (attributes, identities, consent,
/// events with windows and filters, aggregates, sequences, audiences of audiences) over a columnar
/// snapshot, beside the same rules as SQL in DuckDB over the same data (`Benchmarks/audiences/`).
///
/// The data is drawn from a fixed seed, so every run sees the same profiles. The snapshot is built
/// from columns (the bulk path), timed apart from evaluation. The data and the rules (rule text, SQL
/// and Tessera's member count) are written to a directory for `Benchmarks/audiences/duckdb_audiences.py`,
/// which runs the SQL and checks that every count agrees.
enum AudienceBenchmark {
    /// `tessera-bench audiences [PROFILES] [EXPORT-DIR]`: default 10,000,000 profiles, no export.
    static func run(arguments: [String]) -> [String: JSONValue] {
        let profiles = arguments.first.flatMap { Int($0) } ?? 10_000_000
        return run(profiles: profiles, exportDirectory: arguments.count > 1 ? arguments[1] : nil)
    }

    /// 2026-12-01T00:00:00Z, the moment of evaluation.
    static let now = Timestamp(milliseconds: 1_796_083_200_000)
    static let day: Int64 = 86_400_000

    static func run(profiles count: Int, exportDirectory: String?) -> [String: JSONValue] {
        let audiences = AudienceCatalog.make()
        let rules = audiences.map(\.rule)
        var corpus: Corpus?
        let generation = measure { corpus = Corpus(profiles: count) }
        var snapshot: AudienceSnapshot?
        let building = measure { snapshot = corpus!.snapshot(rules: rules, profiles: count) }
        let evaluator = BatchEvaluator(snapshot: snapshot!)

        var results: [String: MembershipBitmap] = [:]
        let total = measure { results = try! evaluator.evaluate(audiences.map { ($0.name, $0.rule) }, at: now) }
        var perAudience: [Double] = []
        var known: [String: MembershipBitmap] = [:]
        for audience in audiences {
            perAudience.append(
                measure {
                    known[audience.name] = try! evaluator.evaluate(
                        [(audience.name, audience.rule)], at: now, known: known)[audience.name]
                })
        }
        precondition(known.allSatisfy { results[$0.key] == $0.value }, "one call and one call per audience agree")
        let sets = compareSetOperations(results, audiences: audiences, universe: snapshot!.count)
        let estimates = estimateLatencies(corpus!, rules: rules, audiences: audiences, known: results)
        if let exportDirectory { corpus!.export(to: exportDirectory, audiences: audiences, results: results) }

        let sorted = perAudience.sorted()
        let slowest = zip(audiences, perAudience).sorted { $0.1 > $1.1 }.prefix(5).map { audience, seconds in
            JSONValue.object(["rule": .string(audience.text), "ms": .double(seconds * 1000)])
        }
        let members = audiences.map { results[$0.name]!.count }
        return [
            "profiles": .int(Int64(count)), "events": .int(Int64(corpus!.eventCount)),
            "audiences": .int(Int64(audiences.count)), "generate_seconds": .double(generation),
            "snapshot_build_seconds": .double(building),
            "snapshot_mb": .double(Double(snapshot!.memoryBytes) / 1_048_576),
            "evaluate_all_seconds": .double(total),
            "per_audience_p50_ms": .double(sorted[sorted.count / 2] * 1000),
            "per_audience_max_ms": .double(sorted.last! * 1000),
            "per_audience_sum_seconds": .double(perAudience.reduce(0, +)), "slowest": .array(slowest),
            "members_total": .int(Int64(members.reduce(0, +))),
            "members_min": .int(Int64(members.min()!)), "members_max": .int(Int64(members.max()!)),
            "membership_bitmaps_mb": .double(Double(results.values.reduce(0) { $0 + $1.sizeInBytes }) / 1_048_576),
            "peak_rss_mb": .double(IdentityBenchmark.peakResidentMegabytes()),
        ].merging(sets) { first, _ in first }.merging(estimates) { first, _ in first }
    }

    static func measure(_ work: () -> Void) -> Double { IdentityBenchmark.measure(work) }

    /// AND, OR and AND NOT on the two results closest to 40 % of the profiles, as dense bitsets and
    /// as CRoaring bitmaps, and the cost of turning a dense result into a bitmap.
    static func compareSetOperations(
        _ results: [String: MembershipBitmap], audiences: [AudienceCatalog.Audience], universe: Int32
    ) -> [String: JSONValue] {
        let middle = Int(universe) * 2 / 5
        let closest = audiences.map(\.name).sorted {
            abs(results[$0]!.count - middle) < abs(results[$1]!.count - middle)
        }
        let (a, b) = (results[closest[0]]!, results[closest[1]]!)
        let (denseA, denseB) = (DenseBitset(a, universe: universe), DenseBitset(b, universe: universe))
        let repeats = 20
        let roaring = measure {
            for _ in 0..<repeats { _ = (a.intersection(b).count, a.union(b).count, a.subtracting(b).count) }
        }
        let dense = measure {
            for _ in 0..<repeats {
                var both = denseA
                both.formIntersection(denseB)
                var either = denseA
                either.formUnion(denseB)
                var only = denseA
                only.subtract(denseB)
                _ = (both.words.count, either.words.count, only.words.count)
            }
        }
        let conversion = measure { _ = denseA.membershipBitmap() }
        return [
            "set_ops_members_a": .int(Int64(a.count)), "set_ops_members_b": .int(Int64(b.count)),
            "roaring_and_or_andnot_ms": .double(roaring * 1000 / Double(repeats)),
            "dense_and_or_andnot_ms": .double(dense * 1000 / Double(repeats)),
            "dense_to_roaring_ms": .double(conversion * 1000),
        ]
    }

    /// Size estimates of every rule over the first 1,000,000 profiles (or all, when fewer).
    static func estimateLatencies(
        _ corpus: Corpus, rules: [AudienceRule], audiences: [AudienceCatalog.Audience],
        known: [String: MembershipBitmap]
    ) -> [String: JSONValue] {
        let profiles = min(1_000_000, corpus.profileCount)
        let evaluator = BatchEvaluator(snapshot: corpus.snapshot(rules: rules, profiles: profiles))
        var latencies: [Double] = []
        var worstError = 0.0
        for audience in audiences {
            var estimate = 0
            latencies.append(
                measure { estimate = try! evaluator.estimateSize(of: audience.rule, at: now, known: known) })
            let exact = DenseBitset(known[audience.name]!, universe: Int32(profiles)).count
            worstError = max(worstError, Double(abs(estimate - exact)) / Double(max(exact, 1)))
        }
        latencies.sort()
        return [
            "estimate_profiles": .int(Int64(profiles)),
            "estimate_p50_ms": .double(latencies[latencies.count / 2] * 1000),
            "estimate_max_ms": .double(latencies.last! * 1000),
            "estimate_worst_relative_error": .double(worstError),
        ]
    }
}

/// Synthetic profiles as columns, drawn from a fixed seed.
struct Corpus {
    static let tiers: [JSONValue] = ["bronze", "silver", "gold", "platinum"]
    static let countries: [JSONValue] = ["GB", "DE", "FR", "US", "ES", "IT", "NL", "SE", "PL", "IE", "CA", "AU"]
    static let ages: [JSONValue] = (18...90).map { .int(Int64($0)) }
    static let flags: [JSONValue] = [false, true]
    static let orderCounts: [JSONValue] = (0...30).map { .int(Int64($0)) }
    static let values: [JSONValue] = (0...500).map { .double(Double($0 * 10)) }
    static let lastSeen: [JSONValue] = (0..<365).map {
        .int(AudienceBenchmark.now.milliseconds - Int64($0) * AudienceBenchmark.day)
    }
    static let namespaces = ["email", "phone", "crmId", "loyaltyId"]
    static let consentPaths = ["marketing.email", "share"]
    static let eventNames = ["Page Viewed", "Product Viewed", "Product Added", "Order Completed", "Signed In"]
    static let totals: [JSONValue] = (5...500).map { .int(Int64($0)) }
    static let skus: [JSONValue] = (0..<50).map { .string("SKU-\($0)") }
    static let paths: [JSONValue] = [
        "/", "/insurance/car", "/insurance/home", "/Insurance/travel", "/travel",
        "/travel/deals", "/account", "/help", "/shop/shoes", "/shop/bags", "/blog", "/checkout",
    ]
    static let devices: [JSONValue] = ["mobile", "desktop", "tablet"]

    let profileCount: Int
    /// Attribute codes by rule path, one per profile.
    var attributes: [String: (values: [JSONValue], codes: [UInt32])] = [:]
    /// Identity flags by namespace, one per profile.
    var identities: [String: [Bool]] = [:]
    var consent: [String: [ConsentAnswer]] = [:]
    /// Events by name, ordered by row then time.
    var events: [String: EventBlock] = [:]

    /// Events of one name; field codes are 0 where the event has no such field.
    struct EventBlock {
        var rows: [Int32] = []
        var times: [Int64] = []
        var sequences: [Int64] = []
        var devices: [UInt32] = []
        var totals: [UInt32] = []
        var skus: [UInt32] = []
        var paths: [UInt32] = []

        /// The field columns, by path.
        func fields(upTo end: Int) -> [String: ValueColumn] {
            [
                "context.device.type": ValueColumn(values: Corpus.devices, codes: Array(devices[0..<end])),
                "properties.total": ValueColumn(values: Corpus.totals, codes: Array(totals[0..<end])),
                "properties.sku": ValueColumn(values: Corpus.skus, codes: Array(skus[0..<end])),
                "properties.path": ValueColumn(values: Corpus.paths, codes: Array(paths[0..<end])),
            ]
        }
    }

    var eventCount: Int { events.values.reduce(0) { $0 + $1.rows.count } }

    init(profiles count: Int) {
        profileCount = count
        var random = SplitMix64(seed: 0xA0D1_E9CE)
        func draw(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
        func column(_ values: [JSONValue], _ code: () -> UInt32) -> (values: [JSONValue], codes: [UInt32]) {
            (values, (0..<count).map { _ in code() })
        }
        attributes["tier"] = column(Self.tiers) {
            draw(10) == 0 ? 0 : UInt32([1, 1, 1, 1, 2, 2, 2, 3, 3, 4][draw(10)])
        }
        attributes["country"] = column(Self.countries) { UInt32(1 + draw(Self.countries.count)) }
        attributes["age"] = column(Self.ages) { draw(20) == 0 ? 0 : UInt32(1 + draw(Self.ages.count)) }
        attributes["vip"] = column(Self.flags) { draw(20) == 0 ? 2 : 1 }
        let orders = column(Self.orderCounts) { UInt32(1 + min(draw(8) * draw(8) / 2, 30)) }
        attributes["computed.orderCount"] = orders
        attributes["computed.lifetimeValue"] = (
            Self.values, orders.codes.map { min(UInt32(500), ($0 - 1) * 12 + UInt32(draw(30))) + 1 }
        )
        attributes["computed.lastSeen"] = column(Self.lastSeen) { UInt32(1 + draw(365)) }
        for (namespace, percent) in zip(Self.namespaces, [70, 40, 15, 25]) {
            identities[namespace] = (0..<count).map { _ in draw(100) < percent }
        }
        let answers: [ConsentAnswer] = [.yes, .yes, .yes, .yes, .yes, .no, .no, .unknown, .unknown, .unknown]
        for path in Self.consentPaths { consent[path] = (0..<count).map { _ in answers[draw(10)] } }
        events = Self.drawEvents(profiles: count, &random)
    }

    /// Zero to six events per profile, in time order, spread over the last year.
    static func drawEvents(profiles count: Int, _ random: inout SplitMix64) -> [String: EventBlock] {
        var blocks = [EventBlock](repeating: EventBlock(), count: eventNames.count)
        let weights = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4]
        var sequence: Int64 = 0
        var times: [Int64] = []
        let year = UInt64(365 * AudienceBenchmark.day)
        for row in 0..<count {
            times.removeAll(keepingCapacity: true)
            for _ in 0..<Int(random.next() % 7) {
                times.append(AudienceBenchmark.now.milliseconds - 1 - Int64(random.next() % year))
            }
            times.sort()
            for time in times {
                let name = weights[Int(random.next() % 12)]
                sequence += 1
                blocks[name].rows.append(Int32(row))
                blocks[name].times.append(time)
                blocks[name].sequences.append(sequence)
                blocks[name].devices.append(UInt32(1 + random.next() % 3))
                let sku = UInt32(1 + random.next() % UInt64(skus.count))
                switch eventNames[name] {
                case "Order Completed":
                    blocks[name].totals.append(UInt32(1 + random.next() % UInt64(totals.count)))
                    blocks[name].skus.append(sku)
                    blocks[name].paths.append(0)
                case "Product Viewed", "Product Added":
                    blocks[name].totals.append(0)
                    blocks[name].skus.append(sku)
                    blocks[name].paths.append(0)
                case "Page Viewed":
                    blocks[name].totals.append(0)
                    blocks[name].skus.append(0)
                    blocks[name].paths.append(UInt32(1 + random.next() % UInt64(paths.count)))
                default:
                    blocks[name].totals.append(0)
                    blocks[name].skus.append(0)
                    blocks[name].paths.append(0)
                }
            }
        }
        return Dictionary(uniqueKeysWithValues: zip(eventNames, blocks))
    }

    /// The snapshot of the first `profiles` profiles, through the bulk path.
    func snapshot(rules: [AudienceRule], profiles: Int) -> AudienceSnapshot {
        var builder = AudienceSnapshot.Builder(rules: rules)
        var identitySets: [String: DenseBitset] = [:]
        for (namespace, flags) in identities {
            var set = DenseBitset(universe: Int32(profiles))
            for row in 0..<profiles where flags[row] { set.insert(Int32(row)) }
            identitySets[namespace] = set
        }
        builder.addProfiles(
            ids: (0..<profiles).map { Int64($0) + 1_000_000_000 },
            attributes: attributes.mapValues { ValueColumn(values: $0.values, codes: Array($0.codes[0..<profiles])) },
            identities: identitySets, consent: consent.mapValues { Array($0[0..<profiles]) })
        for (name, block) in events {
            let end = block.rows.firstIndex { $0 >= profiles } ?? block.rows.count
            builder.addEvents(
                named: name, rows: Array(block.rows[0..<end]), times: Array(block.times[0..<end]),
                sequences: Array(block.sequences[0..<end]),
                fields: block.fields(upTo: end))
        }
        return builder.build()
    }
}

extension Corpus {
    /// Writes the columns as little-endian binary files and `manifest.json` (dictionaries, the
    /// audiences' SQL and Tessera's member counts) into `directory`, for the DuckDB script.
    func export(to directory: String, audiences: [AudienceCatalog.Audience], results: [String: MembershipBitmap]) {
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func write<T>(_ values: [T], _ file: String) -> JSONValue {
            let data = values.withUnsafeBytes { Data($0) }
            precondition(FileManager.default.createFile(atPath: directory + "/" + file, contents: data), "cannot write")
            return .string(file)
        }
        func encoded(_ column: (values: [JSONValue], codes: [UInt32]), _ file: String) -> JSONValue {
            ["file": write(column.codes, file), "values": .array(column.values)]
        }
        let sqlColumns = [
            "tier": "tier", "country": "country", "age": "age", "vip": "vip", "computed.orderCount": "order_count",
            "computed.lifetimeValue": "lifetime_value", "computed.lastSeen": "last_seen",
        ]
        var profileColumns: [String: JSONValue] = [:]
        for (path, column) in attributes { profileColumns[sqlColumns[path]!] = encoded(column, "profile-\(path).u32") }
        var flagColumns: [String: JSONValue] = [:]
        for (namespace, flags) in identities {
            flagColumns["has_\(namespace)"] = write(flags.map { UInt8($0 ? 1 : 0) }, "identity-\(namespace).u8")
        }
        var answerColumns: [String: JSONValue] = [:]
        for (path, answers) in consent {
            let codes = answers.map { UInt8(ConsentAnswer.allCases.firstIndex(of: $0)!) }
            answerColumns["consent_" + path.replacingOccurrences(of: ".", with: "_")] = write(
                codes, "consent-\(path).u8")
        }
        var eventFiles: [String: JSONValue] = [:]
        for (name, block) in events {
            let stem = "events-" + name.replacingOccurrences(of: " ", with: "_")
            eventFiles[name] = [
                "rows": write(block.rows, stem + "-rows.i32"), "times": write(block.times, stem + "-times.i64"),
                "seqs": write(block.sequences, stem + "-seqs.i64"),
                "device": encoded((Corpus.devices, block.devices), stem + "-device.u32"),
                "total": encoded((Corpus.totals, block.totals), stem + "-total.u32"),
                "sku": encoded((Corpus.skus, block.skus), stem + "-sku.u32"),
                "path": encoded((Corpus.paths, block.paths), stem + "-path.u32"),
            ]
        }
        let manifest: JSONValue = [
            "profiles": .int(Int64(profileCount)), "now": .int(AudienceBenchmark.now.milliseconds),
            "attributes": .object(profileColumns), "identities": .object(flagColumns),
            "consent": .object(answerColumns),
            "consent_answers": .array(ConsentAnswer.allCases.map { .string($0.rawValue) }),
            "events": .object(eventFiles),
            "audiences": .array(
                audiences.map { audience in
                    [
                        "name": .string(audience.name), "rule": .string(audience.text), "sql": .string(audience.sql),
                        "members": .int(Int64(results[audience.name]!.count)),
                    ]
                }),
        ]
        let written = FileManager.default.createFile(
            atPath: directory + "/manifest.json", contents: Data(manifest.serialized.utf8))
        precondition(written, "cannot write the manifest")
    }
}

/// The benchmark's 100 audiences, each as rule text and as the equivalent SQL over the exported tables
/// `profiles(row, tier, country, age, vip, order_count, lifetime_value, last_seen, has_email, …,
/// consent_marketing_email, consent_share)` and `events(row, name, time, seq, device, total, sku, path)`.
enum AudienceCatalog {
    struct Audience {
        let name: String
        let text: String
        let sql: String
        let rule: AudienceRule
    }

    /// One condition in both languages; `sql` is a boolean that is never NULL.
    struct Condition {
        let text: String
        let sql: String

        static func && (lhs: Condition, rhs: Condition) -> Condition {
            Condition(text: "(\(lhs.text) and \(rhs.text))", sql: "(\(lhs.sql) AND \(rhs.sql))")
        }

        static func || (lhs: Condition, rhs: Condition) -> Condition {
            Condition(text: "(\(lhs.text) or \(rhs.text))", sql: "(\(lhs.sql) OR \(rhs.sql))")
        }

        static prefix func ! (condition: Condition) -> Condition {
            Condition(text: "not \(condition.text)", sql: "(NOT \(condition.sql))")
        }
    }

    /// A filter on an event field, in both languages.
    typealias Filter = (text: String, sql: String)

    static let now = AudienceBenchmark.now.milliseconds

    static func make() -> [Audience] {
        var random = SplitMix64(seed: 0xC0FF_EE)
        var audiences: [Audience] = []
        for index in 0..<100 {
            let condition = template(index, &random, earlier: audiences)
            let name = "A\(index)"
            let rule = try! AudienceParser.parse(condition.text)
            audiences.append(
                Audience(
                    name: name, text: rule.text, sql: "SELECT row FROM profiles WHERE \(condition.sql)", rule: rule))
        }
        return audiences
    }

    static func template(_ index: Int, _ random: inout SplitMix64, earlier: [Audience]) -> Condition {
        func draw(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
        func pick<T>(_ choices: [T]) -> T { choices[draw(choices.count)] }
        let tier = pick(["bronze", "silver", "gold", "platinum"])
        let days = pick([1, 7, 14, 30, 90, 180, 365])
        switch index % 15 {
        case 0: return attribute("tier", "tier", tier) && has(pick(Corpus.namespaces))
        case 1:
            let countries = (0..<3).map { _ in pick(Corpus.countries.map { $0.stringValue! }) }
            return attributeIn("country", "country", countries)
                && compare("age", "age", pick([">=", "<"]), 18 + draw(50))
        case 2:
            return compare("computed.lifetimeValue", "lifetime_value", ">=", 100 * draw(40))
                && consent("marketing.email", pick(["y", "n", "u"]))
        case 3: return did("Order Completed", days: days)
        case 4:
            return did("Order Completed", filters: [total(">", 50 * draw(9))], atLeast: 1 + draw(2), days: days)
        case 5:
            return !did("Order Completed", days: days)
                && compare("computed.orderCount", "order_count", ">=", 1 + draw(5))
        case 6:
            return aggregate(
                "count", "Page Viewed", filters: [pathStarts(pick(["/insurance", "/travel", "/shop"]))],
                days: days, pick([">=", "=", "<"]), draw(3))
        case 7: return aggregate("sum", "Order Completed", days: days, pick([">", "<="]), 100 * draw(8))
        case 8:
            return aggregate(
                pick(["avg", "min", "max"]), "Order Completed", days: days, pick([">", "<"]), 50 + 50 * draw(8))
        case 9:
            return sequence(
                pick([
                    ["Product Viewed", "Order Completed"], ["Product Viewed", "Product Added", "Order Completed"],
                    ["Signed In", "Product Added"],
                ]), withinDays: pick([nil, 7, 30]))
        case 10: return has("phone") && !has("email") || consent("share", "n")
        case 11:
            return did("Page Viewed", filters: [device(["mobile", "tablet"])], atLeast: 1 + draw(3), days: days)
                && attribute("vip", "vip", true)
        case 12:
            let date = AudienceBenchmark.now.milliseconds - Int64(1 + draw(200)) * AudienceBenchmark.day
            return Condition(
                text:
                    "computed.lastSeen after "
                    + AudienceDate(timestamp: Timestamp(milliseconds: date), hasTime: false).text,
                sql: "coalesce(last_seen > \(date), false)") && attribute("tier", "tier", tier)
        case 13:
            let sku = "SKU-\(draw(50))"
            return aggregate("count", "Order Completed", days: 365, "=", 0)
                || did(
                    "Product Added", filters: [(#"properties.sku = "\#(sku)""#, "sku = '\(sku)'")], atLeast: 1,
                    days: days)
        default:
            let first = earlier[earlier.count - 1 - draw(min(earlier.count, 10))]
            let second = earlier[draw(earlier.count)]
            return inAudience(first) && !inAudience(second) || (inAudience(second) && has("crmId"))
        }
    }

    static func attribute(_ path: String, _ column: String, _ value: String) -> Condition {
        Condition(text: #"attribute \#(path) = "\#(value)""#, sql: "coalesce(\(column) = '\(value)', false)")
    }

    static func attribute(_ path: String, _ column: String, _ value: Bool) -> Condition {
        Condition(text: "attribute \(path) = \(value)", sql: "coalesce(\(column) = \(value), false)")
    }

    static func attributeIn(_ path: String, _ column: String, _ values: [String]) -> Condition {
        Condition(
            text: "attribute \(path) in [\(values.map { "\"\($0)\"" }.joined(separator: ", "))]",
            sql: "coalesce(\(column) IN (\(values.map { "'\($0)'" }.joined(separator: ", "))), false)")
    }

    static func compare(_ path: String, _ column: String, _ operation: String, _ value: Int) -> Condition {
        let keyword = path.hasPrefix("computed.") ? "" : "attribute "
        return Condition(
            text: "\(keyword)\(path) \(operation) \(value)", sql: "coalesce(\(column) \(operation) \(value), false)")
    }

    static func has(_ namespace: String) -> Condition {
        Condition(text: "has \(namespace)", sql: "has_\(namespace)")
    }

    static func consent(_ path: String, _ answer: String) -> Condition {
        Condition(
            text: #"consent \#(path) = "\#(answer)""#,
            sql: "consent_\(path.replacingOccurrences(of: ".", with: "_")) = '\(answer)'")
    }

    static func inAudience(_ audience: Audience) -> Condition {
        Condition(text: #"in audience "\#(audience.name)""#, sql: "row IN (\(audience.sql))")
    }

    static func total(_ operation: String, _ value: Int) -> Filter {
        ("properties.total \(operation) \(value)", "total \(operation) \(value)")
    }

    static func pathStarts(_ prefix: String) -> Filter {
        (#"properties.path starts with "\#(prefix)""#, "starts_with(lower(path), '\(prefix)')")
    }

    static func device(_ types: [String]) -> Filter {
        (
            "context.device.type in [\(types.map { "\"\($0)\"" }.joined(separator: ", "))]",
            "device IN (\(types.map { "'\($0)'" }.joined(separator: ", ")))"
        )
    }

    /// The events of `name` inside the last `days` days that pass `filters`, as SQL.
    static func matching(_ name: String, _ filters: [Filter], days: Int) -> String {
        let conditions =
            ["name = '\(name)'", "time > \(now - Int64(days) * AudienceBenchmark.day)"] + filters.map(\.sql)
        return "SELECT row FROM events WHERE \(conditions.joined(separator: " AND "))"
    }

    static func eventText(_ name: String, _ filters: [Filter]) -> String {
        let clause = filters.isEmpty ? "" : " where " + filters.map(\.text).joined(separator: " and ")
        return "\"\(name)\"\(clause)"
    }

    static func did(_ name: String, filters: [Filter] = [], atLeast count: Int = 1, days: Int) -> Condition {
        Condition(
            text: "did \(eventText(name, filters)) at least \(count) times within \(days) days",
            sql: "row IN (\(matching(name, filters, days: days)) GROUP BY row HAVING count(*) >= \(count))")
    }

    static func aggregate(
        _ function: String, _ name: String, filters: [Filter] = [], days: Int, _ operation: String, _ threshold: Int
    ) -> Condition {
        let field = function == "count" ? "" : "properties.total for "
        let text = "\(function) of \(field)\(eventText(name, filters)) within \(days) days \(operation) \(threshold)"
        let value =
            function == "count" ? "count(*)" : (function == "sum" ? "coalesce(sum(total), 0)" : "\(function)(total)")
        let holdsForNone: Bool
        switch (function, operation) {
        case ("count", _), ("sum", _):
            holdsForNone = ComparisonOperator(rawValue: operation)!.holds(0 < threshold ? -1 : (threshold == 0 ? 0 : 1))
        default: holdsForNone = false
        }
        let grouped = "\(matching(name, filters, days: days)) GROUP BY row"
        let sql =
            holdsForNone
            ? "row NOT IN (\(grouped) HAVING NOT (\(value) \(operation) \(threshold)))"
            : "row IN (\(grouped) HAVING \(value) \(operation) \(threshold))"
        return Condition(text: text, sql: sql)
    }

    static func sequence(_ names: [String], withinDays: Int?) -> Condition {
        let aliases = names.indices.map { "s\($0)" }
        var joins = "events s0"
        var conditions = ["s0.name = '\(names[0])'"]
        for step in names.indices.dropFirst() {
            let (this, previous) = (aliases[step], aliases[step - 1])
            joins +=
                " JOIN events \(this) ON \(this).row = s0.row AND (\(this).time > \(previous).time"
                + " OR (\(this).time = \(previous).time AND \(this).seq > \(previous).seq))"
            conditions.append("\(this).name = '\(names[step])'")
        }
        if let withinDays {
            conditions.append("\(aliases.last!).time - s0.time <= \(Int64(withinDays) * AudienceBenchmark.day)")
        }
        let text =
            "did " + names.map { "\"\($0)\"" }.joined(separator: " then ")
            + (withinDays.map { " within \($0) days" } ?? "")
        return Condition(
            text: text, sql: "row IN (SELECT s0.row FROM \(joins) WHERE \(conditions.joined(separator: " AND ")))")
    }
}
