import JSONParsing

/// Amounts of money as exact integers of millionths of a currency unit, and how records state them.
enum Money {
    /// What a record says an order or refund is worth.
    enum Reading: Equatable {
        /// No amount at all: the order counts, no value is added.
        case absent
        /// Amount fields exist but none is a usable number.
        case invalidAmount
        /// The currency is not a three-letter code.
        case invalidCurrency
        /// An amount in millionths, and its upper-cased currency code.
        case amount(micros: Int64, currency: String)
    }

    /// The largest amount, in units, accepted from one field or one product line.
    static let maximumUnits = 1e12

    /// Millionths per unit.
    static let microsPerUnit = 1_000_000.0

    /// Millionths as units.
    static func units(_ micros: Int64) -> Double { Double(micros) / microsPerUnit }

    /// Units as millionths, or nil when not finite or beyond `maximumUnits`.
    static func micros(_ units: Double) -> Int64? {
        guard units.isFinite, abs(units) <= maximumUnits else { return nil }
        return Int64((units * microsPerUnit).rounded())
    }

    /// A stored total in units as millionths; totals may exceed `maximumUnits`, but not `Int64`.
    static func storedMicros(_ units: Double) -> Int64? {
        let micros = (units * microsPerUnit).rounded()
        guard micros.isFinite, micros >= -9.2e18, micros <= 9.2e18 else { return nil }
        return Int64(micros)
    }

    /// A sum that stops at the ends of the `Int64` range instead of trapping.
    static func add(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (sum, overflow) = lhs.addingReportingOverflow(rhs)
        guard overflow else { return sum }
        return rhs > 0 ? .max : .min
    }

    /// A number, or a string holding one (some libraries send `"22.50"`); nil for anything else.
    static func number(_ node: JSONNode) -> Double? {
        if let number = node.double { return number }
        return node.string.flatMap { Double($0) }
    }

    /// The first of several amount fields that holds a usable amount.
    ///
    /// - Returns: `.absent` when every field is missing or null, `.invalidAmount` when some field is
    ///   present but none usable, else the amount in `currency`.
    static func firstAmount(_ fields: [JSONNode?], currency: Currency) -> Reading {
        var sawField = false
        for case let field? in fields where !field.isNull {
            sawField = true
            if let micros = number(field).flatMap(micros) { return currency.reading(micros) }
        }
        return sawField ? .invalidAmount : .absent
    }

    /// The sum of `price × quantity` over product lines, or nil when no line has a usable price.
    ///
    /// Lines without a usable price are skipped; a missing quantity counts as 1.
    ///
    /// - Parameters:
    ///   - products: the array of product lines.
    ///   - price: the field holding a line's price.
    ///   - quantity: the field holding a line's quantity, or nil when the price is the line's total.
    ///   - member: how a line's field is looked up (plain, or XDM's two spellings).
    static func productTotal(
        _ products: JSONNode?, price: String, quantity: String?, member: (JSONNode, String) -> JSONNode?
    ) -> Int64? {
        guard let products else { return nil }
        var total: Int64 = 0
        var priced = false
        for product in products.elements {
            guard let unitPrice = member(product, price).flatMap(number) else { continue }
            let count = quantity.flatMap { member(product, $0) }.flatMap(number) ?? 1
            guard let line = micros(unitPrice * count) else { continue }
            let (sum, overflow) = total.addingReportingOverflow(line)
            guard !overflow else { return nil }
            total = sum
            priced = true
        }
        return priced ? total : nil
    }

    /// A currency as a record states it.
    enum Currency: Equatable {
        case code(String)
        case invalid

        /// The currency named by `node`, or `fallback` when the record names none.
        init(_ node: JSONNode?, fallback: String) {
            guard let node, !node.isNull else {
                self = .code(fallback)
                return
            }
            guard let text = node.string, let code = Currency.normalised(text) else {
                self = .invalid
                return
            }
            self = .code(code)
        }

        /// Three ASCII letters, upper-cased; nil for anything else.
        static func normalised(_ text: String) -> String? {
            let bytes = Array(text.utf8)
            guard bytes.count == 3 else { return nil }
            var upper: [UInt8] = []
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): upper.append(byte)
                case UInt8(ascii: "a")...UInt8(ascii: "z"): upper.append(byte - 32)
                default: return nil
                }
            }
            return String(decoding: upper, as: UTF8.self)
        }

        /// An amount in this currency.
        func reading(_ micros: Int64) -> Reading {
            switch self {
            case .code(let code): .amount(micros: micros, currency: code)
            case .invalid: .invalidCurrency
            }
        }
    }
}
