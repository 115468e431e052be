import Audiences
import TesseraCore

/// One profile of a batch test, in the shape both the snapshot builder and the per-profile
/// reference evaluator read.
struct TestProfile {
    var id: Int64
    var attributes: JSONValue = [:]
    var computed: JSONValue = [:]
    var namespaces: Set<String> = []
    var consent: [String: ConsentAnswer] = [:]
    var events: [AudienceEvent] = []

    /// The facts `AudienceEvaluator` reads, with the given memberships.
    func facts(memberships: Set<String> = []) -> ProfileFacts {
        ProfileFacts(
            attributes: attributes, computed: computed, identityNamespaces: namespaces, consent: consent,
            memberships: memberships, history: EventList(events))
    }
}

enum BatchFixtures {
    /// 2026-12-01T00:00:00Z, the moment every table case is evaluated at.
    static let now = Timestamp(milliseconds: 1_796_083_200_000)
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    static func at(_ offset: Int64) -> Timestamp { now.adding(milliseconds: offset) }

    /// Five profiles covering missing values, type mismatches, window edges and sequence ties.
    static let profiles: [TestProfile] = [
        TestProfile(
            id: 101,
            attributes: ["tier": "gold", "age": 30, "createdAt": "2026-01-15", "address": ["city": "Leeds"]],
            computed: ["orderCount": 5, "lifetimeValue": 900.5], namespaces: ["email", "phone"],
            consent: ["marketing.email": .yes, "share": .no],
            events: [
                AudienceEvent(name: "Order Completed", time: at(-day), sequence: 10, properties: ["total": 150]),
                AudienceEvent(name: "Order Completed", time: at(-40 * day), sequence: 5, properties: ["total": 50]),
                AudienceEvent(name: "Product Viewed", time: at(-2 * hour), sequence: 20, properties: ["sku": "A1"]),
                AudienceEvent(
                    name: "Order Completed", time: at(-hour), sequence: 21, properties: ["sku": "A1", "total": 20],
                    context: ["device": ["type": "mobile"]]),
            ]),
        TestProfile(
            id: 102, attributes: ["tier": "silver", "age": "30", "vip": true], computed: ["orderCount": 0],
            namespaces: ["phone"], consent: ["marketing": .no],
            events: [
                AudienceEvent(
                    name: "Page Viewed", time: at(-7 * day), sequence: 1, properties: ["path": "/Insurance/home"]),
                AudienceEvent(
                    name: "Page Viewed", time: at(-7 * day + 1), sequence: 2, properties: ["path": "/insurance/car"]),
            ]),
        TestProfile(
            id: 103, attributes: ["tier": nil, "age": 45.0],
            events: [
                AudienceEvent(name: "Order Completed", time: at(-3 * day), sequence: 6, properties: ["total": "100"]),
                AudienceEvent(name: "Product Viewed", time: at(-3 * day), sequence: 7),
            ]),
        TestProfile(
            id: 104, attributes: ["tier": "Gold"], namespaces: ["email"],
            events: [
                AudienceEvent(name: "Product Viewed", time: at(-3 * day), sequence: 6),
                AudienceEvent(name: "Order Completed", time: at(-3 * day), sequence: 7, properties: ["total": 10]),
            ]),
        TestProfile(id: 105),
    ]

    /// Builds a snapshot of `profiles` that keeps what `rules` read.
    static func snapshot(_ profiles: [TestProfile], rules: [AudienceRule]) -> AudienceSnapshot {
        var builder = AudienceSnapshot.Builder(rules: rules)
        for profile in profiles {
            let row = builder.addProfile(
                id: profile.id, attributes: profile.attributes, computed: profile.computed,
                identityNamespaces: profile.namespaces, consent: profile.consent)
            for event in profile.events { builder.addEvent(row: row, event) }
        }
        return builder.build()
    }

    /// The profile ids of the members of `bitmap`.
    static func ids(_ bitmap: MembershipBitmap, in snapshot: AudienceSnapshot) -> Set<Int64> {
        Set(bitmap.members().map { snapshot.profileID(ofRow: $0) })
    }
}

/// SplitMix64: a seedable generator, so that random tests draw the same data on every run.
struct SeededGenerator: RandomNumberGenerator {
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
