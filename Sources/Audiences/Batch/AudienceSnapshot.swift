/// All profiles at one moment as columns, holding only what a set of audience rules reads.
///
/// Rows are numbered `0..<count` in the order profiles were added; `profileID(ofRow:)` maps a row
/// back to its profile. Each attribute path is one `ValueColumn`; each identity namespace one
/// `DenseBitset`; each consent path one answer per row; and each event name its events grouped by
/// row and ordered by (time, log sequence), with one `ValueColumn` per field the rules filter or
/// aggregate on. Build one with `AudienceSnapshot.Builder`.
public struct AudienceSnapshot: Sendable {
    /// What the rules read, and so what the snapshot keeps.
    public let needs: Needs
    /// Each row's profile id.
    let profileIDs: [Int64]
    /// Attribute columns by rule path (`loyalty.tier`, `computed.orderCount`).
    let attributes: [String: ValueColumn]
    /// Rows holding an identity of each namespace.
    let identities: [String: DenseBitset]
    /// Consent answers by path (`marketing` or `marketing.email`).
    let consent: [String: [ConsentAnswer]]
    /// Events by name.
    let events: [String: EventColumns]

    /// The number of profiles.
    public var count: Int32 { Int32(profileIDs.count) }

    /// The profile id of `row`.
    public func profileID(ofRow row: Int32) -> Int64 { profileIDs[Int(row)] }

    /// The bytes the columns take (codes, times, bitsets, offsets), without value dictionaries.
    public var memoryBytes: Int {
        var total = profileIDs.count * 8
        total += attributes.values.reduce(0) { $0 + $1.codeBytes }
        total += identities.values.reduce(0) { $0 + $1.words.count * 8 }
        total += consent.values.reduce(0) { $0 + $1.count }
        total += events.values.reduce(0) { $0 + $1.memoryBytes }
        return total
    }

    /// The number of events kept, over all names.
    public var eventCount: Int { events.values.reduce(0) { $0 + $1.times.count } }
}

extension AudienceSnapshot {
    /// The attribute paths, identity namespaces, consent paths, event names and event fields a set of
    /// rules reads.
    public struct Needs: Sendable, Hashable {
        /// Attribute paths as rules write them (`computed.` ones included).
        public var attributes: Set<String> = []
        /// Identity namespaces of `has` conditions.
        public var namespaces: Set<String> = []
        /// Consent paths (`purpose` or `purpose.channel`).
        public var consentPaths: Set<String> = []
        /// Event names, each with the field paths its filters and aggregates read.
        public var events: [String: Set<String>] = [:]

        /// Creates the needs of `rules`.
        ///
        /// - Complexity: O(total size of the rules).
        public init(rules: [AudienceRule]) {
            for rule in rules { rule.visit { add($0) } }
        }

        /// Whether everything `rule` reads is in these needs.
        public func covers(_ rule: AudienceRule) -> Bool {
            Needs(rules: [rule]).isSubset(of: self)
        }

        private func isSubset(of other: Needs) -> Bool {
            attributes.isSubset(of: other.attributes) && namespaces.isSubset(of: other.namespaces)
                && consentPaths.isSubset(of: other.consentPaths)
                && events.allSatisfy { name, fields in other.events[name].map(fields.isSubset(of:)) ?? false }
        }

        private mutating func add(_ rule: AudienceRule) {
            switch rule {
            case .attribute(let condition): attributes.insert(condition.path)
            case .identity(let namespace): namespaces.insert(namespace)
            case .consent(let condition): consentPaths.insert(condition.path)
            case .event(let condition): addEvent(condition.event, condition.filters.map(\.path))
            case .aggregate(let condition):
                addEvent(condition.event, condition.filters.map(\.path) + (condition.field.map { [$0] } ?? []))
            case .sequence(let condition):
                for step in condition.steps { addEvent(step.event, step.filters.map(\.path)) }
            case .and, .or, .not, .audience: break
            }
        }

        private mutating func addEvent(_ name: String, _ fields: [String]) {
            events[name, default: []].formUnion(fields)
        }
    }

    /// The events of one name, grouped by row and ordered by (time, log sequence) within a row.
    struct EventColumns: Sendable {
        /// Row `r`'s events are `offsets[r]..<offsets[r + 1]`.
        var offsets: [UInt32]
        /// Each event's row, the inverse of `offsets`.
        var rows: [Int32]
        /// Milliseconds since 1970, per event.
        var times: [Int64]
        /// Log sequence, per event.
        var sequences: [Int64]
        /// The fields the rules read, by path (`properties.total`).
        var fields: [String: ValueColumn]

        var memoryBytes: Int {
            offsets.count * 4 + rows.count * 4 + times.count * 16 + fields.values.reduce(0) { $0 + $1.codeBytes }
        }
    }
}
