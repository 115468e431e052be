import Foundation
import Testing
import TesseraCore

@testable import TesseraCommands

@Suite("Demo history: channels, overlapping identities and fictional data")
struct DemoHistoryRealismTests {
    private let sample = DemoSample.standard

    @Test("every call type appears")
    func allTypes() {
        let types = Set(sample.messages.compactMap(\.type))
        #expect(types == ["page", "screen", "identify", "track", "group", "alias"])
    }

    @Test(
        "web, app, push, e-commerce and account events appear",
        arguments: [
            "Product Viewed", "Product Added", "Checkout Started", "Order Completed", "Signed Up", "Signed In",
            "Application Installed", "Application Opened", "Push Notification Received", "Push Notification Tapped",
        ])
    func eventAppears(event: String) {
        #expect(sample.messages.contains { $0.event == event })
    }

    @Test("orders arrive from the web shop, the app and the stores' tills")
    func ordersFromEveryChannel() {
        let channels = Set(sample.messages.filter { $0.event == "Order Completed" }.compactMap(\.channel))
        #expect(channels == ["browser", "mobile", "pos"])
    }

    @Test("each channel names its library")
    func librariesNameTheChannel() {
        var libraries: [String: Set<String>] = [:]
        for message in sample.messages {
            let name = message.json["context"]?["library"]?["name"]?.stringValue ?? ""
            libraries[message.channel ?? "", default: []].insert(name)
        }
        #expect(libraries["browser"] == ["analytics.js"])
        #expect(libraries["mobile"] == ["analytics-ios", "analytics-android"])
        #expect(libraries["pos"] == ["tessera-demo-pos"])
        #expect(libraries["crm"] == ["tessera-demo-crm"])
    }

    @Test("web calls carry the page, user agent, address and, for some visits, a UTM campaign")
    func webContext() {
        let web = sample.messages.filter { $0.channel == "browser" }
        for message in web {
            let context = message.json["context"]
            for key in ["path", "referrer", "search", "title", "url"] {
                #expect(context?["page"]?[key]?.stringValue != nil)
            }
            #expect(context?["userAgent"]?.stringValue?.hasPrefix("Mozilla/5.0") == true)
            #expect(context?["ip"]?.stringValue != nil)
        }
        let campaigns = web.compactMap { $0.json["context"]?["campaign"] }
        #expect(campaigns.count > 50)
        for campaign in campaigns {
            for key in ["name", "source", "medium", "content"] { #expect(campaign[key]?.stringValue != nil) }
        }
        #expect(campaigns.contains { $0["term"]?.stringValue != nil })
        let pages = web.filter { $0.type == "page" }
        #expect(pages.allSatisfy { ($0.json["properties"]?["timeOnPage"]?.intValue ?? 0) > 0 })
    }

    @Test("app calls carry device ids, advertising ids, the OS and the app")
    func mobileContext() {
        let mobile = sample.messages.filter { $0.channel == "mobile" }
        #expect(mobile.count > 100)
        for message in mobile {
            let context = message.json["context"]
            #expect(context?["device"]?["id"]?.stringValue != nil)
            #expect(context?["device"]?["manufacturer"]?.stringValue != nil)
            #expect(context?["device"]?["model"]?.stringValue != nil)
            #expect(["ios", "android"].contains(context?["device"]?["type"]?.stringValue ?? ""))
            #expect(context?["os"]?["name"]?.stringValue != nil)
            #expect(context?["app"]?["version"]?.stringValue != nil)
        }
        #expect(mobile.contains { $0.json["context"]?["device"]?["advertisingId"]?.stringValue != nil })
        #expect(sample.messages.filter { $0.type == "screen" }.count > 100)
    }

    @Test("till receipts carry the loyalty card and the store; some know only the card")
    func storePurchases() {
        let receipts = sample.messages.filter { $0.channel == "pos" }
        #expect(receipts.count > 50)
        for receipt in receipts {
            let ids = receipt.json["context"]?["externalIds"]?.arrayValue ?? []
            let card = ids.first { $0["type"]?.stringValue == "loyaltyId" }
            #expect(card?["collection"]?.stringValue == "users")
            #expect(card?["encoding"]?.stringValue == "none")
            #expect(card?["id"]?.stringValue?.count == 16)
            #expect(receipt.json["properties"]?["storeId"]?.stringValue != nil)
        }
        #expect(receipts.contains { $0.userID == nil })
        #expect(receipts.contains { $0.userID != nil })
    }

    @Test("CRM contacts carry CRM ids, addresses and phones in E.164 and national formats")
    func crmContacts() {
        let contacts = sample.messages.filter { $0.channel == "crm" }
        #expect(contacts.count > 30)
        for contact in contacts {
            #expect(contact.type == "identify")
            let ids = contact.json["context"]?["externalIds"]?.arrayValue ?? []
            #expect(ids.contains { $0["type"]?.stringValue == "crmId" })
            #expect(contact.json["traits"]?["address"]?["city"]?.stringValue != nil)
        }
        let phones = contacts.compactMap { $0.json["traits"]?["phone"]?.stringValue }
        #expect(phones.contains { $0.hasPrefix("+") })
        #expect(phones.contains { !$0.hasPrefix("+") })
    }

    @Test("people log in on two browsers, so some user ids have two or more anonymous ids")
    func userOnSeveralBrowsers() {
        let links = identityLinks()
        #expect(links.anonymousIDsByUser.values.contains { $0.count >= 2 })
    }

    @Test("a shared laptop shows one anonymous id with two user ids")
    func sharedLaptop() {
        let links = identityLinks()
        #expect(links.usersByAnonymousID.values.contains { $0.count >= 2 })
    }

    @Test("a shared family email is used by two user ids")
    func sharedEmail() {
        var usersByEmail: [String: Set<String>] = [:]
        for message in sample.messages where message.type == "identify" {
            guard let user = message.userID, let email = message.json["traits"]?["email"]?.stringValue else { continue }
            usersByEmail[email, default: []].insert(user)
        }
        #expect(usersByEmail.values.contains { $0.count >= 2 })
    }

    @Test("sign-ups happen after anonymous browsing on the same cookie")
    func anonymousBeforeSignUp() {
        let signUps = sample.messages.filter { $0.event == "Signed Up" }
        #expect(!signUps.isEmpty)
        let browsedFirst = signUps.filter { signUp in
            sample.messages(of: signUp.person).contains { message in
                message.anonymousID == signUp.anonymousID && message.userID == nil
                    && (message.timestamp ?? "") < (signUp.timestamp ?? "")
            }
        }
        #expect(!browsedFirst.isEmpty)
    }

    @Test("emails, web addresses, IP addresses and phone numbers are all fictional")
    func fictionalData() {
        let domains = ["example.com", "example.org", "example.net"]
        let ukPrefixes = DemoHistory.Catalog.ukPhoneRanges.map(\.e164)
        for message in sample.messages {
            let text = String(decoding: message.bytes, as: UTF8.self)
            for host in hosts(in: text) {
                #expect(domains.contains { host == $0 || host.hasSuffix("." + $0) }, "real-looking host \(host)")
            }
            if let email = message.json["traits"]?["email"]?.stringValue {
                #expect(domains.contains { email.hasSuffix("@" + $0) }, "real-looking email \(email)")
            }
            if let ip = message.json["context"]?["ip"]?.stringValue {
                let documentation = ["203.0.113.", "198.51.100.", "192.0.2.", "2001:db8:"]
                #expect(documentation.contains { ip.hasPrefix($0) }, "routable address \(ip)")
            }
            if let phone = message.json["traits"]?["phone"]?.stringValue, phone.hasPrefix("+") {
                let american = phone.hasPrefix("+1") && phone.count == 12 && phone.dropFirst(5).hasPrefix("55501")
                #expect(american || ukPrefixes.contains { phone.hasPrefix($0) }, "real-looking phone \(phone)")
            }
        }
    }

    @Test("no phone number belongs to two unrelated people")
    func phonesAreUnique() {
        var ownersByPhone: [String: Set<String>] = [:]
        for message in sample.messages where message.channel == "crm" {
            guard let phone = message.json["traits"]?["phone"]?.stringValue,
                let email = message.json["traits"]?["email"]?.stringValue
            else { continue }
            ownersByPhone[e164Digits(phone), default: []].insert(email)
        }
        #expect(!ownersByPhone.isEmpty)
        #expect(ownersByPhone.values.allSatisfy { $0.count == 1 })
    }

    private func identityLinks() -> (
        anonymousIDsByUser: [String: Set<String>], usersByAnonymousID: [String: Set<String>]
    ) {
        var anonymousIDsByUser: [String: Set<String>] = [:]
        var usersByAnonymousID: [String: Set<String>] = [:]
        for message in sample.messages where message.channel == "browser" {
            guard let user = message.userID, let anonymous = message.anonymousID else { continue }
            anonymousIDsByUser[user, default: []].insert(anonymous)
            usersByAnonymousID[anonymous, default: []].insert(user)
        }
        return (anonymousIDsByUser, usersByAnonymousID)
    }

    /// The digits of a phone number in international form: national UK numbers start with 0.
    private func e164Digits(_ phone: String) -> String {
        let digits = String(phone.filter(\.isNumber))
        if phone.hasPrefix("+") { return digits }
        return digits.hasPrefix("0") ? "44" + digits.dropFirst() : "1" + digits
    }

    /// The host names of every `http(s)://` address in `text`.
    private func hosts(in text: String) -> [String] {
        text.components(separatedBy: "://").dropFirst().map { rest in
            String(rest.prefix { $0 != "/" && $0 != "\"" && $0 != "?" })
        }
    }
}
