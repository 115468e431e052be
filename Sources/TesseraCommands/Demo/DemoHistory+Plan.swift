extension DemoHistory {
    /// Everything one person does during the history, in time order, with the number of messages it makes.
    struct PersonPlan: Sendable {
        let person: Person
        let episodes: [Episode]
        let messageCount: Int
    }

    /// One thing a person does at one time: a web visit, an app session, a push, a till receipt, a CRM sync.
    struct Episode: Sendable {
        var start: Int64
        var activity: Activity
        /// Insertion order, to keep sorting stable when two episodes start in the same millisecond.
        var order: Int
    }

    enum Activity: Sendable {
        case web(WebVisit)
        case app(AppVisit)
        case push(PushNotice)
        case store(StoreVisit)
        case contact(ContactSync)
    }

    /// How a web visit changes who the browser belongs to.
    enum Login: Sendable, Equatable {
        case none
        case signIn
        /// Creates the account; `alias` also sends an `alias` call from the cookie to the new user id.
        case signUp(alias: Bool)
    }

    /// A browsing session on one browser.
    struct WebVisit: Sendable {
        var browser: Int
        var isSignUp = false
        var identified = false
        var login = Login.none
        var joinsAccount = false
        /// A guest checkout: an `identify` with only an email, before an anonymous order.
        var guestIdentify = false
        var campaign: Int?
        var referrer: Int
        var browsePages: Int
        var productPages: Int
        var addsToCart: Bool
        var startsCheckout: Bool
        var completesOrder: Bool

        var messageCount: Int {
            var count = browsePages + 2 * productPages
            count += (addsToCart ? 2 : 0) + (startsCheckout ? 2 : 0) + (completesOrder ? 2 : 0)
            switch login {
            case .none: break
            case .signIn: count += 2
            case .signUp(let alias): count += alias ? 3 : 2
            }
            return count + (guestIdentify ? 1 : 0) + (joinsAccount ? 1 : 0)
        }
    }

    /// A session in the mobile app, possibly its first one after install or one opened from a push.
    struct AppVisit: Sendable {
        var installs: Bool
        var fromPush: Bool
        var identified = false
        var signsIn = false
        var screens: Int
        var productScreens: Int
        var completesOrder: Bool

        var messageCount: Int {
            (installs ? 1 : 0) + 1 + (signsIn ? 2 : 0) + screens + 2 * productScreens + (completesOrder ? 2 : 0)
        }
    }

    /// A push notification delivered to the app, tapped or not.
    struct PushNotice: Sendable {
        var campaign: Int
        var tapped: Bool
        var identified = false

        var messageCount: Int { tapped ? 2 : 1 }
    }

    /// A purchase at a store's till, identified by the loyalty card and, for some, the online account.
    struct StoreVisit: Sendable {
        var store: Int
        var linked: Bool
        var lines: Int
    }

    /// A CRM export of the person's contact record.
    struct ContactSync: Sendable {
        var isUpdate: Bool
        var identified: Bool
        var nationalPhone: Bool
    }

    /// When in the local day things happen: weights for hours 0 to 23.
    enum DayRhythm {
        /// Browsing and app use: quiet at night, a lunchtime bump, busiest in the evening.
        case online
        /// Till purchases during store hours.
        case shopping
        /// CRM exports, run as a nightly batch.
        case nightlyExport

        var hourWeights: [Int] {
            switch self {
            case .online: DayRhythm.onlineWeights
            case .shopping: DayRhythm.shoppingWeights
            case .nightlyExport: DayRhythm.exportWeights
            }
        }

        private static let onlineWeights = [1, 1, 1, 1, 1, 1, 2, 4, 6, 6, 6, 7, 9, 9, 7, 6, 6, 7, 9, 12, 13, 12, 8, 3]
        private static let shoppingWeights = [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 6, 8, 10, 10, 9, 8, 8, 9, 10, 7, 4, 0, 0, 0,
        ]
        private static let exportWeights = [0, 2, 6, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    }

    /// Decides who each person is and what they do, before any JSON is written.
    ///
    /// Planning is cheap and decides every message count, so `estimatedMessageCount` can plan a sample
    /// of people without rendering them.
    struct Planner: Sendable {
        typealias Catalog = DemoHistory.Catalog

        let configuration: Configuration
        let ids: Identifiers
        let catalog = Catalog.shared
        /// The first millisecond of the history.
        let windowStart: Int64
        /// The last millisecond of the history (the caller's `now`).
        let windowEnd: Int64
        /// Episodes start by here, leaving three hours for visits to finish before `now`.
        let latestStart: Int64
        /// How much more (or less) people do than in the 30 days the rates are tuned for.
        let activityScale: Double
        let accountCount: Int
        let phoneOffset: Int
        let loyaltyOffset: UInt64
        let crmOffset: UInt64
        private let storesByMarket: [Market: [Int]]

        init(configuration: Configuration) {
            self.configuration = configuration
            ids = Identifiers(seed: configuration.seed)
            windowEnd = configuration.now.milliseconds
            windowStart = windowEnd - Int64(configuration.days) * 86_400_000
            latestStart = max(windowStart, windowEnd - 3 * 3_600_000)
            activityScale = min(3, max(0.25, Double(configuration.days) / 30))
            accountCount = max(3, configuration.people / 40)
            var offsets = ids.random(.plan, -1)
            phoneOffset = offsets.below(1 << 20)
            loyaltyOffset = offsets.next() % 1_000_000_000_000
            crmOffset = offsets.next() % 1_000_000_000
            let stores = Catalog.shared.stores
            storesByMarket = Dictionary(grouping: stores.indices) { stores[$0].market }
        }

        /// The indexes of the stores in `market`.
        func stores(in market: Market) -> [Int] {
            storesByMarket[market] ?? []
        }

        /// The plan for person `index`: their facts and their episodes in time order.
        func plan(person index: Int) -> PersonPlan {
            let person = person(index)
            var draws = ids.random(.plan, index)
            var episodes: [Episode] = []

            let signUpTime = planWeb(person, into: &episodes, random: &draws)
            planApp(person, into: &episodes, random: &draws)
            planStore(person, into: &episodes, random: &draws)
            planContacts(person, into: &episodes, random: &draws)
            if episodes.isEmpty { episodes.append(webVisit(person, at: windowStart, order: 0, random: &draws)) }

            episodes.sort { ($0.start, $0.order) < ($1.start, $1.order) }
            let registeredAt = registrationTime(person.registration, signUp: signUpTime)
            let count = assignIdentity(person, registeredAt: registeredAt, episodes: &episodes, random: &draws)
            return PersonPlan(person: person, episodes: episodes, messageCount: count)
        }

        /// A count drawn from `ranges[activity]`, scaled to the length of the history.
        private func scaledCount(_ person: Person, _ ranges: [ClosedRange<Int>], random draws: inout Random) -> Int {
            let range = ranges[person.activity]
            let base = Double(draws.between(range.lowerBound, range.upperBound))
            return Int((base * activityScale).rounded())
        }

        /// A start time after `earliest`, at an hour of the person's local day that suits `rhythm`.
        ///
        /// Days are drawn uniformly and hours from `DayRhythm`; a time that falls outside the allowed
        /// span (near its edges) is drawn again, and after a few tries drawn uniformly.
        private func randomStart(
            _ person: Person, _ rhythm: DayRhythm, after earliest: Int64 = .min, random draws: inout Random
        ) -> Int64 {
            let lower = min(max(windowStart, earliest), latestStart)
            for _ in 0..<4 {
                let day = draws.between(lower - 86_400_000, latestStart) / 86_400_000
                let hour = Int64(draws.weighted(rhythm.hourWeights) - person.utcOffsetHours)
                let start = day * 86_400_000 + hour * 3_600_000 + draws.between(Int64(0), 3_599_999)
                if start >= lower && start <= latestStart { return start }
            }
            return draws.between(lower, latestStart)
        }

        /// Plans web visits; returns the start of the sign-up visit when the person signs up.
        private func planWeb(_ person: Person, into episodes: inout [Episode], random draws: inout Random) -> Int64? {
            let registered = person.registration.isRegistered
            let offlineOnly = !registered && person.loyaltyID != nil && draws.chance(0.4)
            var count = offlineOnly ? 0 : max(1, scaledCount(person, [1...3, 3...7, 7...16], random: &draws))
            if case .signsUp = person.registration { count = max(count, draws.chance(0.7) ? 2 : 1) }
            var starts = (0..<count).map { _ in randomStart(person, .online, random: &draws) }.sorted()

            var signUpTime: Int64?
            if case .signsUp = person.registration {
                let signUpIndex = count == 1 ? 0 : draws.between(1, count - 1)
                signUpTime = starts[signUpIndex]
                starts.remove(at: signUpIndex)
                var visit = webVisit(person, at: signUpTime!, order: episodes.count, random: &draws)
                if case .web(var web) = visit.activity {
                    web.isSignUp = true
                    web.browser = draws.below(person.browsers.count - (person.borrowsBrowser ? 1 : 0))
                    visit.activity = .web(web)
                }
                episodes.append(visit)
            }

            let ownBrowsers = person.browsers.count - (person.borrowsBrowser ? 1 : 0)
            for start in starts {
                var visit = webVisit(person, at: start, order: episodes.count, random: &draws)
                if case .web(var web) = visit.activity, ownBrowsers > 1 {
                    web.browser = draws.chance(0.6) ? 0 : 1
                    visit.activity = .web(web)
                }
                episodes.append(visit)
            }

            if registered && person.logsInEverywhere {
                let after = signUpTime ?? windowStart
                ensureVisitAfter(after, onEveryBrowserOf: person, episodes: &episodes, random: &draws)
            }
            return signUpTime
        }

        /// Adds a visit after `time` on each browser that has none, so that the person logs in on all.
        private func ensureVisitAfter(
            _ time: Int64, onEveryBrowserOf person: Person, episodes: inout [Episode], random draws: inout Random
        ) {
            for browser in person.browsers.indices {
                let used = episodes.contains { episode in
                    guard case .web(let web) = episode.activity else { return false }
                    return web.browser == browser && episode.start >= time
                }
                if used { continue }
                var visit = webVisit(
                    person, at: randomStart(person, .online, after: time + 1, random: &draws),
                    order: episodes.count, random: &draws)
                if case .web(var web) = visit.activity {
                    web.browser = browser
                    visit.activity = .web(web)
                }
                episodes.append(visit)
            }
        }

        /// A web visit on the person's first browser with its pages and shopping steps decided.
        private func webVisit(_ person: Person, at start: Int64, order: Int, random draws: inout Random) -> Episode {
            let browse = 1 + draws.weighted([30, 30, 20, 12, 8])
            let products = draws.weighted([35, 25, 20, 12, 8])
            let adds = products > 0 && draws.chance(0.35)
            let checkout = adds && draws.chance(0.5)
            let visit = WebVisit(
                browser: 0, campaign: draws.chance(0.3) ? draws.below(catalog.campaigns.count) : nil,
                referrer: draws.below(Catalog.externalReferrers.count), browsePages: browse, productPages: products,
                addsToCart: adds, startsCheckout: checkout, completesOrder: checkout && draws.chance(0.7))
            return Episode(start: start, activity: .web(visit), order: order)
        }

        private func planApp(_ person: Person, into episodes: inout [Episode], random draws: inout Random) {
            guard let app = person.app else { return }
            let installTime = app.installedEarlier ? windowStart : randomStart(person, .online, random: &draws)
            if !app.installedEarlier {
                episodes.append(appVisit(at: installTime, installs: true, order: episodes.count, random: &draws))
            }
            let sessions = scaledCount(person, [1...3, 3...8, 6...14], random: &draws)
            for _ in 0..<sessions {
                let start = randomStart(person, .online, after: installTime + 1, random: &draws)
                episodes.append(appVisit(at: start, installs: false, order: episodes.count, random: &draws))
            }
            guard draws.chance(0.7) else { return }
            for _ in 0..<scaledCount(person, [0...2, 1...4, 2...6], random: &draws) {
                let start = randomStart(person, .online, after: installTime + 1, random: &draws)
                let notice = PushNotice(campaign: draws.below(Catalog.pushCampaigns.count), tapped: draws.chance(0.3))
                episodes.append(Episode(start: start, activity: .push(notice), order: episodes.count))
                if notice.tapped {
                    let opened = start + draws.between(Int64(5_000), 90_000)
                    episodes.append(
                        appVisit(
                            at: opened, installs: false, fromPush: true, order: episodes.count,
                            random: &draws))
                }
            }
        }

        private func appVisit(
            at start: Int64, installs: Bool, fromPush: Bool = false, order: Int, random draws: inout Random
        ) -> Episode {
            let products = draws.weighted([40, 30, 20, 10])
            let visit = AppVisit(
                installs: installs, fromPush: fromPush, screens: 1 + draws.weighted([30, 35, 20, 15]),
                productScreens: products, completesOrder: products > 0 && draws.chance(0.12))
            return Episode(start: start, activity: .app(visit), order: order)
        }

        private func planStore(_ person: Person, into episodes: inout [Episode], random draws: inout Random) {
            guard person.loyaltyID != nil else { return }
            for _ in 0..<max(1, scaledCount(person, [1...2, 1...4, 3...7], random: &draws)) {
                let visit = StoreVisit(
                    store: draws.chance(0.75) ? person.homeStore : draws.pick(stores(in: person.market)),
                    linked: person.registration.isRegistered && draws.chance(0.45),
                    lines: 1 + draws.weighted([50, 30, 15, 5]))
                let start = randomStart(person, .shopping, random: &draws)
                episodes.append(Episode(start: start, activity: .store(visit), order: episodes.count))
            }
        }

        private func planContacts(_ person: Person, into episodes: inout [Episode], random draws: inout Random) {
            guard person.crmID != nil else { return }
            let first = randomStart(person, .nightlyExport, random: &draws)
            let syncs =
                draws.chance(0.3)
                ? [first, randomStart(person, .nightlyExport, after: first + 1, random: &draws)] : [first]
            for (number, start) in syncs.enumerated() {
                let sync = ContactSync(isUpdate: number > 0, identified: false, nationalPhone: draws.chance(0.5))
                episodes.append(Episode(start: start, activity: .contact(sync), order: episodes.count))
            }
        }

        private func registrationTime(_ registration: Registration, signUp: Int64?) -> Int64? {
            switch registration {
            case .never: return nil
            case .existing(let createdAt): return createdAt
            case .signsUp: return signUp
            }
        }

        /// Walks the episodes in time order and decides, from what has happened so far, which of them
        /// carry the user id, which log in, and which join the person's B2B account.
        ///
        /// - Returns: The number of messages all episodes make.
        private func assignIdentity(
            _ person: Person, registeredAt: Int64?, episodes: inout [Episode], random draws: inout Random
        ) -> Int {
            var knownBrowsers = Set<Int>()
            var appKnowsUser = false
            var joinedAccount = false
            var count = 0
            for index in episodes.indices {
                let start = episodes[index].start
                let registered = registeredAt.map { start >= $0 } ?? false
                switch episodes[index].activity {
                case .web(var web):
                    if web.isSignUp {
                        web.login = .signUp(alias: draws.chance(0.15))
                        knownBrowsers.insert(web.browser)
                    } else if registered && knownBrowsers.contains(web.browser) {
                        web.identified = true
                    } else if registered && (person.logsInEverywhere || draws.chance(0.8)) {
                        web.login = .signIn
                        knownBrowsers.insert(web.browser)
                    }
                    let knowsUser = web.identified || web.login != .none
                    if person.accountIndex != nil && knowsUser && !joinedAccount {
                        web.joinsAccount = true
                        joinedAccount = true
                    }
                    web.guestIdentify = web.completesOrder && !knowsUser && draws.chance(0.7)
                    episodes[index].activity = .web(web)
                    count += web.messageCount
                case .app(var app):
                    if appKnowsUser {
                        app.identified = true
                    } else if registered && draws.chance(0.85) {
                        app.signsIn = true
                        appKnowsUser = true
                    }
                    episodes[index].activity = .app(app)
                    count += app.messageCount
                case .push(var notice):
                    notice.identified = appKnowsUser
                    episodes[index].activity = .push(notice)
                    count += notice.messageCount
                case .store(var visit):
                    visit.linked = visit.linked && registered
                    episodes[index].activity = .store(visit)
                    count += 1
                case .contact(var sync):
                    sync.identified = registered && draws.chance(0.85)
                    episodes[index].activity = .contact(sync)
                    count += 1
                }
            }
            return count
        }
    }
}
