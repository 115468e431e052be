public import TesseraCore

/// What every source has said about one profile (or one B2B account): per path, each source's
/// latest value and its time.
///
/// Fragments keep every source's view side by side; a `MergePolicy` combines them into the unified
/// profile when it is read (`merged(using:sourceNames:)`). Within one source an older update never
/// overwrites a newer one, and of two updates with the same time the one applied later wins, so
/// replaying a profile's records in any order gives the same fragments except where times tie.
///
/// Bounds (`Limits`): at most `maxAttributes` distinct paths per profile, values of at most
/// `maxValueBytes` serialised bytes, paths of at most `maxPathBytes` bytes. Updates past a bound are
/// refused quietly, the rest of the record still applies, and each refusal is reported so the
/// caller can count it. A path already held is always updatable, even at the limit.
///
/// Paths that hold an object shape and a scalar at once (`address` and `address.city`) are kept as
/// given; merging decides which shape the unified profile shows.
public struct ProfileFragments: Sendable, Equatable {
    /// Bounds on what one profile's fragments hold.
    public struct Limits: Sendable, Hashable {
        /// The most distinct attribute paths, over all sources. Default 500.
        public var maxAttributes: Int

        /// The most bytes one value may take serialised as compact JSON. Default 4,096.
        public var maxValueBytes: Int

        /// The most UTF-8 bytes in one path. Default 256.
        public var maxPathBytes: Int

        /// Creates limits; every argument defaults to the standard value.
        public init(maxAttributes: Int = 500, maxValueBytes: Int = 4096, maxPathBytes: Int = 256) {
            self.maxAttributes = maxAttributes
            self.maxValueBytes = maxValueBytes
            self.maxPathBytes = maxPathBytes
        }

        /// 500 attributes, 4 KB values, 256-byte paths.
        public static let standard = Limits()
    }

    /// A value with the time a source gave it.
    public struct Stamped: Sendable, Hashable {
        /// The value.
        public var value: JSONValue

        /// When the source gave it.
        public var time: Timestamp

        /// Creates a stamped value.
        public init(value: JSONValue, time: Timestamp) {
            self.value = value
            self.time = time
        }
    }

    /// The bounds applied to new updates.
    public var limits: Limits

    /// Path → source → that source's latest value.
    private(set) var attributes: [String: [Int64: Stamped]] = [:]

    /// Creates empty fragments.
    public init(limits: Limits = .standard) {
        self.limits = limits
    }

    /// Loads fragments from stored entries.
    ///
    /// Limits are not applied to what is loaded, so nothing stored is lost when limits are lowered;
    /// they apply to later updates. When two entries share a source and path the newer wins.
    ///
    /// - Parameters:
    ///   - entries: rows as `entries` returned them.
    ///   - limits: the bounds for later updates.
    public init<Entries: Sequence>(entries: Entries, limits: Limits = .standard)
    where Entries.Element == FragmentEntry {
        self.limits = limits
        for entry in entries {
            let stamped = Stamped(value: entry.value, time: entry.time)
            if let held = attributes[entry.path]?[entry.source], held.time > entry.time { continue }
            attributes[entry.path, default: [:]][entry.source] = stamped
        }
    }

    /// Whether no source has said anything.
    public var isEmpty: Bool { attributes.isEmpty }

    /// The number of distinct paths, over all sources.
    public var attributeCount: Int { attributes.count }

    /// The sources that have said something.
    public var sources: Set<Int64> {
        var found: Set<Int64> = []
        for bySource in attributes.values { found.formUnion(bySource.keys) }
        return found
    }

    /// Every entry, sorted by path and then source, for persistence and display.
    ///
    /// - Complexity: O(n log n) in the number of entries.
    public var entries: [FragmentEntry] {
        var result: [FragmentEntry] = []
        for path in attributes.keys.sorted() {
            for (source, stamped) in attributes[path]!.sorted(by: { $0.key < $1.key }) {
                result.append(FragmentEntry(source: source, path: path, value: stamped.value, time: stamped.time))
            }
        }
        return result
    }

    /// What one source says: its latest value per path.
    public func fragment(from source: Int64) -> [String: Stamped] {
        var fragment: [String: Stamped] = [:]
        for (path, bySource) in attributes {
            if let stamped = bySource[source] { fragment[path] = stamped }
        }
        return fragment
    }

    /// Each source's value for one path.
    public func values(at path: String) -> [Int64: Stamped] {
        attributes[path] ?? [:]
    }

    /// Folds one record's updates from one source into the fragments.
    ///
    /// - Parameters:
    ///   - updates: the record's updates, in order; of two for the same path, the later applies last.
    ///   - source: the source that sent the record.
    /// - Returns: the updates that changed the fragments, at most one per path (its final state):
    ///   what the caller must persist for `source`. Updates older than what the source already said,
    ///   or equal to it, are left out, as are refused ones.
    /// - Complexity: O(u) for u updates, plus serialising large container values to check their size.
    @discardableResult
    public mutating func apply(_ updates: [AttributeUpdate], from source: Int64) -> [AttributeUpdate] {
        var refusals: [FragmentRefusal] = []
        return apply(updates, from: source, refusals: &refusals)
    }

    /// Folds one record's updates from one source into the fragments, reporting refused updates.
    ///
    /// - Parameters:
    ///   - updates: the record's updates, in order.
    ///   - source: the source that sent the record.
    ///   - refusals: receives one refusal per update refused for a limit.
    /// - Returns: the updates that changed the fragments, at most one per path.
    public mutating func apply(
        _ updates: [AttributeUpdate], from source: Int64, refusals: inout [FragmentRefusal]
    ) -> [AttributeUpdate] {
        var changed: [AttributeUpdate] = []
        var changedIndex: [String: Int] = [:]
        for update in updates {
            if let reason = refusal(of: update) {
                refusals.append(FragmentRefusal(path: update.path, reason: reason))
                continue
            }
            let held = attributes[update.path]?[source]
            if let held, held.time > update.time || held == Stamped(value: update.value, time: update.time) {
                continue
            }
            attributes[update.path, default: [:]][source] = Stamped(value: update.value, time: update.time)
            if let index = changedIndex[update.path] {
                changed[index] = update
            } else {
                changedIndex[update.path] = changed.count
                changed.append(update)
            }
        }
        return changed
    }

    /// Takes in the fragments of a profile merged into this one.
    ///
    /// Per source and path the newer value is kept; on equal times this profile's value stays. Paths
    /// new to this profile are taken in path order while `limits.maxAttributes` allows.
    ///
    /// - Parameter other: the other profile's fragments.
    /// - Returns: the other profile's entries that did not fit (`.tooManyAttributes`), one per path.
    /// - Complexity: O(m log m) for the m paths of `other`.
    @discardableResult
    public mutating func absorb(_ other: ProfileFragments) -> [FragmentRefusal] {
        var refusals: [FragmentRefusal] = []
        for path in other.attributes.keys.sorted() {
            let theirs = other.attributes[path]!
            guard var ours = attributes[path] else {
                if attributes.count >= limits.maxAttributes {
                    refusals.append(FragmentRefusal(path: path, reason: .tooManyAttributes))
                } else {
                    attributes[path] = theirs
                }
                continue
            }
            for (source, stamped) in theirs {
                if let held = ours[source], held.time >= stamped.time { continue }
                ours[source] = stamped
            }
            attributes[path] = ours
        }
        return refusals
    }

    /// Forgets everything one source said, for example when the source is deleted.
    ///
    /// - Returns: the paths that source held.
    @discardableResult
    public mutating func remove(source: Int64) -> [String] {
        var removed: [String] = []
        for path in attributes.keys.sorted() where attributes[path]![source] != nil {
            attributes[path]![source] = nil
            if attributes[path]!.isEmpty { attributes[path] = nil }
            removed.append(path)
        }
        return removed
    }

    /// Why `update` breaks a limit, or nil when it may apply.
    private func refusal(of update: AttributeUpdate) -> FragmentRefusal.Reason? {
        if update.path.utf8.count > limits.maxPathBytes { return .pathTooLong }
        if Self.serializedSize(of: update.value, atMost: limits.maxValueBytes) > limits.maxValueBytes {
            return .valueTooLarge
        }
        if attributes[update.path] == nil, attributes.count >= limits.maxAttributes { return .tooManyAttributes }
        return nil
    }

    /// The serialised size of `value`, exact for containers and an upper bound for strings.
    ///
    /// A string's size is its UTF-8 length plus quotes, bounded above by six bytes per byte for
    /// escapes; only when that bound could cross `limit` is the string actually serialised.
    static func serializedSize(of value: JSONValue, atMost limit: Int) -> Int {
        switch value {
        case .null, .bool, .int, .double:
            return 24
        case .string(let text):
            let length = text.utf8.count
            return length * 6 + 2 <= limit ? length + 2 : value.serializedBytes.count
        case .array, .object:
            return value.serializedBytes.count
        }
    }
}
