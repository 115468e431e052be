extension DemoHistory {
    /// Turns one person's plan into Segment messages, writing the JSON directly as it goes.
    ///
    /// It follows the plan exactly (the tests hold it to the plan's message count) and only chooses
    /// content: which pages and products, how long each page is read, what orders cost. Time only moves
    /// forward, so each person's messages come out in chronological order, and never past `now`.
    struct PersonRenderer {
        let person: Person
        let ids: Identifiers
        let catalog: Catalog
        /// The caller's `now`: no timestamp goes past it.
        let end: Int64
        var builder = MessageBuilder()
        var draws: Random
        var output: [[UInt8]] = []
        var clock: Int64
        var sequence = 0
        /// When the account was created, once known (for `createdAt` traits).
        var createdAt: Int64?
        var orderCount = 0
        var page = PageView.blank
        /// When the reader leaves the current page.
        var pageEnds: Int64 = 0
        /// The campaign in the current page's address, only on a visit's landing page.
        var pageCampaign: Campaign?
        /// The current page's `path`, `referrer`, `search`, `title` and `url`, encoded once per page.
        var pageFields: [UInt8] = []
        /// Each browser's fixed `context` members (user agent, address, locale, time zone).
        let browserFields: [[UInt8]]
        /// The fixed `context` members of the browser in use.
        var browserContext: [UInt8] = []
        /// The app's fixed `context` members (library, app, device, OS, screen, locale, time zone).
        let appFields: [UInt8]

        init(plan: PersonPlan, planner: Planner) {
            person = plan.person
            ids = planner.ids
            catalog = planner.catalog
            end = planner.windowEnd
            draws = planner.ids.random(.render, plan.person.index)
            clock = planner.windowStart
            output.reserveCapacity(plan.messageCount)
            if case .existing(let created) = plan.person.registration { createdAt = created }
            let person = plan.person
            browserFields = person.browsers.map { browser in
                MessageBuilder.encodeMembers { builder in
                    builder.string("userAgent", browser.userAgent)
                    builder.string("ip", browser.ip)
                    builder.string("locale", person.market.locale)
                    builder.string("timezone", person.timezone)
                }
            }
            appFields = person.app.map { PersonRenderer.encodeAppFields($0, person: person) } ?? []
        }

        /// The messages of the whole plan, in time order.
        mutating func render(_ plan: PersonPlan) -> [[UInt8]] {
            for episode in plan.episodes {
                clock = max(clock, episode.start)
                switch episode.activity {
                case .web(let visit): renderWeb(visit)
                case .app(let visit): renderApp(visit)
                case .push(let notice): renderPush(notice)
                case .store(let visit): renderStore(visit)
                case .contact(let sync): renderContact(sync)
                }
            }
            return output
        }

        // MARK: Envelope

        /// Starts a message with the fields every type has.
        mutating func open(_ type: String, userID: String?, anonymousID: String?, channel: String) {
            builder.begin()
            builder.string("type", type)
            builder.uuid(
                "messageId", ids.unique(.message, person.index, sequence), ids.extra(.message, person.index, sequence))
            sequence += 1
            builder.timestamp("timestamp", milliseconds: min(clock, end))
            if let userID { builder.string("userId", userID) }
            if let anonymousID { builder.string("anonymousId", anonymousID) }
            builder.string("channel", channel)
        }

        /// Ends the message and keeps its bytes.
        mutating func close() {
            output.append(builder.finish())
        }

        mutating func library(_ name: String, _ version: String) {
            builder.beginObject("library")
            builder.string("name", name)
            builder.string("version", version)
            builder.endObject()
        }

        /// Moves time forward by a short pause between two things on one screen.
        mutating func pause() {
            clock += Int64(draws.between(150, 1_500))
        }

        // MARK: Commerce

        /// Products and quantities in a cart or an order.
        typealias Line = (product: Int, quantity: Int)

        /// A product from one of the person's favourite categories most of the time.
        mutating func chooseProduct() -> Int {
            guard draws.chance(0.7) else { return draws.below(catalog.products.count) }
            let category = draws.pick(person.favouriteCategories)
            let perCategory = catalog.products.count / catalog.categories.count
            return category * perCategory + draws.below(perCategory)
        }

        mutating func chooseLines(count: Int) -> [Line] {
            (0..<count).map { _ in (chooseProduct(), draws.weighted([0, 75, 18, 7])) }
        }

        /// The fields of one product in e-commerce v2 shape.
        mutating func productFields(_ index: Int, quantity: Int? = nil) {
            builder.members(catalog.products[index].fields)
            if let quantity { builder.int("quantity", quantity) }
        }

        mutating func products(_ lines: [Line]) {
            builder.beginArray("products")
            for line in lines {
                builder.beginElement()
                productFields(line.product, quantity: line.quantity)
                builder.endObject()
            }
            builder.endArray()
        }

        /// Writes an order's amounts (e-commerce v2): revenue excludes shipping and tax, total includes
        /// them; UK prices include 20% VAT, US tax is added at 8%.
        mutating func amounts(_ lines: [Line], shipping: Bool) {
            let subtotal = lines.reduce(0) { $0 + catalog.products[$1.product].priceCents * $1.quantity }
            let coupon = draws.chance(0.2)
            let discount = coupon ? subtotal / 10 : 0
            let net = subtotal - discount
            let postage = shipping && net < 5_000 ? 495 : 0
            let tax = person.market == .unitedStates ? net * 8 / 100 : net / 6
            let total = net + postage + (person.market == .unitedStates ? tax : 0)
            builder.money("total", cents: total)
            builder.money("subtotal", cents: subtotal)
            builder.money("revenue", cents: net)
            if shipping { builder.money("shipping", cents: postage) }
            builder.money("tax", cents: tax)
            builder.money("discount", cents: discount)
            if coupon { builder.string("coupon", "SAVE10") }
            builder.string("currency", person.market.currency)
        }

        /// A new order id, unique across the whole history.
        mutating func nextOrderID(prefix: String) -> String {
            orderCount += 1
            return ids.hex(.order, person.index, orderCount, prefix: prefix)
        }
    }
}
