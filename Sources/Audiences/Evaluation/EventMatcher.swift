import TesseraCore

/// An atom's name, filters and field with their paths split once, so that matching an event does
/// not split path text again for every event.
public struct EventMatcher: Sendable {
    /// One filter: which object it reads, the keys inside it, and its test.
    struct Filter: Sendable {
        var readsProperties: Bool
        var keys: [String]
        var test: ValueTest
    }

    let event: String
    let filters: [Filter]
    let field: (readsProperties: Bool, keys: [String])?

    /// Prepares the matcher of an atom.
    public init(_ atom: EventAtom) {
        event = atom.event
        filters = atom.filters.compactMap { filter in
            Self.split(filter.path).map {
                Filter(readsProperties: $0.readsProperties, keys: $0.keys, test: filter.test)
            }
        }
        field = atom.field.flatMap(Self.split)
        // A filter on a path that is neither `properties.` nor `context.` reads nothing and passes
        // nothing; keep that answer by refusing every event.
        unmatchable = filters.count != atom.filters.count
    }

    private let unmatchable: Bool

    /// Whether the event has the atom's name and passes every filter.
    public func matches(_ candidate: AudienceEvent) -> Bool {
        guard !unmatchable, candidate.name == event else { return false }
        for filter in filters {
            let root = filter.readsProperties ? candidate.properties : candidate.context
            guard filter.test.matches(Self.value(at: filter.keys, in: root)) else { return false }
        }
        return true
    }

    /// The number in the atom's field, if the event holds one there.
    public func number(in candidate: AudienceEvent) -> Double? {
        guard let field else { return nil }
        let root = field.readsProperties ? candidate.properties : candidate.context
        return Self.value(at: field.keys, in: root).flatMap(AudienceFacts.number(of:))
    }

    private static func split(_ path: String) -> (readsProperties: Bool, keys: [String])? {
        if path.hasPrefix("properties.") {
            return (true, path.dropFirst(11).split(separator: ".", omittingEmptySubsequences: false).map(String.init))
        }
        if path.hasPrefix("context.") {
            return (false, path.dropFirst(8).split(separator: ".", omittingEmptySubsequences: false).map(String.init))
        }
        return nil
    }

    private static func value(at keys: [String], in root: JSONValue) -> JSONValue? {
        var current = root
        for key in keys {
            guard let next = current[key] else { return nil }
            current = next
        }
        return current
    }
}
