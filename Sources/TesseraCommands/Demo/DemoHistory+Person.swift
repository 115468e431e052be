extension DemoHistory {
    /// One synthetic customer: who they are and which identifiers each of their channels knows them by.
    struct Person: Sendable {
        let index: Int
        let market: Market
        let firstName: String
        let lastName: String
        /// The address they sign up with; shared with a family member for some households.
        let email: String
        let userID: String
        let timezone: String
        /// The time zone's standard offset from UTC (daylight saving is ignored).
        let utcOffsetHours: Int
        let address: Address
        let phone: Phone?
        let registration: Registration
        /// Their own browsers, then (when `borrowsBrowser`) a family member's laptop.
        let browsers: [Browser]
        let borrowsBrowser: Bool
        /// Whether they log in on every browser they use once registered, so that all of them link up.
        let logsInEverywhere: Bool
        let app: AppInstall?
        let loyaltyID: String?
        let loyaltyTier: String
        let crmID: String?
        let accountIndex: Int?
        let plan: String
        let favouriteCategories: [Int]
        let homeStore: Int
        /// 0 for occasional visitors, 1 for regulars, 2 for heavy users.
        let activity: Int
    }

    /// When a person got an online account, if ever.
    enum Registration: Sendable {
        case never
        /// Registered before the history starts, at `createdAt` (ms since the epoch).
        case existing(createdAt: Int64)
        /// Signs up during the history, in one of their web visits.
        case signsUp

        var isRegistered: Bool {
            if case .never = self { return false }
            return true
        }
    }

    /// One browser on one device: its cookie (`anonymousId`) and what the server sees of it.
    struct Browser: Sendable {
        let anonymousID: String
        let userAgent: String
        let ip: String
    }

    /// The shop's mobile app on one phone.
    struct AppInstall: Sendable {
        let anonymousID: String
        let deviceID: String
        let advertisingID: String?
        let device: AppDeviceModel
        let osVersion: String
        let libraryName: String
        let libraryVersion: String
        let carrier: String
        /// True when the app was installed before the history starts (no install event).
        let installedEarlier: Bool
    }

    /// A fictional phone number in E.164 and in the national format people type.
    struct Phone: Sendable {
        let e164: String
        let national: String
    }

    struct Address: Sendable {
        let street: String
        let city: String
        let state: String?
        let postalCode: String
        let country: String
    }

    /// Two people at consecutive even/odd indexes who live together and share something.
    struct Household {
        enum Sharing { case laptop, email }

        let root: Int
        let partner: Int
        let sharing: Sharing
    }
}

extension DemoHistory.Planner {
    /// The facts about person `index`, derived from the seed alone.
    ///
    /// Family members (see `household(of:)`) share last name, market and address, and the partner
    /// either borrows the root's laptop (cookie) or signs up with the root's email address.
    func person(_ index: Int) -> DemoHistory.Person {
        let household = household(of: index)
        let isPartner = index == household?.partner
        let home = home(of: household?.root ?? index)
        var draws = ids.random(.person, index)
        let firstName = draws.pick(Catalog.firstNames)
        let emailOwner = isPartner && household?.sharing == .email ? household!.root : index
        let registration = makeRegistration(household: household, random: &draws)
        let registered = registration.isRegistered
        var browsers = (0..<(draws.chance(registered ? 0.3 : 0.15) ? 2 : 1)).map { browser(owner: index, slot: $0) }
        let borrows = isPartner && household?.sharing == .laptop
        if borrows { browsers.append(browser(owner: household!.root, slot: 0)) }
        let loyalty = draws.chance(0.3)
        let crm = draws.chance(loyalty ? 0.75 : registered ? 0.3 : 0.1)
        let phone = draws.chance(0.5) ? phone(of: index, market: home.market) : nil
        let app = draws.chance(registered ? 0.4 : 0.12) ? appInstall(of: index, random: &draws) : nil
        return DemoHistory.Person(
            index: index, market: home.market, firstName: firstName, lastName: home.lastName,
            email: emailAddress(of: emailOwner, lastName: home.lastName), userID: ids.hex(.user, index, prefix: "usr_"),
            timezone: home.timezone, utcOffsetHours: Catalog.utcOffsets[home.timezone] ?? 0, address: home.address,
            phone: phone, registration: registration, browsers: browsers, borrowsBrowser: borrows,
            logsInEverywhere: household != nil || browsers.count > 1, app: app,
            loyaltyID: loyalty ? loyaltyCard(of: index) : nil, loyaltyTier: draws.pick(weighted: Catalog.loyaltyTiers),
            crmID: crm ? crmRecord(of: index) : nil,
            accountIndex: registered && draws.chance(0.12) ? draws.below(accountCount) : nil,
            plan: draws.pick(weighted: Catalog.plans),
            favouriteCategories: [draws.below(catalog.categories.count), draws.below(catalog.categories.count)],
            homeStore: draws.pick(stores(in: home.market)), activity: draws.weighted([45, 40, 15]))
    }

    /// Where the household of `root` lives: market, family name, time zone and address.
    private func home(of root: Int) -> Home {
        var draws = ids.random(.person, root, 1)
        let market: DemoHistory.Market = draws.chance(0.55) ? .unitedStates : .unitedKingdom
        let lastName = draws.pick(Catalog.lastNames)
        let timezone = market == .unitedStates ? draws.pick(Catalog.usTimezones) : "Europe/London"
        return Home(
            market: market, lastName: lastName, timezone: timezone,
            address: makeAddress(market: market, random: &draws))
    }

    /// What the members of one household share.
    private struct Home {
        let market: DemoHistory.Market
        let lastName: String
        let timezone: String
        let address: DemoHistory.Address
    }

    /// The household person `index` belongs to, if any: about 8% of even/odd pairs live together.
    func household(of index: Int) -> DemoHistory.Household? {
        let root = index & ~1
        guard root + 1 < configuration.people else { return nil }
        var draws = ids.random(.household, root)
        guard draws.chance(0.08) else { return nil }
        return DemoHistory.Household(root: root, partner: root + 1, sharing: draws.chance(0.5) ? .laptop : .email)
    }

    /// Browser `slot` of person `owner`; slot 0 is a desktop, slot 1 a phone's browser.
    func browser(owner: Int, slot: Int) -> DemoHistory.Browser {
        var draws = ids.random(.cookie, owner, slot)
        let agents = slot == 0 ? Catalog.desktopUserAgents : Catalog.mobileUserAgents
        return DemoHistory.Browser(
            anonymousID: ids.uuid(.cookie, owner, slot), userAgent: draws.pick(agents),
            ip: DemoHistory.documentationAddress(random: &draws))
    }

    private func emailAddress(of index: Int, lastName: String) -> String {
        var draws = ids.random(.person, index)
        let first = draws.pick(Catalog.firstNames).lowercased()
        let last = lastName.lowercased()
        let local: String
        switch draws.below(3) {
        case 0: local = "\(first).\(last)\(index)"
        case 1: local = "\(first.prefix(1))\(last)\(index)"
        default: local = "\(first)_\(last)\(index)"
        }
        return local + "@" + draws.pick(Catalog.emailDomains)
    }

    private func makeRegistration(
        household: DemoHistory.Household?, random draws: inout DemoHistory.Random
    ) -> DemoHistory.Registration {
        let roll = draws.below(100)
        if household == nil && roll < 35 { return .never }
        if roll < 75 {
            let daysBefore = Int64(draws.between(1, 1500))
            return .existing(createdAt: windowStart - daysBefore * 86_400_000 - Int64(draws.below(86_400_000)))
        }
        return .signsUp
    }

    private func makeAddress(market: DemoHistory.Market, random draws: inout DemoHistory.Random) -> DemoHistory.Address
    {
        let street = "\(draws.between(1, 240)) \(draws.pick(Catalog.streets))"
        if market == .unitedStates {
            let place = draws.pick(Catalog.usCities)
            let zip = DemoHistory.IdentifierText.decimal(UInt64(place.zipPrefix * 100 + draws.below(100)), digits: 5)
            return DemoHistory.Address(
                street: street, city: place.city, state: place.state, postalCode: zip, country: "US")
        }
        let place = draws.pick(Catalog.ukCities)
        let letters = Array("ABDEFGHJLNPQRSTUWXYZ")
        let postcode =
            "\(place.postcodeArea)\(draws.between(1, 19)) \(draws.between(1, 9))"
            + "\(draws.pick(letters))\(draws.pick(letters))"
        return DemoHistory.Address(street: street, city: place.city, state: nil, postalCode: postcode, country: "GB")
    }

    /// A fictional number, unique to its owner: numbers are dealt out by an affine permutation of the
    /// person index, so the small reserved ranges (15,000 UK and 3,200 US numbers) never give two
    /// strangers the same phone. People past the end of the range have no phone.
    private func phone(of index: Int, market: DemoHistory.Market) -> DemoHistory.Phone? {
        let ranges = Catalog.ukPhoneRanges
        let areas = Catalog.usAreaCodes
        let size = market == .unitedKingdom ? ranges.count * 1000 : areas.count * 100
        guard index < size else { return nil }
        let slot = (index * 7919 + phoneOffset) % size
        if market == .unitedKingdom {
            let range = ranges[slot / 1000]
            let digits = DemoHistory.IdentifierText.decimal(UInt64(slot % 1000), digits: 3)
            return DemoHistory.Phone(e164: range.e164 + digits, national: range.national + digits)
        }
        let area = areas[slot / 100]
        let digits = DemoHistory.IdentifierText.decimal(UInt64(slot % 100), digits: 2)
        return DemoHistory.Phone(e164: "+1\(area)55501\(digits)", national: "(\(area)) 555-01\(digits)")
    }

    /// A 16-digit loyalty card number, unique per person: `index * 3141592653 + offset` is a bijection
    /// modulo 10^12 because the multiplier shares no factor with 10.
    private func loyaltyCard(of index: Int) -> String {
        let number = (UInt64(index) &* 3_141_592_653 &+ loyaltyOffset) % 1_000_000_000_000
        return "6034" + DemoHistory.IdentifierText.decimal(number, digits: 12)
    }

    /// A CRM record id, unique per person by the same kind of permutation modulo 10^9.
    private func crmRecord(of index: Int) -> String {
        let number = (UInt64(index) &* 2_718_281 &+ crmOffset) % 1_000_000_000
        return "CRM-" + DemoHistory.IdentifierText.decimal(number, digits: 9)
    }

    private func appInstall(of index: Int, random draws: inout DemoHistory.Random) -> DemoHistory.AppInstall {
        let model = draws.pick(Catalog.appDevices)
        let iOS = model.type == "ios"
        let tracking = draws.chance(0.7)
        return DemoHistory.AppInstall(
            anonymousID: ids.uuid(.appInstall, index, uppercase: iOS),
            deviceID: iOS
                ? ids.uuid(.device, index, uppercase: true)
                : DemoHistory.IdentifierText.hex(ids.unique(.device, index), digits: 16),
            advertisingID: tracking ? ids.uuid(.advertising, index, uppercase: iOS) : nil, device: model,
            osVersion: draws.pick(model.osVersions), libraryName: iOS ? "analytics-ios" : "analytics-android",
            libraryVersion: iOS ? "4.1.8" : "4.11.3", carrier: draws.pick(Catalog.carriers),
            installedEarlier: draws.chance(0.5))
    }
}

extension DemoHistory {
    /// An address from the ranges RFC 5737 and RFC 3849 reserve for documentation.
    static func documentationAddress(random draws: inout Random) -> String {
        switch draws.below(10) {
        case 0..<4: return "203.0.113.\(draws.between(1, 254))"
        case 4..<8: return "198.51.100.\(draws.between(1, 254))"
        case 8: return "192.0.2.\(draws.between(1, 254))"
        default:
            return "2001:db8:\(String(draws.below(0xFFFF), radix: 16))::\(String(draws.between(1, 0xFFFF), radix: 16))"
        }
    }
}
