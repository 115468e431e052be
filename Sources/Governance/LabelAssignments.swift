/// Which labels sit on which fields and sources.
///
/// A field is a dotted path into the data Tessera keeps: `attributes.email`, `computed.orderCount`,
/// `identities.email` (an identity namespace), `events.properties.total` and `events.context.ip`
/// (fields of collected records), `consent.marketing.email`. A label on a field covers everything
/// under it (`attributes.address` covers `attributes.address.city`), and reading a field reads
/// everything under it too (a rule on `attributes.address` reads `attributes.address.geo`).
///
/// A label on a source covers every field that comes from records: profiles merge fragments from
/// every source, so any attribute, identity, event or computed value may hold that source's data.
public struct LabelAssignments: Sendable, Hashable {
    /// Labels by field path.
    public var fields: [String: Set<String>]
    /// Labels by source name.
    public var sources: [String: Set<String>]

    /// Creates assignments.
    public init(fields: [String: Set<String>] = [:], sources: [String: Set<String>] = [:]) {
        self.fields = fields
        self.sources = sources
    }

    /// The labels `field` carries from field assignments: its own, its ancestors' and its descendants'.
    ///
    /// - Complexity: O(assigned fields × path length).
    public func fieldLabels(of field: String) -> Set<String> {
        var labels: Set<String> = []
        for (path, assigned) in fields where Self.overlaps(path, field) {
            labels.formUnion(assigned)
        }
        return labels
    }

    /// The labels `field` carries from its own path and its ancestors' only: what sits on the value
    /// itself, not on parts of it.
    public func ownLabels(of field: String) -> Set<String> {
        var labels: Set<String> = []
        for (path, assigned) in fields where field == path || field.hasPrefix(path + ".") {
            labels.formUnion(assigned)
        }
        return labels
    }

    /// The sources whose labels `field` carries, with those labels; empty for fields that do not
    /// come from records (`audience`, `event`, `profileId`).
    public func sourceLabels(of field: String) -> [String: Set<String>] {
        guard Self.comesFromRecords(field) else { return [:] }
        return sources.filter { !$0.value.isEmpty }
    }

    /// Whether a field's values come from collected records (and so carry source labels).
    public static func comesFromRecords(_ field: String) -> Bool {
        ["attributes", "computed", "identities", "events", "consent"].contains {
            field == $0 || field.hasPrefix($0 + ".")
        }
    }

    /// Whether one path is the other or lies under it.
    static func overlaps(_ a: String, _ b: String) -> Bool {
        a == b || b.hasPrefix(a + ".") || a.hasPrefix(b + ".")
    }

    /// Defaults a first-time user gets: direct identifiers are `I1`, device and cookie ids and IP
    /// addresses `I2`, precise geolocation `S1`.
    public static let standard: LabelAssignments = {
        var fields: [String: Set<String>] = [:]
        let direct = [
            "attributes.email", "attributes.phone", "attributes.name", "attributes.firstName", "attributes.lastName",
            "attributes.address", "attributes.birthday", "identities.email", "identities.phone",
            "events.context.traits.email", "events.context.traits.phone", "events.context.traits.name",
        ]
        let indirect = [
            "identities.anonymousId", "identities.deviceId", "identities.ecid", "identities.crmId",
            "identities.userId", "identities.loyaltyId", "events.context.ip", "events.context.device.id",
            "events.context.device.advertisingId",
        ]
        let location = [
            "events.context.location.latitude", "events.context.location.longitude", "events.placeContext.geo",
            "attributes.location.latitude", "attributes.location.longitude", "attributes.address.latitude",
            "attributes.address.longitude",
        ]
        for field in direct { fields[field, default: []].insert("I1") }
        for field in indirect { fields[field, default: []].insert("I2") }
        for field in location { fields[field, default: []].insert("S1") }
        return LabelAssignments(fields: fields)
    }()
}
