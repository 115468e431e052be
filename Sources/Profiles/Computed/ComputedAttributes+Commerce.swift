import JSONParsing
import TesseraCore

extension ComputedAttributes {
    /// Counts a Segment order or refund, when `name` is one.
    mutating func observeSegmentCommerce(_ name: String, record: JSONNode, time: Timestamp, refusals: inout Refusals) {
        let isOrder = configuration.orderEvents.contains(name)
        let isRefund = configuration.refundEvents.contains(name)
        guard isOrder || isRefund else { return }

        let properties = record.member("properties")
        let currency = Money.Currency(properties?.member("currency"), fallback: configuration.defaultCurrency)
        let fields = isOrder ? ["revenue", "total"] : ["total", "revenue"]
        var value = Money.firstAmount(fields.map { properties?[$0] }, currency: currency)
        if value == .absent || value == .invalidAmount,
            let total = Money.productTotal(
                properties?.member("products"), price: "price", quantity: "quantity", member: { $0[$1] })
        {
            value = currency.reading(total)
        }

        if isOrder {
            recordOrder(value, time: time, refusals: &refusals)
        } else {
            recordRefund(value, refusals: &refusals)
        }
    }

    /// Counts an XDM commerce order, when the ExperienceEvent is one.
    mutating func observeXDMCommerce(_ eventType: String?, record: JSONNode, time: Timestamp, refusals: inout Refusals)
    {
        let commerce = XDMKeys.member(record, "commerce")
        let purchases = commerce.flatMap { XDMKeys.member($0, "purchases") }
        let purchaseCount = purchases.flatMap { XDMKeys.member($0, "value") }.flatMap(Money.number) ?? 0
        guard purchaseCount > 0 || eventType == "commerce.purchases" else { return }

        let order = commerce.flatMap { XDMKeys.member($0, "order") }
        let items = XDMKeys.member(record, "productListItems")
        let currencyField =
            order.flatMap { XDMKeys.member($0, "currencyCode") }
            ?? items?[0].flatMap { XDMKeys.member($0, "currencyCode") }
        let currency = Money.Currency(currencyField, fallback: configuration.defaultCurrency)
        var value = Money.firstAmount([order.flatMap { XDMKeys.member($0, "priceTotal") }], currency: currency)
        if value == .absent || value == .invalidAmount,
            let total = Money.productTotal(items, price: "priceTotal", quantity: nil, member: XDMKeys.member)
        {
            value = currency.reading(total)
        }
        recordOrder(value, time: time, refusals: &refusals)
    }
}
