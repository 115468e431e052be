public import TesseraCore

extension ComputedAttributes {
    /// Settings for deriving computed attributes.
    public struct Configuration: Sendable, Hashable {
        /// The currency of orders that name none. Default `USD`.
        public var defaultCurrency: String

        /// Segment track events that are completed orders. Default `Order Completed` (e-commerce
        /// spec v2) and `Completed Order` (v1).
        public var orderEvents: Set<String>

        /// Segment track events that are refunds. Default `Order Refunded` and `Refunded Order`.
        public var refundEvents: Set<String>

        /// The most distinct event names counted per profile. Default 200.
        public var maxEventNames: Int

        /// The longest event name counted, in UTF-8 bytes. Default 128.
        public var maxEventNameBytes: Int

        /// The most currencies observation adds per profile. Default 32.
        public var maxCurrencies: Int

        /// Creates a configuration; every argument defaults to the standard value.
        public init(
            defaultCurrency: String = "USD",
            orderEvents: Set<String> = ["Order Completed", "Completed Order"],
            refundEvents: Set<String> = ["Order Refunded", "Refunded Order"],
            maxEventNames: Int = 200, maxEventNameBytes: Int = 128, maxCurrencies: Int = 32
        ) {
            self.defaultCurrency = defaultCurrency
            self.orderEvents = orderEvents
            self.refundEvents = refundEvents
            self.maxEventNames = maxEventNames
            self.maxEventNameBytes = maxEventNameBytes
            self.maxCurrencies = maxCurrencies
        }

        /// The standard settings.
        public static let standard = Configuration()

        /// The configuration as JSON, in the form `init(json:)` reads; sets are sorted.
        public var json: JSONValue {
            [
                "defaultCurrency": .string(defaultCurrency),
                "orderEvents": .array(orderEvents.sorted().map { .string($0) }),
                "refundEvents": .array(refundEvents.sorted().map { .string($0) }),
                "maxEventNames": .int(Int64(maxEventNames)),
                "maxEventNameBytes": .int(Int64(maxEventNameBytes)),
                "maxCurrencies": .int(Int64(maxCurrencies)),
            ]
        }

        /// Reads a configuration; members left out keep their defaults.
        ///
        /// - Parameter json: an object with any of the members `json` writes.
        /// - Throws: `ProfilesError` for unknown members, wrong types, a currency that is not three
        ///   letters and limits below 1.
        public init(json: JSONValue) throws(ProfilesError) {
            guard case .object(let members) = json else {
                throw ProfilesError(field: "(root)", message: "must be an object")
            }
            let known: Set<String> = [
                "defaultCurrency", "orderEvents", "refundEvents", "maxEventNames", "maxEventNameBytes", "maxCurrencies",
            ]
            if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
                throw ProfilesError(field: unknown, message: "is not a computed-attributes setting")
            }
            self.init()
            if let value = members["defaultCurrency"] {
                guard let code = value.stringValue.flatMap(Money.Currency.normalised) else {
                    throw ProfilesError(field: "defaultCurrency", message: "must be a three-letter currency code")
                }
                defaultCurrency = code
            }
            if let value = members["orderEvents"] { orderEvents = try Self.names(value, field: "orderEvents") }
            if let value = members["refundEvents"] { refundEvents = try Self.names(value, field: "refundEvents") }
            if let value = members["maxEventNames"] { maxEventNames = try Self.limit(value, field: "maxEventNames") }
            if let value = members["maxEventNameBytes"] {
                maxEventNameBytes = try Self.limit(value, field: "maxEventNameBytes")
            }
            if let value = members["maxCurrencies"] { maxCurrencies = try Self.limit(value, field: "maxCurrencies") }
        }

        private static func names(_ value: JSONValue, field: String) throws(ProfilesError) -> Set<String> {
            guard let items = value.arrayValue else { throw ProfilesError(field: field, message: "must be an array") }
            var names: Set<String> = []
            for item in items {
                guard let name = item.stringValue, !name.isEmpty else {
                    throw ProfilesError(field: field, message: "must hold non-empty event names")
                }
                names.insert(name)
            }
            return names
        }

        private static func limit(_ value: JSONValue, field: String) throws(ProfilesError) -> Int {
            guard case .int(let number) = value, (1...1_000_000).contains(number) else {
                throw ProfilesError(field: field, message: "must be an integer from 1 to 1,000,000")
            }
            return Int(number)
        }
    }
}
