extension DemoHistory.PersonRenderer {
    private static let appVersion = "5.12.0"
    private static let appBuild = "5120"

    /// An app session: install (first time only), open, maybe a login, screens, product views, an order.
    mutating func renderApp(_ visit: DemoHistory.AppVisit) {
        guard let app = person.app else { return }
        let network = sessionNetwork()
        var userID = visit.identified ? person.userID : nil
        if visit.installs {
            open("track", userID: userID, anonymousID: app.anonymousID, channel: "mobile")
            builder.string("event", "Application Installed")
            builder.beginObject("properties")
            builder.string("version", Self.appVersion)
            builder.string("build", Self.appBuild)
            builder.endObject()
            appContext(app, network: network)
            close()
            pause()
        }
        open("track", userID: userID, anonymousID: app.anonymousID, channel: "mobile")
        builder.string("event", "Application Opened")
        builder.beginObject("properties")
        builder.bool("from_background", visit.fromPush)
        builder.string("version", Self.appVersion)
        builder.string("build", Self.appBuild)
        if visit.fromPush { builder.string("referring_application", "push") }
        builder.endObject()
        appContext(app, network: network)
        close()
        if visit.signsIn {
            signInToApp(app, network: network)
            userID = person.userID
        }
        browseApp(visit, app: app, network: network, userID: userID)
    }

    /// A push notification arriving and, when tapped, being opened.
    mutating func renderPush(_ notice: DemoHistory.PushNotice) {
        guard let app = person.app else { return }
        let network = sessionNetwork()
        let userID = notice.identified ? person.userID : nil
        let campaign = DemoHistory.Catalog.pushCampaigns[notice.campaign]
        let events = ["Push Notification Received", "Push Notification Tapped"].prefix(notice.tapped ? 2 : 1)
        for event in events {
            open("track", userID: userID, anonymousID: app.anonymousID, channel: "mobile")
            builder.string("event", event)
            builder.beginObject("properties")
            if event.hasSuffix("Tapped") { builder.string("action", "Open") }
            builder.beginObject("campaign")
            builder.string("name", campaign.name)
            builder.string("source", "example-push")
            builder.string("medium", "push")
            builder.string("content", campaign.content)
            builder.endObject()
            builder.endObject()
            appContext(app, network: network)
            close()
            clock += Int64(draws.between(2_000, 600_000))
        }
    }

    private mutating func signInToApp(_ app: DemoHistory.AppInstall, network: Network) {
        clock += Int64(draws.between(5_000, 30_000))
        open("identify", userID: person.userID, anonymousID: app.anonymousID, channel: "mobile")
        builder.beginObject("traits")
        builder.string("email", person.email)
        builder.string("firstName", person.firstName)
        builder.string("lastName", person.lastName)
        if let loyalty = person.loyaltyID { builder.string("loyaltyId", loyalty) }
        builder.endObject()
        appContext(app, network: network)
        close()
        pause()
        open("track", userID: person.userID, anonymousID: app.anonymousID, channel: "mobile")
        builder.string("event", "Signed In")
        builder.beginObject("properties")
        builder.string("method", draws.chance(0.6) ? "biometric" : "password")
        builder.endObject()
        appContext(app, network: network)
        close()
    }

    /// Screens, product screens with `Product Viewed`, and maybe an in-app order.
    private mutating func browseApp(
        _ visit: DemoHistory.AppVisit, app: DemoHistory.AppInstall, network: Network, userID: String?
    ) {
        var screens = visit.screens
        var productScreens = visit.productScreens
        var last: Int?
        while screens + productScreens > 0 {
            clock += Int64(draws.between(3_000, 90_000))
            if draws.below(screens + productScreens) < productScreens {
                let product = chooseProduct()
                last = product
                screen("Product Detail", app: app, network: network, userID: userID) { renderer in
                    renderer.builder.string("product_id", renderer.catalog.products[product].productID)
                }
                pause()
                open("track", userID: userID, anonymousID: app.anonymousID, channel: "mobile")
                builder.string("event", "Product Viewed")
                builder.beginObject("properties")
                productFields(product)
                builder.string("currency", person.market.currency)
                builder.endObject()
                appContext(app, network: network)
                close()
                productScreens -= 1
            } else {
                screen(draws.pick(DemoHistory.Catalog.appScreens), app: app, network: network, userID: userID) { _ in }
                screens -= 1
            }
        }
        guard visit.completesOrder, let last else { return }
        clock += Int64(draws.between(30_000, 240_000))
        var lines: [Line] = [(last, 1)]
        if draws.chance(0.3) { lines += chooseLines(count: 1) }
        open("track", userID: userID, anonymousID: app.anonymousID, channel: "mobile")
        builder.string("event", "Order Completed")
        builder.beginObject("properties")
        builder.string("order_id", nextOrderID(prefix: "app_"))
        builder.string("affiliation", "Example Outfitters App")
        amounts(lines, shipping: true)
        products(lines)
        builder.endObject()
        appContext(app, network: network)
        close()
        pause()
        screen("Order Confirmation", app: app, network: network, userID: userID) { _ in }
    }

    private mutating func screen(
        _ name: String, app: DemoHistory.AppInstall, network: Network, userID: String?,
        properties: (inout Self) -> Void
    ) {
        open("screen", userID: userID, anonymousID: app.anonymousID, channel: "mobile")
        builder.string("name", name)
        builder.beginObject("properties")
        builder.string("name", name)
        properties(&self)
        builder.endObject()
        appContext(app, network: network)
        close()
    }

    /// What the Segment mobile libraries send with every call: app, device, OS, network and screen.
    private mutating func appContext(_ app: DemoHistory.AppInstall, network: Network) {
        builder.beginObject("context")
        builder.members(appFields)
        builder.beginObject("network")
        builder.bool("wifi", network.wifi)
        builder.bool("cellular", !network.wifi)
        builder.string("carrier", app.carrier)
        builder.endObject()
        builder.string("ip", network.ip)
        builder.endObject()
    }

    /// The members of an app's `context` that stay the same for all its messages.
    static func encodeAppFields(_ app: DemoHistory.AppInstall, person: DemoHistory.Person) -> [UInt8] {
        DemoHistory.MessageBuilder.encodeMembers { builder in
            builder.beginObject("library")
            builder.string("name", app.libraryName)
            builder.string("version", app.libraryVersion)
            builder.endObject()
            builder.beginObject("app")
            builder.string("name", "Example Outfitters")
            builder.string("version", appVersion)
            builder.string("build", appBuild)
            builder.string("namespace", "com.example.outfitters")
            builder.endObject()
            builder.beginObject("device")
            builder.string("id", app.deviceID)
            if let advertising = app.advertisingID { builder.string("advertisingId", advertising) }
            builder.bool("adTrackingEnabled", app.advertisingID != nil)
            builder.string("manufacturer", app.device.manufacturer)
            builder.string("model", app.device.model)
            builder.string("type", app.device.type)
            builder.endObject()
            builder.beginObject("os")
            builder.string("name", app.device.osName)
            builder.string("version", app.osVersion)
            builder.endObject()
            builder.beginObject("screen")
            builder.int("width", app.device.screen.width)
            builder.int("height", app.device.screen.height)
            builder.double("density", app.device.screen.density)
            builder.endObject()
            builder.string("locale", person.market.locale)
            builder.string("timezone", person.timezone)
        }
    }

    /// The network the phone is on for one session: Wi-Fi or cellular, with its address.
    private mutating func sessionNetwork() -> Network {
        Network(ip: DemoHistory.documentationAddress(random: &draws), wifi: draws.chance(0.6))
    }
}

extension DemoHistory.PersonRenderer {
    /// The network a phone uses during one app session.
    struct Network {
        let ip: String
        let wifi: Bool
    }
}
