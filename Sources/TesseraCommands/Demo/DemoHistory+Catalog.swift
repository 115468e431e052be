extension DemoHistory {
    /// The fixed world the demo customers live in: the shop's products and pages, stores, campaigns,
    /// browsers, phones and the word lists that names and accounts are made from.
    ///
    /// Every domain is under `example.com`, `example.org` or `example.net` (reserved for documentation
    /// by RFC 2606), and every company, brand and person name is invented. The catalog does not depend
    /// on the seed, so it is built once per process.
    struct Catalog: Sendable {
        static let shared = Catalog()

        /// The web shop's address; pages live under it.
        let siteURL = "https://shop.example.com"
        let siteName = "Example Outfitters"
        let categories: [Category]
        let products: [Product]
        let stores: [Store]
        let campaigns: [Campaign]

        private init() {
            categories = Catalog.makeCategories()
            products = Catalog.makeProducts(categories: categories)
            stores = Catalog.makeStores()
            campaigns = Catalog.makeCampaigns()
        }
    }

    /// A product category with its listing page.
    struct Category: Sendable {
        let name: String
        let code: String
        let path: String
        let url: String
        let title: String
        let nouns: [String]
        let priceRange: ClosedRange<Int>
    }

    /// A product as the e-commerce spec describes it, with its page.
    struct Product: Sendable {
        let productID: String
        let sku: String
        let name: String
        let brand: String
        let category: Int
        let priceCents: Int
        let path: String
        let url: String
        let title: String
        /// `product_id`, `sku`, `name`, `brand`, `category`, `price` and `url`, encoded once.
        let fields: [UInt8]
    }

    /// A bricks-and-mortar store whose tills send purchases.
    struct Store: Sendable {
        let storeID: String
        let name: String
        let market: Market
    }

    /// A marketing campaign whose links carry UTM parameters.
    struct Campaign: Sendable {
        let name: String
        let source: String
        let medium: String
        let term: String?
        let content: String
        /// The page that linked to the shop, e.g. the newsletter's web view.
        let referrer: String
        /// `?utm_source=…` as it appears in the landing page's address.
        let query: String
    }

    /// Where a customer lives, which decides currency, phone numbers, stores and formats.
    enum Market: Sendable {
        case unitedStates
        case unitedKingdom

        var locale: String { self == .unitedStates ? "en-US" : "en-GB" }
        var currency: String { self == .unitedStates ? "USD" : "GBP" }
        var country: String { self == .unitedStates ? "US" : "GB" }
    }
}

extension DemoHistory.Catalog {
    static let firstNames = [
        "Ada", "Aiden", "Akira", "Alba", "Amara", "Anders", "Anika", "Arjun", "Astrid", "Beatrix", "Bruno",
        "Camila", "Caspian", "Chiara", "Darius", "Delia", "Dmitri", "Elena", "Elias", "Emeka", "Esme", "Farah",
        "Felix", "Freya", "Gideon", "Greta", "Hana", "Hugo", "Ines", "Ivo", "Jasper", "Jia", "Jonah", "Kai",
        "Kamala", "Kenji", "Lars", "Leila", "Leon", "Lina", "Luca", "Mabel", "Malik", "Mara", "Mateo", "Mei",
        "Milo", "Mira", "Nadia", "Niamh", "Nico", "Noor", "Oren", "Orla", "Oscar", "Priya", "Quinn", "Rafael",
        "Rania", "Ravi", "Rosa", "Rowan", "Saanvi", "Sami", "Selma", "Soren", "Tala", "Theo", "Tomas", "Uma",
        "Valentin", "Vera", "Wren", "Yara", "Yusuf", "Zara", "Zeno", "Ingrid", "Omar", "Petra",
    ]

    static let lastNames = [
        "Abernethy", "Adeyemi", "Alcott", "Bancroft", "Barros", "Bellamy", "Brightwater", "Calloway", "Castellan",
        "Chakrabarti", "Corwin", "Dalgleish", "Delacroix", "Drummond", "Eastwick", "Ellery", "Falkner", "Fenwick",
        "Galloway", "Gutierrez", "Halloran", "Hartwell", "Ibarra", "Ingram", "Jablonski", "Kavanagh", "Kowalczyk",
        "Lindqvist", "Lockhart", "Marchetti", "Mbeki", "Moreau", "Nakamura", "Nightingale", "Okafor", "Ostrander",
        "Pemberton", "Quintero", "Rasmussen", "Ravenscroft", "Saltonstall", "Santoro", "Takahashi", "Thornbury",
        "Underhill", "Valdivia", "Vasquez", "Wainwright", "Whitlock", "Yamamoto", "Zielinski", "Oyelaran",
        "Farrow", "Kingsley", "Lachance", "Mortensen", "Penhaligon", "Sorensen", "Trevelyan", "Winterbourne",
    ]

    static let loyaltyTiers = [("bronze", 60), ("silver", 30), ("gold", 10)]

    static let plans = [("free", 60), ("plus", 30), ("premium", 10)]

    static let emailDomains = ["example.com", "example.org", "example.net"]

    static let usCities: [(city: String, state: String, zipPrefix: Int)] = [
        ("Springfield", "IL", 627), ("Riverside", "CA", 925), ("Franklin", "TN", 370), ("Greenville", "SC", 296),
        ("Madison", "WI", 537), ("Fairview", "OR", 970), ("Salem", "MA", 19), ("Clinton", "NY", 133),
    ]

    static let ukCities: [(city: String, postcodeArea: String)] = [
        ("Leeds", "LS"), ("Bristol", "BS"), ("Manchester", "M"), ("Edinburgh", "EH"), ("Cardiff", "CF"),
        ("Norwich", "NR"), ("York", "YO"), ("Brighton", "BN"),
    ]

    static let streets = [
        "Maple Avenue", "Harbour Road", "Orchard Lane", "Station Street", "Mill Close", "Elm Grove",
        "Chapel Row", "Willow Way", "Kingfisher Drive", "Quarry Hill", "Meadow View", "Foundry Street",
    ]

    static let usTimezones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]

    static let utcOffsets = [
        "America/New_York": -5, "America/Chicago": -6, "America/Denver": -7, "America/Los_Angeles": -8,
        "Europe/London": 0,
    ]

    /// Telephone ranges that Ofcom reserves for drama and documentation (1,000 numbers each):
    /// the E.164 prefix and the national prefix, both followed by three more digits.
    static let ukPhoneRanges: [(e164: String, national: String)] = [
        ("+447700900", "07700 900"), ("+441134960", "0113 496 0"), ("+441144960", "0114 496 0"),
        ("+441154960", "0115 496 0"), ("+441164960", "0116 496 0"), ("+441174960", "0117 496 0"),
        ("+441184960", "0118 496 0"), ("+441214960", "0121 496 0"), ("+441314960", "0131 496 0"),
        ("+441414960", "0141 496 0"), ("+441514960", "0151 496 0"), ("+441614960", "0161 496 0"),
        ("+442079460", "020 7946 0"), ("+441914980", "0191 498 0"), ("+441632960", "01632 960"),
    ]

    /// Area codes combined with 555-0100…555-0199, the North American numbers reserved for fiction.
    static let usAreaCodes = [
        "201", "202", "206", "212", "213", "214", "215", "303", "305", "312", "313", "314", "404", "412",
        "415", "503", "512", "602", "612", "615", "617", "702", "704", "713", "718", "720", "801", "808",
        "816", "858", "901", "919",
    ]

    static let desktopUserAgents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
            + "Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
            + "Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
            + "Safari/537.36 Edg/124.0.2478.51",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    ]

    static let mobileUserAgents = [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            + "Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
            + "Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 "
            + "Chrome/117.0.0.0 Mobile Safari/537.36",
    ]

    /// Phones the mobile app runs on.
    static let appDevices: [DemoHistory.AppDeviceModel] = [
        DemoHistory.AppDeviceModel(
            manufacturer: "Apple", model: "iPhone15,2", type: "ios", osName: "iOS",
            osVersions: ["17.4.1", "17.3", "16.7.7"], screen: (393, 852, 3)),
        DemoHistory.AppDeviceModel(
            manufacturer: "Apple", model: "iPhone14,5", type: "ios", osName: "iOS",
            osVersions: ["17.4.1", "16.7.7"], screen: (390, 844, 3)),
        DemoHistory.AppDeviceModel(
            manufacturer: "Apple", model: "iPhone16,1", type: "ios", osName: "iOS",
            osVersions: ["17.4.1", "17.5"], screen: (393, 852, 3)),
        DemoHistory.AppDeviceModel(
            manufacturer: "Google", model: "Pixel 8", type: "android", osName: "Android",
            osVersions: ["14"], screen: (412, 915, 2.625)),
        DemoHistory.AppDeviceModel(
            manufacturer: "samsung", model: "SM-S911B", type: "android", osName: "Android",
            osVersions: ["14", "13"], screen: (360, 780, 3)),
        DemoHistory.AppDeviceModel(
            manufacturer: "samsung", model: "SM-A546B", type: "android", osName: "Android",
            osVersions: ["14", "13"], screen: (384, 854, 2.8125)),
    ]

    static let carriers = ["Example Mobile", "Demo Telecom", "Sample Wireless"]

    static let externalReferrers = [
        "", "", "https://search.example.net/", "https://social.example.org/feed",
        "https://news.example.com/outdoors/gear-guide",
    ]

    static let searchTerms = [
        "rain jacket", "tent", "trail shoes", "gift ideas", "kettle", "kids boots", "headlamp", "sale",
    ]

    static let appScreens = ["Home", "Search", "Category", "Offers", "Loyalty Card", "Store Locator", "Account"]

    static let pushCampaigns: [(name: String, content: String)] = [
        ("Weekend Offer", "Twenty percent off outerwear until Sunday."),
        ("Back in Stock", "An item on your wishlist is back."),
        ("Double Points Day", "Earn double loyalty points in store today."),
        ("Cart Reminder", "You left something in your cart."),
        ("Order Shipped", "Your order is on its way."),
    ]

    static let accountPrefixes = [
        "Blue Heron", "Copperleaf", "Granite Peak", "Harborline", "Juniper", "Lakeside", "Meridian Bay",
        "Northgate", "Oakhollow", "Pinecrest", "Quarrystone", "Riverbend", "Silverline", "Tidewater",
        "Willowbrook", "Amberfield",
    ]

    static let accountKinds: [(suffix: String, industry: String)] = [
        ("Logistics", "Transportation"), ("Analytics", "Technology"), ("Foods", "Food & Beverage"),
        ("Health", "Healthcare"), ("Insurance", "Insurance"), ("Travel", "Travel"), ("Software", "Technology"),
        ("Retail", "Retail"), ("Partners", "Professional Services"), ("Labs", "Research"),
    ]

    private static let brands = ["Aldenmoor", "Brightfield", "Corvale", "Dunmere", "Everholt", "Fernwick"]
    private static let adjectives = ["Alpine", "Coastal", "Everyday", "Summit", "Urban", "Classic", "Heritage"]

    private static func makeCategories() -> [DemoHistory.Category] {
        let definitions: [(String, String, [String], ClosedRange<Int>)] = [
            (
                "Running", "RUN", ["Trail Shoe", "Road Shoe", "Running Vest", "Split Shorts", "Thermal Tights"],
                40...180
            ),
            (
                "Outerwear", "OUT", ["Rain Jacket", "Down Parka", "Softshell", "Fleece Pullover", "Windbreaker"],
                45...320
            ),
            ("Camping", "CMP", ["Two-Person Tent", "Sleeping Bag", "Camp Stove", "Headlamp", "Dry Bag"], 15...420),
            ("Kitchen", "KIT", ["Cast Iron Skillet", "Chef's Knife", "Pour-Over Kettle", "Mug Set"], 12...140),
            ("Home", "HOM", ["Linen Throw", "Table Lamp", "Wool Rug", "Scented Candle", "Storage Basket"], 9...260),
            ("Books", "BKS", ["Field Guide", "Trail Atlas", "Cookbook", "Travel Journal", "Star Chart"], 8...45),
            ("Electronics", "ELC", ["Wireless Earbuds", "GPS Watch", "Power Bank", "Action Camera"], 25...450),
            ("Kids", "KID", ["Rain Boots", "Puzzle Map", "Binoculars", "Backpack", "Sun Hat"], 10...70),
        ]
        return definitions.map { name, code, nouns, prices in
            let slug = name.lowercased()
            return DemoHistory.Category(
                name: name, code: code, path: "/c/\(slug)", url: "https://shop.example.com/c/\(slug)",
                title: "\(name) | Example Outfitters", nouns: nouns, priceRange: prices)
        }
    }

    private static func makeProducts(categories: [DemoHistory.Category]) -> [DemoHistory.Product] {
        var products: [DemoHistory.Product] = []
        for (categoryIndex, category) in categories.enumerated() {
            for noun in category.nouns {
                for adjective in adjectives {
                    let number = products.count
                    let hash = DemoHistory.Random.mix(UInt64(number) ^ 0x5052_4F44_5543_5453)
                    let span = category.priceRange.upperBound - category.priceRange.lowerBound + 1
                    let whole = category.priceRange.lowerBound + Int(hash % UInt64(span))
                    let name = "\(adjective) \(noun)"
                    let slug = name.lowercased().filter { $0 != "'" }.replacingSpaces(with: "-")
                    let productID =
                        DemoHistory.IdentifierText.hex(hash, digits: 16)
                        + DemoHistory.IdentifierText.hex(UInt64(number), digits: 8)
                    let sku = "\(category.code)-\(10_000 + number)"
                    let brand = brands[Int(hash >> 40) % brands.count]
                    let url = "https://shop.example.com/p/\(slug)"
                    let fields = DemoHistory.MessageBuilder.encodeMembers { builder in
                        builder.string("product_id", productID)
                        builder.string("sku", sku)
                        builder.string("name", name)
                        builder.string("brand", brand)
                        builder.string("category", category.name)
                        builder.money("price", cents: whole * 100 - 1)
                        builder.string("url", url)
                    }
                    products.append(
                        DemoHistory.Product(
                            productID: productID, sku: sku, name: name, brand: brand, category: categoryIndex,
                            priceCents: whole * 100 - 1, path: "/p/\(slug)", url: url,
                            title: "\(name) | Example Outfitters", fields: fields))
                }
            }
        }
        return products
    }

    private static func makeStores() -> [DemoHistory.Store] {
        let uk = [
            "London Covent Garden", "Manchester Arndale", "Leeds Briggate", "Bristol Harbourside",
            "Edinburgh Princes Street", "Glasgow Buchanan", "Cardiff Queen Street", "York Stonegate",
        ]
        let us = [
            "New York SoHo", "Chicago Loop", "Seattle Pike", "Denver Union Station", "Austin Congress",
            "Boston Back Bay", "Portland Pearl", "San Diego Gaslamp",
        ]
        let ukStores = uk.enumerated().map { index, name in
            DemoHistory.Store(storeID: "GB-\(101 + index)", name: name, market: .unitedKingdom)
        }
        let usStores = us.enumerated().map { index, name in
            DemoHistory.Store(storeID: "US-\(201 + index)", name: name, market: .unitedStates)
        }
        return ukStores + usStores
    }

    private static func makeCampaigns() -> [DemoHistory.Campaign] {
        let definitions: [(String, String, String, String?, String, String)] = [
            ("spring_sale", "newsletter", "email", nil, "hero_banner", "https://mail.example.net/"),
            ("brand_search", "search", "cpc", "example outfitters", "text_ad_1", "https://search.example.net/"),
            ("rain_gear", "search", "cpc", "rain jacket", "text_ad_2", "https://search.example.net/"),
            ("summer_retarget", "social", "paid_social", nil, "carousel", "https://social.example.org/feed"),
            ("double_points", "loyalty", "email", nil, "points_banner", "https://mail.example.net/"),
            ("partner_review", "affiliate", "referral", nil, "review_link", "https://news.example.com/reviews"),
        ]
        return definitions.map { name, source, medium, term, content, referrer in
            var query = "?utm_source=\(source)&utm_medium=\(medium)&utm_campaign=\(name)"
            if let term { query += "&utm_term=" + term.replacingSpaces(with: "+") }
            query += "&utm_content=\(content)"
            return DemoHistory.Campaign(
                name: name, source: source, medium: medium, term: term, content: content, referrer: referrer,
                query: query)
        }
    }
}

extension DemoHistory {
    /// A phone model the mobile app runs on.
    struct AppDeviceModel: Sendable {
        let manufacturer: String
        let model: String
        let type: String
        let osName: String
        let osVersions: [String]
        let screen: (width: Int, height: Int, density: Double)
    }
}

extension String {
    /// The text with every space replaced by `replacement`, for URL slugs and query strings.
    fileprivate func replacingSpaces(with replacement: Character) -> String {
        String(map { $0 == " " ? replacement : $0 })
    }
}
