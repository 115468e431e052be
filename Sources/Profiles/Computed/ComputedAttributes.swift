public import JSONParsing
public import TesseraCore

/// Values derived from a profile's events, kept up to date one record at a time.
///
/// What `observe` does with each kind of record:
///
/// | kind | seen | counted as |
/// |---|---|---|
/// | `track` | yes | its event name (`Order Completed`) |
/// | `page`, `screen` | yes | `page`, `screen`: page titles and screen names are too many and too varied to count |
/// | `xdm.event` | yes | its `eventType` (`commerce.purchases`), or only in `eventCount` when it has none |
/// | `identify`, `group`, `alias` | yes | not an event |
/// | anything else (`xdm.profile`, B2B classes, imports) | no | nothing: these describe, they are not activity |
///
/// A track event named `page` shares the count of page views.
///
/// Orders: a Segment `track` whose event is one of `Configuration.orderEvents` adds one order, and
/// its value to the lifetime value in its currency: `properties.revenue`, else `properties.total`,
/// else the sum of `properties.products[].price × quantity` (quantity 1 when missing). An XDM
/// ExperienceEvent is an order when `commerce.purchases.value` > 0 or its `eventType` is
/// `commerce.purchases`; its value is `commerce.order.priceTotal`, else the sum of
/// `productListItems[].priceTotal`. Refunds (`Configuration.refundEvents`, Segment only) count apart
/// in `refundCount` and `refundedValue` from `total`, else `revenue`, else products; net value is
/// `lifetimeValue − refundedValue` per currency. Currencies are ISO-4217-shaped codes (three
/// letters, upper-cased): Segment `properties.currency`, XDM `commerce.order.currencyCode` (else the
/// first product's `currencyCode`), else `Configuration.defaultCurrency`. Orders are not
/// de-duplicated by order id: duplicates are the collection layer's to drop, by message id.
///
/// Amounts are held in millionths of the currency unit (`Int64`), so sums are exact and the same in
/// any order; a profile can hold up to about 9.2 trillion units per currency. JSON renders them as
/// numbers, which read back exactly up to about 4.5 billion units.
///
/// Replaying a profile's events through `observe` in any order gives the same state (first and
/// last seen are a minimum and a maximum, the rest are sums), with one exception: once
/// `maxEventNames` names are held, which names got a place depends on arrival order; events with
/// names that did not fit count in `otherEventCount`.
public struct ComputedAttributes: Sendable, Equatable {
    /// What `observe` refused to record, for the caller to count.
    public struct Refusals: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8

        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// An event name that did not fit (too many names, or too long); counted in `otherEventCount`.
        public static let eventNameNotKept = Refusals(rawValue: 1 << 0)
        /// An order or refund amount that was not a finite number within ±10¹²; the order still counts.
        public static let invalidAmount = Refusals(rawValue: 1 << 1)
        /// A currency that is not three letters; the order still counts, its value does not.
        public static let invalidCurrency = Refusals(rawValue: 1 << 2)
        /// A new currency past `maxCurrencies`, or a sum past the `Int64` range; the value is left out.
        public static let valueNotKept = Refusals(rawValue: 1 << 3)
    }

    /// The settings observation follows.
    public var configuration: Configuration

    /// The earliest event time seen.
    public internal(set) var firstSeen: Timestamp?

    /// The latest event time seen.
    public internal(set) var lastSeen: Timestamp?

    /// All events: track, page, screen and XDM ExperienceEvents, named or not.
    public internal(set) var eventCount: Int64 = 0

    /// Events per name (see the table above).
    public internal(set) var eventCounts: [String: Int64] = [:]

    /// Named events whose name did not fit in `eventCounts`.
    public internal(set) var otherEventCount: Int64 = 0

    /// Completed orders.
    public internal(set) var orderCount: Int64 = 0

    /// The earliest order time.
    public internal(set) var firstOrderAt: Timestamp?

    /// The latest order time.
    public internal(set) var lastOrderAt: Timestamp?

    /// Order value per currency code, in millionths of the unit.
    public internal(set) var lifetimeValueMicros: [String: Int64] = [:]

    /// Refunds.
    public internal(set) var refundCount: Int64 = 0

    /// Refunded value per currency code, in millionths of the unit.
    public internal(set) var refundedValueMicros: [String: Int64] = [:]

    /// Creates the state of a profile with no events.
    public init(configuration: Configuration = .standard) {
        self.configuration = configuration
    }

    /// Order value per currency code, in units (`22.5` for 22.50 USD).
    public var lifetimeValue: [String: Double] { lifetimeValueMicros.mapValues(Money.units) }

    /// Refunded value per currency code, in units.
    public var refundedValue: [String: Double] { refundedValueMicros.mapValues(Money.units) }

    /// Folds one record into the state.
    ///
    /// - Parameters:
    ///   - kind: the record's kind (`track`, `xdm.event`, …).
    ///   - eventName: the track event or XDM `eventType` as the collection layer read it; when nil,
    ///     it is read from the record (`event`, `eventType`).
    ///   - record: the normalised record.
    ///   - time: the record's event time.
    /// - Returns: what was refused, for metrics; empty when everything was recorded.
    @discardableResult
    public mutating func observe(kind: String, eventName: String?, record: JSONNode, time: Timestamp) -> Refusals {
        var refusals: Refusals = []
        switch kind {
        case "identify", "group", "alias":
            see(time)
        case "page", "screen":
            see(time)
            count(kind, refusals: &refusals)
        case "track":
            see(time)
            let name = eventName ?? record.member("event")?.string
            count(name, refusals: &refusals)
            if let name { observeSegmentCommerce(name, record: record, time: time, refusals: &refusals) }
        case "xdm.event":
            see(time)
            let name = eventName ?? XDMKeys.member(record, "eventType")?.string
            count(name, refusals: &refusals)
            observeXDMCommerce(name, record: record, time: time, refusals: &refusals)
        default:
            break
        }
        return refusals
    }

    /// The state of two profiles merged into one: counts and values add, first times take the
    /// minimum and last times the maximum.
    ///
    /// This state's configuration is kept. Event names past `maxEventNames` move into
    /// `otherEventCount` (this state's names first, then the other's in name order). Currencies are
    /// all kept, even past `maxCurrencies`, so that a merge never loses value. Sums saturate at the
    /// `Int64` range.
    public func merged(with other: ComputedAttributes) -> ComputedAttributes {
        var result = self
        result.firstSeen = Self.earlier(firstSeen, other.firstSeen)
        result.lastSeen = Self.later(lastSeen, other.lastSeen)
        result.eventCount = Money.add(eventCount, other.eventCount)
        result.otherEventCount = Money.add(otherEventCount, other.otherEventCount)
        for name in other.eventCounts.keys.sorted() {
            let count = other.eventCounts[name]!
            if let held = result.eventCounts[name] {
                result.eventCounts[name] = Money.add(held, count)
            } else if result.eventCounts.count < configuration.maxEventNames {
                result.eventCounts[name] = count
            } else {
                result.otherEventCount = Money.add(result.otherEventCount, count)
            }
        }
        result.orderCount = Money.add(orderCount, other.orderCount)
        result.firstOrderAt = Self.earlier(firstOrderAt, other.firstOrderAt)
        result.lastOrderAt = Self.later(lastOrderAt, other.lastOrderAt)
        result.lifetimeValueMicros.merge(other.lifetimeValueMicros, uniquingKeysWith: Money.add)
        result.refundCount = Money.add(refundCount, other.refundCount)
        result.refundedValueMicros.merge(other.refundedValueMicros, uniquingKeysWith: Money.add)
        return result
    }

    /// Widens first and last seen to include `time`.
    private mutating func see(_ time: Timestamp) {
        firstSeen = Self.earlier(firstSeen, time)
        lastSeen = Self.later(lastSeen, time)
    }

    /// Counts one event, under `name` when it has one that fits.
    private mutating func count(_ name: String?, refusals: inout Refusals) {
        eventCount = Money.add(eventCount, 1)
        guard let name, !name.isEmpty else { return }
        if let held = eventCounts[name] {
            eventCounts[name] = Money.add(held, 1)
        } else if eventCounts.count < configuration.maxEventNames, name.utf8.count <= configuration.maxEventNameBytes {
            eventCounts[name] = 1
        } else {
            otherEventCount = Money.add(otherEventCount, 1)
            refusals.insert(.eventNameNotKept)
        }
    }

    /// Counts one order at `time` and adds its value.
    mutating func recordOrder(_ value: Money.Reading, time: Timestamp, refusals: inout Refusals) {
        orderCount = Money.add(orderCount, 1)
        firstOrderAt = Self.earlier(firstOrderAt, time)
        lastOrderAt = Self.later(lastOrderAt, time)
        add(value, to: &lifetimeValueMicros, refusals: &refusals)
    }

    /// Counts one refund and adds its value.
    mutating func recordRefund(_ value: Money.Reading, refusals: inout Refusals) {
        refundCount = Money.add(refundCount, 1)
        add(value, to: &refundedValueMicros, refusals: &refusals)
    }

    /// Adds a read amount to a per-currency total, or records why it could not be.
    private func add(_ reading: Money.Reading, to totals: inout [String: Int64], refusals: inout Refusals) {
        switch reading {
        case .absent:
            return
        case .invalidAmount:
            refusals.insert(.invalidAmount)
        case .invalidCurrency:
            refusals.insert(.invalidCurrency)
        case .amount(let micros, let currency):
            let held = totals[currency]
            let (sum, overflow) = (held ?? 0).addingReportingOverflow(micros)
            guard !overflow, held != nil || totals.count < configuration.maxCurrencies else {
                refusals.insert(.valueNotKept)
                return
            }
            totals[currency] = sum
        }
    }

    static func earlier(_ lhs: Timestamp?, _ rhs: Timestamp?) -> Timestamp? {
        guard let lhs else { return rhs }
        guard let rhs else { return lhs }
        return min(lhs, rhs)
    }

    static func later(_ lhs: Timestamp?, _ rhs: Timestamp?) -> Timestamp? {
        guard let lhs else { return rhs }
        guard let rhs else { return lhs }
        return max(lhs, rhs)
    }
}
