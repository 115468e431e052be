import JSONParsing
import Profiles
import TesseraCore
import Testing

@Suite struct ComputedAttributesTests {
    let orderCompleted = "segment/segment-docs/ecommerce-v2__order-completed.json"

    /// A state after observing `records`, each a kind, an event name, a record and a time offset.
    func observed(
        _ records: [(String, String?, JSONNode, Int64)], configuration: ComputedAttributes.Configuration = .standard
    ) -> ComputedAttributes {
        var state = ComputedAttributes(configuration: configuration)
        for (kind, name, record, time) in records {
            state.observe(kind: kind, eventName: name, record: record, time: at(time))
        }
        return state
    }

    @Test("events are counted by name: track by event, page and screen views by kind")
    func counts() throws {
        let empty = try node("{}")
        let state = observed([
            ("track", "Signed Up", empty, 1), ("track", "Signed Up", empty, 2), ("page", "Home", empty, 3),
            ("page", nil, empty, 4), ("screen", "Home", empty, 5), ("identify", nil, empty, 6),
            ("xdm.event", "web.webpagedetails.pageViews", empty, 7), ("xdm.event", nil, empty, 8),
        ])
        #expect(
            state.eventCounts == ["Signed Up": 2, "page": 2, "screen": 1, "web.webpagedetails.pageViews": 1])
        #expect(state.eventCount == 7)
        #expect(state.firstSeen == at(1))
        #expect(state.lastSeen == at(8))
    }

    @Test("event names are read from the record when the caller passes none")
    func namesFromRecord() throws {
        let track = try fixture("segment/segment-docs/track__sending-traits-in-a-track-call-destination-actions.json")
        let event = try fixture("xdm/components/classes/experienceevent.example.7.json")
        let state = observed([("track", nil, track, 1), ("xdm.event", nil, event, 2)])
        #expect(state.eventCounts == ["Button Clicked": 1, "pushTracking.customAction": 1])
    }

    @Test("first and last seen hold the earliest and latest event time, whatever the arrival order")
    func outOfOrder() throws {
        let empty = try node("{}")
        let state = observed([
            ("track", "A", empty, 50), ("track", "A", empty, 10), ("alias", nil, empty, 90), ("page", nil, empty, 30),
        ])
        #expect(state.firstSeen == at(10))
        #expect(state.lastSeen == at(90))
    }

    @Test("profile records, imports and B2B records are not activity")
    func notActivity() throws {
        let profile = try fixture("xdm/components/classes/profile.example.1.json")
        let state = observed([
            ("xdm.profile", nil, profile, 1), ("import", nil, profile, 2), ("xdm.account", nil, profile, 3),
        ])
        #expect(state == ComputedAttributes())
    }

    @Test(
        "a Segment order is worth its revenue, else its total, else the sum of its products",
        arguments: [
            ([String](), 22.5),  // the documented example: revenue 22.5 (total 27.5, products 25)
            (["revenue"], 27.5),
            (["revenue", "total"], 25.0),
        ])
    func segmentOrderValue(removing fields: [String], expected: Double) throws {
        var order = try fixtureValue(orderCompleted)
        for field in fields { order = order.setting(["properties", field], to: nil) }
        let state = observed([("track", "Order Completed", try node(order), 1)])
        #expect(state.orderCount == 1)
        #expect(state.lifetimeValue == ["USD": expected])
        #expect(state.eventCounts == ["Order Completed": 1])
        #expect(state.firstOrderAt == at(1))
    }

    @Test("the e-commerce v1 example counts its revenue")
    func segmentV1Order() throws {
        let record = try fixture("segment/segment-docs/ecommerce-v1__completing-an-order.json")
        let state = observed([("track", nil, record, 1)])
        #expect(state.lifetimeValue == ["USD": 25])
    }

    @Test("lifetime value is kept per currency, with the configured default for orders naming none")
    func currencies() throws {
        let orders = [
            try node(#"{"properties":{"revenue":10,"currency":"eur"}}"#),
            try node(#"{"properties":{"revenue":"2.50","currency":"EUR"}}"#),
            try node(#"{"properties":{"total":7}}"#),
            try node(#"{"properties":{"revenue":0.1,"currency":"NOK"}}"#),
            try node(#"{"properties":{"revenue":0.2,"currency":"NOK"}}"#),
        ]
        let configuration = ComputedAttributes.Configuration(defaultCurrency: "GBP")
        let state = observed(
            orders.enumerated().map { ("track", "Order Completed", $1, Int64($0)) }, configuration: configuration)
        #expect(state.lifetimeValue == ["EUR": 12.5, "GBP": 7, "NOK": 0.3])
        #expect(state.lifetimeValueMicros["NOK"] == 300_000)
        #expect(state.orderCount == 5)
        #expect(state.firstOrderAt == at(0))
        #expect(state.lastOrderAt == at(4))
    }

    @Test(
        "orders with unusable amounts or currencies still count, and the refusal is reported",
        arguments: [
            (#"{"properties":{"revenue":"lots"}}"#, ComputedAttributes.Refusals.invalidAmount),
            (#"{"properties":{"revenue":1e300}}"#, .invalidAmount),
            (#"{"properties":{"revenue":5,"currency":"dollars"}}"#, .invalidCurrency),
            (#"{"properties":{}}"#, []),
        ] as [(String, ComputedAttributes.Refusals)])
    func unusableOrders(record: String, refusals: ComputedAttributes.Refusals) throws {
        var state = ComputedAttributes()
        #expect(
            state.observe(kind: "track", eventName: "Order Completed", record: try node(record), time: at(0))
                == refusals)
        #expect(state.orderCount == 1)
        #expect(state.lifetimeValueMicros.isEmpty)
    }

    @Test("the state's bytes are those of its JSON value, empty or full, with keys needing escapes")
    func serialized() throws {
        let empty = ComputedAttributes()
        #expect(empty.serialized == empty.json.serializedBytes)

        let orders = [
            try node(#"{"properties":{"revenue":10.25,"currency":"eur"}}"#),
            try node(#"{"properties":{"revenue":"2.50","currency":"USD"}}"#),
            try node(#"{"properties":{"total":7}}"#),
        ]
        var records = orders.enumerated().map { ("track", Optional("Order Completed"), $1, Int64($0)) }
        records.append(("track", "Say \"hi\"\n", try node("{}"), 5))
        records.append(("page", "Home", try node("{}"), 9))
        records.append(("track", nil, try fixture("segment/segment-docs/ecommerce-v2__order-refunded.json"), 7))
        let full = observed(records)
        #expect(full.refundCount == 1)
        #expect(full.serialized == full.json.serializedBytes)
        #expect(try ComputedAttributes(json: JSONValue(parsing: full.serialized)) == full)
    }

    @Test("a refund counts apart, worth its total")
    func refunds() throws {
        let record = try fixture("segment/segment-docs/ecommerce-v2__order-refunded.json")
        let state = observed([("track", nil, record, 1)])
        #expect(state.refundCount == 1)
        #expect(state.refundedValue == ["USD": 30])
        #expect(state.orderCount == 0)
        #expect(state.lifetimeValue.isEmpty)
    }

    @Test(
        "an XDM purchase is worth its order's priceTotal",
        arguments: [
            "xdm/components/classes/experienceevent.example.1.json",
            "xdm/components/fieldgroups/experience-event/experienceevent-commerce.example.1.json",
            "xdm/components/fieldgroups/shared/experienceevent-consumer.example.1.json",
        ])
    func xdmOrder(path: String) throws {
        let state = observed([("xdm.event", nil, try fixture(path), 1)])
        #expect(state.orderCount == 1)
        #expect(state.lifetimeValue == ["USD": 159])
    }

    @Test("XDM orders are recognised by event type or purchases, in plain or prefixed keys")
    func xdmOrderShapes() throws {
        let byType = try node(
            #"{"eventType":"commerce.purchases","commerce":{"order":{"priceTotal":40,"currencyCode":"EUR"}}}"#)
        let byItems = try node(
            """
            {"xdm:commerce":{"xdm:purchases":{"xdm:value":1}},
             "xdm:productListItems":[{"xdm:priceTotal":5,"xdm:currencyCode":"SEK"},{"xdm:priceTotal":7}]}
            """)
        let notOrder = try node(
            #"{"eventType":"commerce.productViews","commerce":{"productViews":{"value":1},"purchases":{"value":0}}}"#)
        let state = observed([
            ("xdm.event", nil, byType, 1), ("xdm.event", nil, byItems, 2), ("xdm.event", nil, notOrder, 3),
        ])
        #expect(state.orderCount == 2)
        #expect(state.lifetimeValue == ["EUR": 40, "SEK": 12])
        #expect(state.eventCounts == ["commerce.purchases": 1, "commerce.productViews": 1])
        #expect(state.eventCount == 3)
    }

    @Test("past the event-name limit new names count as other events and are reported")
    func eventNameLimit() throws {
        var state = ComputedAttributes(configuration: .init(maxEventNames: 2, maxEventNameBytes: 8))
        let empty = try node("{}")
        #expect(state.observe(kind: "track", eventName: "A", record: empty, time: at(0)).isEmpty)
        #expect(
            state.observe(kind: "track", eventName: "a very long name", record: empty, time: at(0)) == .eventNameNotKept
        )
        #expect(state.observe(kind: "track", eventName: "B", record: empty, time: at(0)).isEmpty)
        #expect(state.observe(kind: "track", eventName: "C", record: empty, time: at(0)) == .eventNameNotKept)
        #expect(state.observe(kind: "track", eventName: "A", record: empty, time: at(0)).isEmpty)
        #expect(state.eventCounts == ["A": 2, "B": 1])
        #expect(state.otherEventCount == 2)
        #expect(state.eventCount == 5)
    }

    @Test("past the currency limit new currencies are refused; known ones still add")
    func currencyLimit() throws {
        var state = ComputedAttributes(configuration: .init(maxCurrencies: 1))
        let usd = try node(#"{"properties":{"revenue":1,"currency":"USD"}}"#)
        let eur = try node(#"{"properties":{"revenue":1,"currency":"EUR"}}"#)
        state.observe(kind: "track", eventName: "Order Completed", record: usd, time: at(0))
        #expect(state.observe(kind: "track", eventName: "Order Completed", record: eur, time: at(0)) == .valueNotKept)
        state.observe(kind: "track", eventName: "Order Completed", record: usd, time: at(0))
        #expect(state.lifetimeValue == ["USD": 2])
        #expect(state.orderCount == 3)
    }

    @Test("replaying the same events in another order gives the same state")
    func orderIndependent() throws {
        let records: [(String, String?, JSONNode, Int64)] = [
            ("track", nil, try fixture(orderCompleted), 40),
            ("page", "Home", try fixture("segment/segment-docs/page__example.json"), 5),
            ("xdm.event", nil, try fixture("xdm/components/classes/experienceevent.example.1.json"), 70),
            ("track", "Order Completed", try node(#"{"properties":{"revenue":0.1}}"#), 10),
            ("track", "Order Completed", try node(#"{"properties":{"revenue":0.2}}"#), 60),
            ("identify", nil, try fixture("segment/segment-docs/identify__example.json"), 1),
            ("track", nil, try fixture("segment/segment-docs/ecommerce-v2__order-refunded.json"), 80),
        ]
        let forward = observed(records)
        #expect(observed(records.reversed()) == forward)
        #expect(observed(Array(records[3...] + records[..<3])) == forward)
        #expect(forward.lifetimeValueMicros == ["USD": 181_800_000])
        #expect(forward.orderCount == 4)
    }

    @Test("merging two profiles adds counts and values and widens the times")
    func merging() throws {
        let empty = try node("{}")
        let usd = try node(#"{"properties":{"revenue":10}}"#)
        let eur = try node(#"{"properties":{"revenue":3,"currency":"EUR"}}"#)
        let left = observed([("track", "Order Completed", usd, 20), ("page", nil, empty, 50)])
        let right = observed([
            ("track", "Order Completed", usd, 5), ("track", "Order Completed", eur, 30),
            ("track", "Signed Up", empty, 90),
        ])
        let merged = left.merged(with: right)
        #expect(merged.eventCounts == ["Order Completed": 3, "page": 1, "Signed Up": 1])
        #expect(merged.eventCount == 5)
        #expect(merged.orderCount == 3)
        #expect(merged.lifetimeValue == ["USD": 20, "EUR": 3])
        #expect(merged.firstSeen == at(5))
        #expect(merged.lastSeen == at(90))
        #expect(merged.firstOrderAt == at(5))
        #expect(merged.lastOrderAt == at(30))
        #expect(merged == right.merged(with: left))

        let all: [(String, String?, JSONNode, Int64)] = [
            ("track", "Order Completed", usd, 20), ("page", nil, empty, 50), ("track", "Order Completed", usd, 5),
            ("track", "Order Completed", eur, 30), ("track", "Signed Up", empty, 90),
        ]
        #expect(merged == observed(all))
        #expect(merged.merged(with: ComputedAttributes()) == merged)
    }

    @Test("merging past the event-name limit moves the extra names into other events")
    func mergingLimit() throws {
        let empty = try node("{}")
        let configuration = ComputedAttributes.Configuration(maxEventNames: 2)
        let left = observed([("track", "A", empty, 1), ("track", "B", empty, 1)], configuration: configuration)
        let right = observed([("track", "C", empty, 1), ("track", "C", empty, 1), ("track", "A", empty, 1)])
        let merged = left.merged(with: right)
        #expect(merged.eventCounts == ["A": 2, "B": 1])
        #expect(merged.otherEventCount == 2)
        #expect(merged.eventCount == 5)
    }

    @Test("the state survives a JSON round trip")
    func jsonRoundTrip() throws {
        let state = observed([
            ("track", nil, try fixture(orderCompleted), 40),
            ("track", "Order Completed", try node(#"{"properties":{"revenue":0.1,"currency":"NOK"}}"#), 10),
            ("xdm.event", nil, try fixture("xdm/components/classes/experienceevent.example.1.json"), 70),
            ("track", nil, try fixture("segment/segment-docs/ecommerce-v2__order-refunded.json"), 80),
            ("page", nil, try node("{}"), 3),
        ])
        let json = state.json
        #expect(json["lifetimeValue"] == ["USD": 181.5, "NOK": 0.1])
        #expect(json["firstSeen"] == .string(at(3).iso8601))
        let reparsed = try JSONValue(parsing: json.serializedBytes)
        #expect(try ComputedAttributes(json: reparsed) == state)
        #expect(try ComputedAttributes(json: ComputedAttributes().json) == ComputedAttributes())
        #expect(try ComputedAttributes(json: [:]) == ComputedAttributes())
    }

    @Test(
        "malformed stored states are refused with the field at fault",
        arguments: [
            (JSONValue.array([]), "(root)"), (["firstSeen": "yesterday"], "firstSeen"),
            (["orderCount": -1], "orderCount"),
            (["eventCounts": ["a": "x"]], "eventCounts"), (["lifetimeValue": ["USD": "1"]], "lifetimeValue"),
        ] as [(JSONValue, String)])
    func malformedState(json: JSONValue, field: String) {
        #expect {
            try ComputedAttributes(json: json)
        } throws: { error in
            (error as? ProfilesError)?.field == field
        }
    }

    @Test("the configuration is read from JSON, members left out keeping their defaults")
    func configurationJSON() throws {
        let configuration = try ComputedAttributes.Configuration(
            json: ["defaultCurrency": "eur", "orderEvents": ["Purchase"], "maxEventNames": 50])
        #expect(configuration.defaultCurrency == "EUR")
        #expect(configuration.orderEvents == ["Purchase"])
        #expect(configuration.maxEventNames == 50)
        #expect(configuration.refundEvents == ComputedAttributes.Configuration.standard.refundEvents)
        #expect(try ComputedAttributes.Configuration(json: configuration.json) == configuration)

        #expect(throws: ProfilesError.self) { try ComputedAttributes.Configuration(json: ["defaultCurrency": "euro"]) }
        #expect(throws: ProfilesError.self) { try ComputedAttributes.Configuration(json: ["maxCurrencies": 0]) }
        #expect(throws: ProfilesError.self) { try ComputedAttributes.Configuration(json: ["currency": "USD"]) }
    }
}
