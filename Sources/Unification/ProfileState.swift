import JSONParsing
import Profiles
import TesseraCore

/// What a profile holds besides its identities: fragments per source and computed attributes.
struct ProfileState {
    var fragments: ProfileFragments
    var computed: ComputedAttributes

    init(fragments: ProfileFragments, computed: ComputedAttributes) {
        self.fragments = fragments
        self.computed = computed
    }

    /// Loads the stored form, as written by `encoded`.
    init(fragments: [UInt8], computed: [UInt8], configuration: ProfileEngine.Configuration) throws {
        self.fragments = try ProfileFragments(json: JSONValue(parsing: fragments), limits: configuration.fragmentLimits)
        self.computed = try ComputedAttributes(
            json: JSONValue(parsing: computed), configuration: configuration.computed)
    }

    /// Applies one stored record: its attributes to the fragment of its source, and its activity to
    /// the computed attributes.
    ///
    /// - Returns: how many attribute updates were refused, and whether any attribute was given.
    mutating func observe(
        kind: String, record: JSONNode, source: Int64, time: Timestamp
    ) -> (refusals: Int, attributesChanged: Bool) {
        let extracted = FragmentExtractor.extract(kind: kind, record: record, time: time)
        var refusals: [FragmentRefusal] = []
        if !extracted.person.isEmpty { _ = fragments.apply(extracted.person, from: source, refusals: &refusals) }
        let eventName =
            record.member("event")?.string ?? record.member("eventType")?.string
            ?? record.member("xdm:eventType")?.string
        computed.observe(kind: kind, eventName: eventName, record: record, time: time)
        return (refusals.count, !extracted.person.isEmpty)
    }

    /// Takes in a profile merged into this one.
    mutating func absorb(_ other: ProfileState) {
        fragments.absorb(other.fragments)
        computed = computed.merged(with: other.computed)
    }

    var encodedFragments: [UInt8] { fragments.json.serializedBytes }
    var encodedComputed: [UInt8] { computed.serialized }
}
