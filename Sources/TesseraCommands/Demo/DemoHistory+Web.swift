extension DemoHistory {
    /// A page of the web shop as `context.page` and `page` properties describe it.
    struct PageView: Sendable {
        var name: String
        var path: String
        var url: String
        var title: String
        var referrer: String
        var search: String

        static let blank = PageView(name: "", path: "", url: "", title: "", referrer: "", search: "")
    }
}

extension DemoHistory.PersonRenderer {
    /// A browsing session: pages, product views, maybe a login, a cart, a checkout and an order.
    mutating func renderWeb(_ visit: DemoHistory.WebVisit) {
        let browser = person.browsers[visit.browser]
        browserContext = browserFields[visit.browser]
        var userID = visit.identified ? person.userID : nil
        var joined = false
        var viewed: [Int] = []
        let campaign = visit.campaign.map { catalog.campaigns[$0] }

        showLanding(campaign: campaign, referrer: DemoHistory.Catalog.externalReferrers[visit.referrer])
        writePage(browser, userID: userID)
        if visit.login == .signIn {
            signIn(browser)
            userID = person.userID
        }
        if visit.joinsAccount, userID != nil {
            joinAccount(browser)
            joined = true
        }

        var browsePages = visit.browsePages - 1
        var productPages = visit.productPages
        while browsePages + productPages > 0 {
            turnPage()
            if draws.below(browsePages + productPages) < productPages {
                let product = chooseProduct()
                viewed.append(product)
                showProduct(product)
                writePage(browser, userID: userID)
                pause()
                productEvent("Product Viewed", product, browser, userID: userID)
                productPages -= 1
            } else {
                showBrowsePage()
                writePage(browser, userID: userID)
                browsePages -= 1
            }
        }

        if case .signUp(let alias) = visit.login {
            pause()
            signUp(browser, alias: alias)
            userID = person.userID
        }
        if visit.joinsAccount, !joined {
            pause()
            joinAccount(browser)
        }

        guard visit.addsToCart, let last = viewed.last else { return }
        shop(visit, browser: browser, userID: userID, viewed: viewed, last: last)
    }

    /// The end of a visit: add to cart, view the cart, check out, order.
    private mutating func shop(
        _ visit: DemoHistory.WebVisit, browser: DemoHistory.Browser, userID: String?, viewed: [Int], last: Int
    ) {
        pause()
        let cartID = ids.hex(.cart, person.index, sequence, prefix: "cart_")
        open("track", userID: userID, anonymousID: browser.anonymousID, channel: "browser")
        builder.string("event", "Product Added")
        builder.beginObject("properties")
        builder.string("cart_id", cartID)
        productFields(last, quantity: 1)
        builder.endObject()
        webContext()
        close()
        turnPage()
        show(name: "Cart", path: "/cart", title: "Your cart")
        writePage(browser, userID: userID)
        guard visit.startsCheckout else { return }
        var lines: [Line] = [(last, draws.weighted([0, 80, 15, 5]))]
        for product in viewed.dropLast() where draws.chance(0.3) && !lines.contains(where: { $0.product == product }) {
            lines.append((product, 1))
        }
        turnPage()
        show(name: "Checkout", path: "/checkout", title: "Checkout")
        writePage(browser, userID: userID)
        pause()
        open("track", userID: userID, anonymousID: browser.anonymousID, channel: "browser")
        builder.string("event", "Checkout Started")
        builder.beginObject("properties")
        builder.string("checkout_id", cartID)
        builder.money("value", cents: lines.reduce(0) { $0 + catalog.products[$1.product].priceCents * $1.quantity })
        builder.string("currency", person.market.currency)
        products(lines)
        builder.endObject()
        webContext()
        close()
        guard visit.completesOrder else { return }
        complete(visit, browser: browser, userID: userID, cartID: cartID, lines: lines)
    }

    private mutating func complete(
        _ visit: DemoHistory.WebVisit, browser: DemoHistory.Browser, userID: String?, cartID: String, lines: [Line]
    ) {
        if visit.guestIdentify {
            clock += Int64(draws.between(20_000, 90_000))
            open("identify", userID: nil, anonymousID: browser.anonymousID, channel: "browser")
            builder.beginObject("traits")
            builder.string("email", person.email)
            builder.string("firstName", person.firstName)
            builder.string("lastName", person.lastName)
            builder.endObject()
            webContext()
            close()
        }
        clock += Int64(draws.between(30_000, 180_000))
        open("track", userID: userID, anonymousID: browser.anonymousID, channel: "browser")
        builder.string("event", "Order Completed")
        builder.beginObject("properties")
        builder.string("checkout_id", cartID)
        builder.string("order_id", nextOrderID(prefix: "web_"))
        builder.string("affiliation", "Example Outfitters Online")
        amounts(lines, shipping: true)
        products(lines)
        builder.endObject()
        webContext()
        close()
        turnPage()
        show(name: "Order Confirmation", path: "/checkout/complete", title: "Thank you for your order")
        writePage(browser, userID: userID)
    }

    /// `identify` then `Signed In`: the browser's cookie now belongs to the user.
    private mutating func signIn(_ browser: DemoHistory.Browser) {
        clock += Int64(draws.between(5_000, 40_000))
        open("identify", userID: person.userID, anonymousID: browser.anonymousID, channel: "browser")
        builder.beginObject("traits")
        builder.string("email", person.email)
        builder.string("firstName", person.firstName)
        builder.string("lastName", person.lastName)
        if let createdAt { builder.timestamp("createdAt", milliseconds: createdAt) }
        builder.string("plan", person.plan)
        builder.endObject()
        webContext()
        close()
        pause()
        open("track", userID: person.userID, anonymousID: browser.anonymousID, channel: "browser")
        builder.string("event", "Signed In")
        builder.beginObject("properties")
        builder.string("method", draws.chance(0.8) ? "password" : "magic_link")
        builder.endObject()
        webContext()
        close()
    }

    /// `identify` with the full sign-up traits, `Signed Up`, and for some an `alias` from the cookie.
    private mutating func signUp(_ browser: DemoHistory.Browser, alias: Bool) {
        createdAt = min(clock, end)
        open("identify", userID: person.userID, anonymousID: browser.anonymousID, channel: "browser")
        builder.beginObject("traits")
        builder.string("email", person.email)
        builder.string("firstName", person.firstName)
        builder.string("lastName", person.lastName)
        if let phone = person.phone { builder.string("phone", phone.e164) }
        builder.timestamp("createdAt", milliseconds: createdAt!)
        builder.string("plan", person.plan)
        builder.endObject()
        webContext()
        close()
        pause()
        open("track", userID: person.userID, anonymousID: browser.anonymousID, channel: "browser")
        builder.string("event", "Signed Up")
        builder.beginObject("properties")
        builder.string("method", "email")
        builder.endObject()
        webContext()
        close()
        guard alias else { return }
        pause()
        open("alias", userID: person.userID, anonymousID: nil, channel: "browser")
        builder.string("previousId", browser.anonymousID)
        webContext()
        close()
    }

    /// A `group` call tying the user to their company's account.
    private mutating func joinAccount(_ browser: DemoHistory.Browser) {
        guard let account = person.accountIndex else { return }
        var facts = ids.random(.account, account)
        let prefix = facts.pick(DemoHistory.Catalog.accountPrefixes)
        let kind = facts.pick(DemoHistory.Catalog.accountKinds)
        let slug = (prefix + "-" + kind.suffix).lowercased().split(separator: " ").joined(separator: "-")
        pause()
        open("group", userID: person.userID, anonymousID: browser.anonymousID, channel: "browser")
        builder.string("groupId", ids.hex(.account, account, prefix: "acct_"))
        builder.beginObject("traits")
        builder.string("name", "\(prefix) \(kind.suffix)")
        builder.string("industry", kind.industry)
        builder.int("employees", [8, 40, 120, 450, 2_300, 12_000][facts.below(6)] + facts.below(40))
        builder.string("plan", ["starter", "business", "enterprise"][facts.weighted([50, 35, 15])])
        builder.string("website", "https://\(slug).example.com")
        builder.endObject()
        webContext()
        close()
    }

    private mutating func productEvent(
        _ event: String, _ product: Int, _ browser: DemoHistory.Browser, userID: String?
    ) {
        open("track", userID: userID, anonymousID: browser.anonymousID, channel: "browser")
        builder.string("event", event)
        builder.beginObject("properties")
        productFields(product)
        builder.string("currency", person.market.currency)
        builder.endObject()
        webContext()
        close()
    }

    // MARK: Pages

    /// A `page` call for the current page, reading time included.
    private mutating func writePage(_ browser: DemoHistory.Browser, userID: String?) {
        let seconds = readingSeconds()
        pageEnds = clock + Int64(seconds) * 1_000 + Int64(draws.below(1_000))
        open("page", userID: userID, anonymousID: browser.anonymousID, channel: "browser")
        pageFields = DemoHistory.MessageBuilder.encodeMembers { builder in
            builder.string("path", page.path)
            builder.string("referrer", page.referrer)
            builder.string("search", page.search)
            builder.string("title", page.title)
            builder.string("url", page.url)
        }
        builder.string("name", page.name)
        builder.beginObject("properties")
        builder.members(pageFields)
        builder.int("timeOnPage", seconds)
        builder.endObject()
        webContext()
        close()
    }

    /// What analytics.js sends with every call: the page, the browser, the network and the campaign.
    private mutating func webContext() {
        builder.beginObject("context")
        library("analytics.js", "2.11.1")
        builder.object("page", members: pageFields)
        builder.members(browserContext)
        if let campaign = pageCampaign {
            builder.beginObject("campaign")
            builder.string("name", campaign.name)
            builder.string("source", campaign.source)
            builder.string("medium", campaign.medium)
            if let term = campaign.term { builder.string("term", term) }
            builder.string("content", campaign.content)
            builder.endObject()
        }
        builder.endObject()
    }

    /// Seconds spent on a page: mostly a glance, sometimes a read, now and then a long stay.
    private mutating func readingSeconds() -> Int {
        switch draws.weighted([50, 35, 15]) {
        case 0: return draws.between(4, 30)
        case 1: return draws.between(30, 120)
        default: return draws.between(120, 420)
        }
    }

    /// Leaves the current page when its reading time is over; the next page names it as referrer.
    private mutating func turnPage() {
        clock = max(clock + 300, pageEnds)
        page.referrer = page.url
        pageCampaign = nil
    }

    private mutating func showLanding(campaign: DemoHistory.Campaign?, referrer: String) {
        showBrowsePage()
        page.referrer = campaign?.referrer ?? referrer
        if let campaign {
            page.search = campaign.query
            page.url += campaign.query
        }
        pageCampaign = campaign
    }

    private mutating func showBrowsePage() {
        switch draws.weighted([30, 45, 15, 10]) {
        case 0:
            show(name: "Home", path: "/", title: "Example Outfitters")
        case 1:
            let category = catalog.categories[
                draws.chance(0.7)
                    ? draws.pick(person.favouriteCategories)
                    : draws.below(catalog.categories.count)]
            set(name: "Category", path: category.path, url: category.url, title: category.title, search: "")
        case 2:
            let term = draws.pick(DemoHistory.Catalog.searchTerms)
            let query = "?q=" + String(term.map { $0 == " " ? "+" : $0 })
            set(
                name: "Search", path: "/search", url: catalog.siteURL + "/search" + query,
                title: "Search results", search: query)
        default:
            show(name: "Account", path: "/account", title: "Your account")
        }
    }

    private mutating func showProduct(_ index: Int) {
        let product = catalog.products[index]
        set(name: "Product", path: product.path, url: product.url, title: product.title, search: "")
    }

    private mutating func show(name: String, path: String, title: String) {
        set(name: name, path: path, url: catalog.siteURL + path, title: title, search: "")
    }

    private mutating func set(name: String, path: String, url: String, title: String, search: String) {
        page.name = name
        page.path = path
        page.url = url
        page.title = title
        page.search = search
    }
}
