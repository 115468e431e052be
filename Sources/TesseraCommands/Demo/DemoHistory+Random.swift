extension DemoHistory {
    /// A small seeded pseudo-random generator (SplitMix64) that drives every choice in the demo history.
    ///
    /// Written here rather than taken from the standard library because the standard library has no
    /// seedable generator, and because `Int.random(in:using:)` and friends are free to change their
    /// algorithm between toolchains. The demo must give the same bytes for the same seed on every run,
    /// platform and Swift version, so that benchmarks fill identical stores and tests can pin output.
    /// SplitMix64 costs one addition and one mix per draw and passes BigCrush. Only integer arithmetic
    /// and exactly rounded IEEE 754 operations are used (no `log` or `exp`, whose last bit may differ
    /// between C libraries), so results cannot drift across platforms.
    struct Random {
        private var state: UInt64

        /// A generator whose sequence is fixed by `seed`.
        init(seed: UInt64) {
            state = seed
        }

        /// The SplitMix64 finaliser: a bijection on 64-bit values with good avalanche.
        ///
        /// Because it is a bijection, distinct inputs always give distinct outputs; identifiers lean on
        /// this to be unique without remembering which were handed out.
        static func mix(_ value: UInt64) -> UInt64 {
            var bits = value
            bits = (bits ^ (bits >> 30)) &* 0xBF58_476D_1CE4_E5B9
            bits = (bits ^ (bits >> 27)) &* 0x94D0_49BB_1331_11EB
            return bits ^ (bits >> 31)
        }

        /// The next 64 random bits.
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return Random.mix(state)
        }

        /// A value in `0..<bound`, by multiplying and keeping the high word.
        ///
        /// The bias is below `bound / 2^64`, far too small to matter for synthetic data, and it avoids
        /// the data-dependent loop of rejection sampling.
        mutating func below(_ bound: Int) -> Int {
            precondition(bound > 0, "bound must be positive")
            return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
        }

        /// A value in `lower...upper`.
        mutating func between(_ lower: Int, _ upper: Int) -> Int {
            lower + below(upper - lower + 1)
        }

        /// A value in `lower...upper` for 64-bit spans such as milliseconds.
        mutating func between(_ lower: Int64, _ upper: Int64) -> Int64 {
            guard upper > lower else { return lower }
            let span = UInt64(upper - lower) + 1
            return lower + Int64(truncatingIfNeeded: next().multipliedFullWidth(by: span).high)
        }

        /// True with probability `probability`, using 53 random bits.
        mutating func chance(_ probability: Double) -> Bool {
            (next() >> 11) < UInt64(max(0, min(1, probability)) * 9_007_199_254_740_992.0)
        }

        /// One element of a non-empty array.
        mutating func pick<Element>(_ elements: [Element]) -> Element {
            elements[below(elements.count)]
        }

        /// One of `choices`, each chosen in proportion to its weight.
        mutating func pick<Element>(weighted choices: [(Element, Int)]) -> Element {
            choices[weighted(choices.map(\.1))].0
        }

        /// An index into `weights`, each chosen in proportion to its weight.
        mutating func weighted(_ weights: [Int]) -> Int {
            var remaining = below(weights.reduce(0, +))
            for (index, weight) in weights.enumerated() {
                if remaining < weight { return index }
                remaining -= weight
            }
            return weights.count - 1
        }
    }

    /// What a derived identifier or random stream is for; part of the key so that kinds never collide.
    enum Purpose: UInt64 {
        case message = 1
        case user
        case cookie
        case appInstall
        case device
        case advertising
        case order
        case cart
        case account
        case person
        case household
        case plan
        case render
        case phone
        case loyalty
        case crm
    }

    /// Derives identifiers and random streams from the seed, each unique for its purpose, owner and slot.
    ///
    /// The key `purpose << 56 | owner << 24 | slot` is injective for owners below 2^32 and slots below
    /// 2^24; XOR with a seed-derived word and `Random.mix` are both bijections, so the first 64 bits of
    /// every identifier are unique for a given seed. Nothing is stored, which keeps memory flat no
    /// matter how many people are generated, and lets one person refer to another's cookie.
    struct Identifiers: Sendable {
        private let primaryKey: UInt64
        private let secondaryKey: UInt64

        init(seed: UInt64) {
            primaryKey = Random.mix(seed ^ 0x5445_5353_4552_4131)
            secondaryKey = Random.mix(seed ^ 0x5445_5353_4552_4132)
        }

        /// 64 bits unique for `(purpose, owner, slot)`.
        func unique(_ purpose: Purpose, _ owner: Int, _ slot: Int = 0) -> UInt64 {
            Random.mix(key(purpose, owner, slot) ^ primaryKey)
        }

        /// 64 more bits for the same `(purpose, owner, slot)`, not unique on their own.
        func extra(_ purpose: Purpose, _ owner: Int, _ slot: Int = 0) -> UInt64 {
            Random.mix(Random.mix(key(purpose, owner, slot) ^ secondaryKey))
        }

        /// A generator seeded for one purpose, owner and slot, independent of all other streams.
        func random(_ purpose: Purpose, _ owner: Int, _ slot: Int = 0) -> Random {
            Random(seed: extra(purpose, owner, slot) ^ unique(purpose, owner, slot))
        }

        /// A version-4-shaped UUID string whose unique 64 bits come from `unique(purpose, owner, slot)`.
        func uuid(_ purpose: Purpose, _ owner: Int, _ slot: Int = 0, uppercase: Bool = false) -> String {
            let text = IdentifierText.uuid(unique(purpose, owner, slot), extra(purpose, owner, slot))
            return uppercase ? text.uppercased() : text
        }

        /// `prefix` followed by the 16 hex digits of `unique(purpose, owner, slot)`.
        func hex(_ purpose: Purpose, _ owner: Int, _ slot: Int = 0, prefix: String) -> String {
            prefix + IdentifierText.hex(unique(purpose, owner, slot), digits: 16)
        }

        private func key(_ purpose: Purpose, _ owner: Int, _ slot: Int) -> UInt64 {
            purpose.rawValue << 56 | (UInt64(truncatingIfNeeded: owner) & 0xFFFF_FFFF) << 24
                | UInt64(truncatingIfNeeded: slot) & 0xFF_FFFF
        }
    }
}
