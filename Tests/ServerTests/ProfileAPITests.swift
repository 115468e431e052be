import Foundation
import JSONParsing
import Profiles
import TesseraCore
import TesseraTesting
import Testing

/// Identity resolution and unified profiles through the real HTTP API: records go in through the
/// collection routes, and the profile, timeline, explain, graph, lookup and unlink routes must tell
/// the story a person would expect.
@Suite struct ProfileAPITests {
    @Test("golden scenario", arguments: ProfileScenario.all)
    func golden(_ scenario: ProfileScenario) async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.play(scenario.records)
        for expected in scenario.profiles {
            try await server.verify(expected)
        }
        #expect(try await server.profileIDs(of: scenario.profiles).count == scenario.profiles.count)
        for pair in scenario.apart {
            try await server.verifyApart(pair)
        }
        for identity in scenario.unplaced {
            let (namespace, value) = ProfileScenario.split(identity)
            #expect(
                try await server.send("GET", "/v1/profiles/\(namespace)/\(value.encoded)", auth: .admin).status
                    == 404, "\(identity) is in no profile")
        }
    }

    @Test("blocked and invalid values cannot be read (400); explain says a blocked value links nothing")
    func blockedValues() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.play(ProfileScenario.blocked.records)
        for identity in ["userId:undefined", "email:null", "userId:%20Undefined%20"] {
            let (namespace, value) = ProfileScenario.split(identity)
            let answer = try await server.send("GET", "/v1/profiles/\(namespace)/\(value)", auth: .admin)
            #expect(answer.status == 400 && answer.json["error"]?["code"] == "invalid_identity", "\(identity)")
        }
        let explain = try await server.send(
            "GET", "/v1/identities/explain?from=userId:undefined&to=anonymousId:anon-k1", auth: .admin)
        #expect(explain.status == 200 && explain.json["joined"] == false)
        let reasons = explain.json["reasons"]?.arrayValue?.compactMap { $0["reason"]?.stringValue } ?? []
        #expect(reasons.contains("blockedValue"), "\(reasons)")
        let invalid = try await server.send("GET", "/v1/profiles/email/not-an-address", auth: .admin)
        #expect(invalid.status == 400 && invalid.json["error"]?["code"] == "invalid_identity")
    }

    @Test("lookup answers several identities in order, with null for unknown and invalid ones")
    func lookup() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.play(ProfileScenario.anonymousToKnown.records)
        let body: JSONValue = [
            "identities": [
                "email:JANE@example.com", "anonymousId:anon-a1", "userId:nobody", "email:not-an-address",
                ["namespace": "anonymousId", "value": "anon-b1"],
            ]
        ]
        let answer = try await server.send("POST", "/v1/profiles/lookup", body: body.serialized, auth: .admin)
        #expect(answer.status == 200)
        let results = try #require(answer.json["results"]?.arrayValue)
        #expect(results.count == 5)
        #expect(
            results.map { $0["identity"]?.stringValue } == [
                "email:JANE@example.com", "anonymousId:anon-a1", "userId:nobody", "email:not-an-address",
                "anonymousId:anon-b1",
            ])
        let profileID = try #require(results[0]["profile"]?["profileId"]?.intValue)
        #expect(results[1]["profile"]?["profileId"]?.intValue == profileID)
        #expect(results[4]["profile"]?["profileId"]?.intValue == profileID)
        #expect(results[2]["profile"] == .null && results[3]["profile"] == .null)
        #expect(results[0]["profile"]?["attributes"]?["firstName"] == "Jane")

        let malformed = try await server.send(
            "POST", "/v1/profiles/lookup", body: #"{"identities":["no-colon"]}"#, auth: .admin)
        #expect(malformed.status == 400 && malformed.json["error"]?["field"] == "identities[0]")
        let missing = try await server.send("POST", "/v1/profiles/lookup", body: "{}", auth: .admin)
        #expect(missing.status == 400)
        let many = JSONValue.object(["identities": .array(Array(repeating: "userId:u", count: 1_001))])
        #expect(try await server.send("POST", "/v1/profiles/lookup", body: many.serialized, auth: .admin).status == 400)
    }

    @Test("?fields= keeps the named nested paths; ?mergePolicy= names a policy or gets a 400")
    func fieldsAndMergePolicy() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let traits: JSONValue = [
            "firstName": "Ada", "plan": "pro",
            "address": ["city": "Lyon", "country": "FR", "geo": ["lat": 45.76, "lon": 4.83]],
        ]
        try await server.play([.segment("identify", "f-1", minute: 0, ["userId": "u-ada", "traits": traits])])
        let path = "/v1/profiles/userId/u-ada"
        let selected = try await server.send("GET", path + "?fields=address.city,address.geo.lat,plan", auth: .admin)
        #expect(selected.status == 200)
        #expect(selected.json["attributes"] == ["address": ["city": "Lyon", "geo": ["lat": 45.76]], "plan": "pro"])
        let nothing = try await server.send("GET", path + "?fields=address.street", auth: .admin)
        #expect(nothing.json["attributes"] == [:])
        #expect(nothing.json["identities"]?.arrayValue?.count == 1, "fields select attributes, not identities")

        let whole = try await server.send("GET", path + "?mergePolicy=latest", auth: .admin)
        #expect(whole.status == 200 && whole.json["mergePolicy"] == "latest")
        #expect(whole.json["attributes"]?["address"]?["country"] == "FR")
        let unknown = try await server.send("GET", path + "?mergePolicy=crm-first", auth: .admin)
        #expect(unknown.status == 400 && unknown.json["error"]?["field"] == "mergePolicy")
    }

    @Test("a profile is read by its id; a merged-away id leads to the survivor; unknown ids are 404")
    func profileByID() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.play([
            .segment("identify", "m-1", minute: 0, ["userId": "u-merge", "traits": ["plan": "basic"]]),
            .segment("page", "m-2", minute: 1, ["anonymousId": "anon-merge"]),
        ])
        let older = try #require(try await server.profile("userId:u-merge")["profileId"]?.intValue)
        let younger = try #require(try await server.profile("anonymousId:anon-merge")["profileId"]?.intValue)
        #expect(older < younger)
        try await server.play([
            .segment("identify", "m-3", minute: 2, ["userId": "u-merge", "anonymousId": "anon-merge"])
        ])
        for id in [older, younger] {
            let answer = try await server.send("GET", "/v1/profiles/\(id)", auth: .admin)
            #expect(answer.status == 200)
            #expect(answer.json["profileId"]?.intValue == older, "the older profile survives")
            #expect(answer.json["identities"]?.arrayValue?.count == 2)
            #expect(answer.json["computed"]?["eventCounts"]?["page"] == 1, "the page view came along")
        }
        let timeline = try await server.timeline(of: "anonymousId:anon-merge")
        #expect(timeline == ["m-3", "m-2", "m-1"])
        #expect(try await server.send("GET", "/v1/profiles/9999", auth: .admin).status == 404)
        #expect(try await server.send("GET", "/v1/profiles/0", auth: .admin).status == 404)
        #expect(try await server.send("GET", "/v1/profiles/userId/nobody", auth: .admin).status == 404)
    }

    @Test("explain gives the chain of links with each link's record, source and rule")
    func explainProvenance() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.play(ProfileScenario.anonymousToKnown.records)
        let events = try await server.allEvents()
        let signUp = try #require(events.first { $0["messageId"] == "s1-signup" })
        let login = try #require(events.first { $0["messageId"] == "s1-login" })

        let answer = try await server.explain("anonymousId:anon-a1", "anonymousId:anon-b1")
        #expect(answer["joined"] == true)
        #expect(answer["reasons"] == [])
        let path = try #require(answer["path"]?.arrayValue)
        #expect(path.map { $0["from"]?.stringValue ?? "" } == ["anonymousId:anon-a1", "userId:u-jane"])
        #expect(path.map { $0["to"]?.stringValue ?? "" } == ["userId:u-jane", "anonymousId:anon-b1"])
        #expect(path.allSatisfy { $0["state"] == "active" })
        #expect(path[0]["provenance"]?["record"] == signUp["sequence"])
        #expect(path[1]["provenance"]?["record"] == login["sequence"])
        #expect(path[0]["provenance"]?["source"] == signUp["sourceId"])
        #expect(path.allSatisfy { $0["provenance"]?["rule"] == "record" })
        #expect(path[0]["provenance"]?["time"] == .string(ProfileScenario.time(2)), "the record's event time")

        let email = try await server.explain("email:Jane@Example.com", "userId:u-jane")
        #expect(email["joined"] == true && email["from"] == "email:jane@example.com", "values are normalised")
        let stranger = try await server.explain("anonymousId:anon-a1", "userId:stranger")
        #expect(stranger["joined"] == false)
        #expect(stranger["reasons"]?[0] == ["reason": "unknownIdentity", "identity": "userId:stranger"])
        let noColon = try await server.send("GET", "/v1/identities/explain?from=anon&to=userId:u", auth: .admin)
        #expect(noColon.status == 400 && noColon.json["error"]?["field"] == "from")
    }

    @Test("the graph route lists a profile's identities and its links in every state, with provenance")
    func graphRoute() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.play(ProfileScenario.sharedBrowser.records)
        let answer = try await server.send("GET", "/v1/profiles/userId/u-ann/graph", auth: .admin)
        #expect(answer.status == 200)
        let identities = Set(answer.json["identities"]?.arrayValue?.compactMap { $0["identity"]?.stringValue } ?? [])
        #expect(identities == ["userId:u-ann", "anonymousId:anon-shared", "email:ann@example.com"])
        let links = try #require(answer.json["links"]?.arrayValue)
        let states = Dictionary(
            links.map { (ProfileScenario.pair($0["from"], $0["to"]), $0["state"]?.stringValue ?? "") },
            uniquingKeysWith: { first, _ in first })
        #expect(states[ProfileScenario.pair("userId:u-ann", "anonymousId:anon-shared")] == "active")
        #expect(states[ProfileScenario.pair("userId:u-ann", "email:ann@example.com")] == "active")
        #expect(states[ProfileScenario.pair("userId:u-bob", "anonymousId:anon-shared")] == "refused")
        let refused = try #require(links.first { $0["state"] == "refused" })
        #expect(refused["refusal"] == ["reason": "uniqueConflict", "namespace": "userId"])
        #expect(refused["provenance"]?["record"]?.intValue != nil)
        #expect(try await server.send("GET", "/v1/profiles/userId/nobody/graph", auth: .admin).status == 404)
    }

    @Test("a profile read right after the collection request's 200 already shows the record")
    func readYourWrites() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        for step in 1...15 {
            let identify: JSONValue = ["userId": "u-ryw", "traits": ["visits": .int(Int64(step))]]
            #expect(try await server.send("POST", "/v1/identify", body: identify.serialized).status == 200)
            let profile = try await server.profile("userId:u-ryw")
            #expect(profile["attributes"]?["visits"]?.intValue == Int64(step))
            let track: JSONValue = ["anonymousId": .string("anon-ryw-\(step)"), "userId": "u-ryw", "event": "Tick"]
            #expect(try await server.send("POST", "/v1/track", body: track.serialized).status == 200)
            let ticked = try await server.profile("anonymousId:anon-ryw-\(step)")
            #expect(ticked["computed"]?["eventCounts"]?["Tick"]?.intValue == Int64(step))
            #expect(ticked["identities"]?.arrayValue?.count == step + 1)
        }
    }

    @Test("a restart keeps profiles and rebuilds the graph: explain, new links and refusals still work")
    func restart() async throws {
        let first = try await RunningServer()
        try await first.play(ProfileScenario.sharedBrowser.records + ProfileScenario.posLoyalty.records)
        let before = try await first.profile("email:shopper@example.com")
        let annBefore = try await first.profile("userId:u-ann")
        let bobBefore = try await first.profile("userId:u-bob")
        first.stop()

        let second = try await RunningServer(directory: first.directory)
        defer { second.finish() }
        let after = try await second.profile("email:shopper@example.com")
        #expect(after == before)
        #expect(try await second.profile("userId:u-bob") == bobBefore)
        let explained = try await second.explain("userId:u-ann", "userId:u-bob")
        #expect(explained["joined"] == false)
        #expect(ProfileScenario.hasReason("refused:userId", in: explained))
        let joined = try await second.explain("anonymousId:receipt-0001", "email:shopper@example.com")
        #expect(joined["joined"] == true && joined["path"]?.arrayValue?.isEmpty == false)

        try await second.play([
            .segment("page", "r-1", minute: 90, ["anonymousId": "anon-shared"]),
            .segment("identify", "r-2", minute: 91, ["anonymousId": "anon-new", "userId": "u-bob"]),
            .segment("identify", "r-3", minute: 92, ["anonymousId": "anon-shared", "userId": "u-bob"]),
        ])
        #expect(try await second.timeline(of: "userId:u-ann").first == "r-1", "the cookie still leads to Ann")
        let bob = try await second.profile("anonymousId:anon-new")
        #expect(bob["profileId"] == bobBefore["profileId"], "the rebuilt graph links to the old profile")
        let shared = try await second.profile("anonymousId:anon-shared")
        #expect(shared["profileId"] == annBefore["profileId"], "the unique conflict is still refused")
        #expect(shared["identities"] == annBefore["identities"])
    }

    @Test("unlink splits a profile: identities, events and computed attributes follow their parts")
    func unlinkSplits() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        try await server.play(ProfileScenario.splitting)
        let whole = try await server.profile("userId:u-kim")
        #expect(whole["identities"]?.arrayValue?.count == 4)
        #expect(whole["computed"]?["orderCount"] == 1 && whole["computed"]?["eventCounts"]?["page"] == 2)

        let unlink = #"{"from":"userId:u-kim","to":"email:KIM@example.com"}"#
        let answer = try await server.send("POST", "/v1/identities/unlink", body: unlink, auth: .admin)
        #expect(answer.status == 200)
        #expect(answer.json["split"] == true && answer.json["parts"]?.arrayValue?.count == 2)
        #expect(answer.json["parts"]?[0]?["profile"] == whole["profileId"], "the part with the oldest identity")

        let kim = ExpectedProfile(
            identities: ["anonymousId:anon-k-web", "userId:u-kim"],
            attributes: ["firstName": "Kim", "email": "kim@example.com"], without: ["newsletter"],
            computed: ["orderCount": 1, "eventCount": 2, "eventCounts/page": 1, "lifetimeValue/USD": 30],
            timeline: ["k-order", "k-signup", "k-page-web"])
        let inbox = ExpectedProfile(
            identities: ["email:kim@example.com", "anonymousId:anon-k-mail"],
            attributes: ["newsletter": true], without: ["firstName"],
            computed: ["orderCount": 0, "eventCount": 1, "eventCounts/page": 1], timeline: ["k-page-mail", "k-news"])
        try await server.verify(kim)
        try await server.verify(inbox)
        let explained = try await server.explain("userId:u-kim", "email:kim@example.com")
        #expect(ProfileScenario.hasReason("unlinked", in: explained))

        try await server.play([
            .segment("identify", "k-again", minute: 20, ["userId": "u-kim", "traits": ["email": "kim@example.com"]])
        ])
        #expect(
            try await server.explain("userId:u-kim", "email:kim@example.com")["joined"] == false,
            "new evidence does not make an unlinked link again")
        let repeated = try await server.send("POST", "/v1/identities/unlink", body: unlink, auth: .admin)
        #expect(repeated.status == 404)

        let remove = try await server.send(
            "POST", "/v1/identities/unlink", body: #"{"identity":"anonymousId:anon-k-mail"}"#, auth: .admin)
        #expect(remove.status == 200 && remove.json["changed"] == true)
        try await server.verify(
            ExpectedProfile(
                identities: ["anonymousId:anon-k-mail"], computed: ["eventCount": 1, "eventCounts/page": 1],
                timeline: ["k-page-mail"]))
        try await server.verify(
            ExpectedProfile(
                identities: ["email:kim@example.com"], attributes: ["newsletter": true],
                computed: ["eventCount": 0], timeline: ["k-news"]))
        let bad = try await server.send("POST", "/v1/identities/unlink", body: #"{"from":"x"}"#, auth: .admin)
        #expect(bad.status == 400)
    }

    @Test("unlinks and removals survive a restart: the rebuilt graph keeps the parts and their ids")
    func splitSurvivesRestart() async throws {
        let first = try await RunningServer()
        try await first.play(ProfileScenario.splitting)
        let unlink = #"{"from":"userId:u-kim","to":"email:kim@example.com"}"#
        #expect(try await first.send("POST", "/v1/identities/unlink", body: unlink, auth: .admin).status == 200)
        let remove = #"{"identity":"anonymousId:anon-k-mail"}"#
        #expect(try await first.send("POST", "/v1/identities/unlink", body: remove, auth: .admin).status == 200)
        let identities = ["userId:u-kim", "email:kim@example.com", "anonymousId:anon-k-mail"]
        var before: [String: JSONValue] = [:]
        for identity in identities { before[identity] = try await first.profile(identity) }
        first.stop()

        let second = try await RunningServer(directory: first.directory)
        defer { second.finish() }
        for identity in identities {
            #expect(try await second.profile(identity) == before[identity], "\(identity)")
        }
        try await second.play([
            .segment("page", "k-after-1", minute: 30, ["anonymousId": "anon-k-mail"]),
            .segment(
                "identify", "k-after-2", minute: 31,
                ["anonymousId": "anon-k-mail", "traits": ["email": "kim@example.com"]]),
            .segment(
                "identify", "k-after-3", minute: 32,
                ["anonymousId": "anon-k-other", "traits": ["email": "kim@example.com"]]),
        ])
        let mail = try await second.profile("anonymousId:anon-k-mail")
        #expect(mail["profileId"] == before["anonymousId:anon-k-mail"]?["profileId"])
        #expect(mail["identities"]?.arrayValue?.count == 1, "a removed identity does not rejoin its old profile")
        #expect(try await second.timeline(of: "anonymousId:anon-k-mail") == ["k-after-1", "k-page-mail"])
        #expect(try await second.timeline(of: "email:kim@example.com") == ["k-after-3", "k-after-2", "k-news"])
        #expect(try await second.explain("userId:u-kim", "email:kim@example.com")["joined"] == false)
        let inbox = try await second.profile("anonymousId:anon-k-other")
        #expect(inbox["profileId"] == before["email:kim@example.com"]?["profileId"])
    }

    @Test("a source-precedence merge policy prefers the CRM's value; the default policy the latest")
    func sourcePrecedence() async throws {
        let crmFirst = MergePolicy(name: "crm-first", kind: .sourcePrecedence([.name("crm")]))
        let server = try await RunningServer { configuration in
            configuration.profiles.mergePolicies = try! MergePolicies(
                policies: [.latest, crmFirst], defaultName: "latest")
        }
        defer { server.finish() }
        let added = try await server.send("POST", "/v1/sources", body: #"{"name":"crm"}"#, auth: .admin)
        let crmKey = try #require(added.json["writeKey"]?.stringValue)
        let fromCRM = Sent.segment(
            "identify", "p-crm", minute: 0, ["userId": "u-rob", "traits": ["firstName": "Robert", "tier": "gold"]])
        #expect(
            try await server.send("POST", fromCRM.route, body: fromCRM.body.serialized, auth: .basic(crmKey)).status
                == 200)
        try await server.play([
            .segment("identify", "p-web", minute: 5, ["userId": "u-rob", "traits": ["firstName": "Bob"]])
        ])
        let latest = try await server.profile("userId:u-rob")
        #expect(latest["attributes"]?["firstName"] == "Bob" && latest["mergePolicy"] == "latest")
        let answer = try await server.send("GET", "/v1/profiles/userId/u-rob?mergePolicy=crm-first", auth: .admin)
        #expect(answer.json["attributes"]?["firstName"] == "Robert" && answer.json["mergePolicy"] == "crm-first")
        #expect(answer.json["attributes"]?["tier"] == "gold")
    }

    @Test("the timeline pages newest first with a `next` cursor")
    func timelinePaging() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let views = (0..<5).map { Sent.segment("page", "p-\($0)", minute: $0, ["anonymousId": "anon-pager"]) }
        try await server.play([Sent.batch(views)])
        let path = "/v1/profiles/anonymousId/anon-pager/events?limit=2"
        let first = try await server.send("GET", path, auth: .admin).json
        #expect(first["events"]?.arrayValue?.map { $0["messageId"] } == ["p-4", "p-3"])
        let next = try #require(first["next"]?.intValue)
        let second = try await server.send("GET", path + "&before=\(next)", auth: .admin).json
        #expect(second["events"]?.arrayValue?.map { $0["messageId"] } == ["p-2", "p-1"])
        let last = try await server.send(
            "GET", path + "&before=\(try #require(second["next"]?.intValue))", auth: .admin)
        #expect(last.json["events"]?.arrayValue?.map { $0["messageId"] } == ["p-0"] && last.json["next"] == .null)
        #expect(try await server.send("GET", path + "&before=-3", auth: .admin).status == 400)
        #expect(try await server.send("GET", path + "&limit=0", auth: .admin).status == 400)
    }

    @Test("profile and identity routes need the admin token")
    func adminOnly() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        for (method, path) in [
            ("GET", "/v1/profiles/userId/u"), ("GET", "/v1/profiles/1"), ("GET", "/v1/profiles/userId/u/events"),
            ("GET", "/v1/profiles/userId/u/graph"), ("POST", "/v1/profiles/lookup"),
            ("GET", "/v1/identities/explain?from=userId:a&to=userId:b"), ("POST", "/v1/identities/unlink"),
        ] {
            #expect(try await server.send(method, path, body: "{}", auth: .writeKey).status == 401, "\(path)")
        }
    }
}

// MARK: - Scenarios

/// A record sent in a scenario: the route and its JSON body.
struct Sent: Sendable {
    var route: String
    var body: JSONValue

    /// A Segment call with a message id and an event time `minute` minutes into the scenario.
    static func segment(_ call: String, _ messageID: String, minute: Int, _ fields: [String: JSONValue]) -> Sent {
        var body = fields
        body["messageId"] = .string(messageID)
        body["timestamp"] = .string(ProfileScenario.time(minute))
        return Sent(route: "/v1/" + call, body: .object(body))
    }

    /// Segment calls sent together through `/v1/batch`.
    static func batch(_ calls: [Sent]) -> Sent {
        let items = calls.map { call -> JSONValue in
            var members = call.body.objectValue ?? [:]
            members["type"] = .string(String(call.route.dropFirst("/v1/".count)))
            return .object(members)
        }
        return Sent(route: "/v1/batch", body: ["batch": .array(items)])
    }

    /// An XDM entity in a streaming envelope naming its class.
    static func xdm(_ entity: JSONValue, schema: String) -> Sent {
        let reference: JSONValue = ["id": .string(schema)]
        let envelope: JSONValue = [
            "header": ["schemaRef": reference], "body": ["xdmMeta": ["schemaRef": reference], "xdmEntity": entity],
        ]
        return Sent(route: "/v1/xdm", body: envelope)
    }

    /// One Segment `context.externalIds` item.
    static func externalID(_ type: String, _ id: String) -> JSONValue {
        ["id": .string(id), "type": .string(type), "collection": "users", "encoding": "none"]
    }
}

/// What one profile must look like after a scenario.
struct ExpectedProfile: Sendable {
    /// Every identity of the profile, as NAMESPACE:VALUE (normalised).
    var identities: Set<String>
    /// Merged attributes: path (keys joined by `/`) → value.
    var attributes: [String: JSONValue] = [:]
    /// Attribute paths the profile must not have.
    var without: [String] = []
    /// Computed attributes: path (keys joined by `/`) → value.
    var computed: [String: JSONValue] = [:]
    /// Message ids on the timeline, newest first; nil to leave the timeline unchecked.
    var timeline: [String]? = nil
}

/// Two identities that must be in different profiles, and a reason explain must give.
struct Apart: Sendable {
    var from: String
    var to: String
    /// `refused:<namespace>` (a unique conflict), or a reason name (`noPath`, `evicted`, `unlinked`).
    var reason: String
}

/// A story of records and the profiles it must leave behind.
struct ProfileScenario: Sendable, CustomTestStringConvertible {
    var name: String
    var records: [Sent]
    var profiles: [ExpectedProfile]
    var apart: [Apart] = []
    /// Identities that must lead to no profile.
    var unplaced: [String] = []

    var testDescription: String { name }

    static let all: [ProfileScenario] = [
        anonymousToKnown, sharedBrowser, familyEmail, twoCRMIDs, alias, posLoyalty, xdmProfile, blocked, eviction,
    ]

    /// 2024-05-01T10:00:00Z, the start of every scenario's clock.
    static let start = Timestamp(milliseconds: 1_714_557_600_000)

    static func time(_ minute: Int) -> String {
        start.adding(milliseconds: Int64(minute) * 60_000).iso8601
    }

    static let anonymousToKnown = ProfileScenario(
        name: "anonymous browsing, sign-up, then login on a second device make one person",
        records: [
            .segment("page", "s1-page", minute: 0, ["anonymousId": "anon-a1", "name": "Home"]),
            .segment("track", "s1-view", minute: 1, ["anonymousId": "anon-a1", "event": "Product Viewed"]),
            .segment(
                "identify", "s1-signup", minute: 2,
                [
                    "anonymousId": "anon-a1", "userId": "u-jane",
                    "traits": ["email": "Jane@Example.com", "firstName": "Jane"],
                ]),
            .segment(
                "identify", "s1-login", minute: 3,
                ["anonymousId": "anon-b1", "userId": "u-jane", "traits": ["plan": "pro"]]),
            .segment("page", "s1-page2", minute: 4, ["anonymousId": "anon-b1"]),
        ],
        profiles: [
            ExpectedProfile(
                identities: ["anonymousId:anon-a1", "anonymousId:anon-b1", "userId:u-jane", "email:jane@example.com"],
                attributes: ["firstName": "Jane", "email": "Jane@Example.com", "plan": "pro"],
                computed: [
                    "eventCount": 3, "eventCounts/page": 2, "eventCounts/Product Viewed": 1,
                    "firstSeen": .string(time(0)), "lastSeen": .string(time(4)),
                ],
                timeline: ["s1-page2", "s1-login", "s1-signup", "s1-view", "s1-page"])
        ])

    static let sharedBrowser = ProfileScenario(
        name: "logout and another person's login on the same browser keep two people",
        records: [
            .segment(
                "identify", "s2-ann", minute: 0,
                [
                    "anonymousId": "anon-shared", "userId": "u-ann",
                    "traits": ["firstName": "Ann", "email": "ann@example.com"],
                ]),
            .segment(
                "track", "s2-order", minute: 1,
                [
                    "anonymousId": "anon-shared", "userId": "u-ann", "event": "Order Completed",
                    "properties": ["revenue": 20, "currency": "USD"],
                ]),
            .segment(
                "identify", "s2-bob", minute: 2,
                ["anonymousId": "anon-shared", "userId": "u-bob", "traits": ["firstName": "Bob"]]),
            .segment(
                "track", "s2-view", minute: 3, ["anonymousId": "anon-shared", "userId": "u-bob", "event": "Viewed"]),
        ],
        profiles: [
            ExpectedProfile(
                identities: ["userId:u-ann", "anonymousId:anon-shared", "email:ann@example.com"],
                attributes: ["firstName": "Ann"],
                computed: ["orderCount": 1, "lifetimeValue/USD": 20], timeline: ["s2-order", "s2-ann"]),
            ExpectedProfile(
                identities: ["userId:u-bob"], attributes: ["firstName": "Bob"], without: ["email"],
                computed: ["orderCount": 0, "eventCounts/Viewed": 1], timeline: ["s2-view", "s2-bob"]),
        ],
        apart: [
            Apart(from: "userId:u-ann", to: "userId:u-bob", reason: "refused:userId"),
            Apart(from: "anonymousId:anon-shared", to: "userId:u-bob", reason: "refused:userId"),
        ])

    static let familyEmail = ProfileScenario(
        name: "a shared family email does not join two users",
        records: [
            .segment(
                "identify", "s3-mia", minute: 0,
                ["userId": "u-mia", "traits": ["email": "family@example.com", "firstName": "Mia"]]),
            .segment(
                "identify", "s3-leo", minute: 1,
                ["userId": "u-leo", "traits": ["email": "Family@Example.com", "firstName": "Leo"]]),
        ],
        profiles: [
            ExpectedProfile(
                identities: ["userId:u-mia", "email:family@example.com"], attributes: ["firstName": "Mia"],
                timeline: ["s3-mia"]),
            ExpectedProfile(identities: ["userId:u-leo"], attributes: ["firstName": "Leo"], timeline: ["s3-leo"]),
        ],
        apart: [
            Apart(from: "userId:u-mia", to: "userId:u-leo", reason: "refused:userId"),
            Apart(from: "email:family@example.com", to: "userId:u-leo", reason: "refused:userId"),
        ])

    static let twoCRMIDs = ProfileScenario(
        name: "two CRM ids reaching one cookie are not merged",
        records: [
            .segment(
                "page", "s4-first", minute: 0,
                ["anonymousId": "anon-crm", "context": ["externalIds": [Sent.externalID("crmId", "CRM-1")]]]),
            .segment(
                "page", "s4-second", minute: 1,
                ["anonymousId": "anon-crm", "context": ["externalIds": [Sent.externalID("crmId", "CRM-2")]]]),
        ],
        profiles: [
            ExpectedProfile(identities: ["anonymousId:anon-crm", "crmId:CRM-1"], timeline: ["s4-first"]),
            ExpectedProfile(identities: ["crmId:CRM-2"], timeline: ["s4-second"]),
        ],
        apart: [Apart(from: "crmId:CRM-1", to: "crmId:CRM-2", reason: "refused:crmId")])

    static let alias = ProfileScenario(
        name: "alias links the previous anonymous id to the user",
        records: [
            .segment("page", "s5-page", minute: 0, ["anonymousId": "anon-old"]),
            .segment("alias", "s5-alias", minute: 1, ["previousId": "anon-old", "userId": "u-alias"]),
            .segment(
                "identify", "s5-identify", minute: 2, ["userId": "u-alias", "traits": ["email": "al@example.com"]]),
        ],
        profiles: [
            ExpectedProfile(
                identities: ["anonymousId:anon-old", "userId:u-alias", "email:al@example.com"],
                computed: ["eventCounts/page": 1], timeline: ["s5-identify", "s5-alias", "s5-page"])
        ])

    static let posLoyalty = ProfileScenario(
        name: "POS purchases with a loyalty card land on the CRM person the card is later linked to",
        records: [
            .segment(
                "track", "s6-pos-1", minute: 0,
                [
                    "anonymousId": "receipt-0001", "event": "Order Completed",
                    "properties": ["orderId": "R-1", "revenue": 42.5, "currency": "EUR"],
                    "context": ["externalIds": [Sent.externalID("loyaltyId", "LOY-778899")]],
                ]),
            .segment(
                "track", "s6-pos-2", minute: 5,
                [
                    "anonymousId": "receipt-0002", "event": "Order Completed",
                    "properties": ["orderId": "R-2", "revenue": 17.5, "currency": "EUR"],
                    "context": ["externalIds": [Sent.externalID("loyaltyId", "LOY-778899")]],
                ]),
            .segment(
                "identify", "s6-crm", minute: 30,
                [
                    "userId": "crm-1001", "traits": ["email": "Shopper@Example.com", "tier": "gold"],
                    "context": [
                        "externalIds": [Sent.externalID("crmId", "C-1001"), Sent.externalID("loyaltyId", "LOY-778899")]
                    ],
                ]),
        ],
        profiles: [
            ExpectedProfile(
                identities: [
                    "anonymousId:receipt-0001", "anonymousId:receipt-0002", "loyaltyId:LOY-778899", "userId:crm-1001",
                    "crmId:C-1001", "email:shopper@example.com",
                ],
                attributes: ["tier": "gold"],
                computed: [
                    "orderCount": 2, "lifetimeValue/EUR": 60, "firstOrderAt": .string(time(0)),
                    "lastOrderAt": .string(time(5)),
                ],
                timeline: ["s6-crm", "s6-pos-2", "s6-pos-1"])
        ])

    static let ecid = "12345678901234567890123456789012345678"

    static let xdmProfile = ProfileScenario(
        name: "an XDM profile's identityMap makes one person, and a later ExperienceEvent lands on it",
        records: [
            .xdm(
                [
                    "_id": "xdm-profile-1",
                    "identityMap": [
                        "ECID": [["id": .string(ecid), "authenticatedState": "ambiguous", "primary": true]],
                        "Email": [["id": "Riya.Shah@Example.org", "authenticatedState": "authenticated"]],
                        "Phone": [["id": "+1 650-253-0000"]],
                    ],
                    "person": ["name": ["firstName": "Riya", "lastName": "Shah"]],
                    "homeAddress": ["city": "Mountain View", "country": "US"],
                ], schema: "https://ns.adobe.com/xdm/context/profile"),
            .xdm(
                [
                    "_id": "xdm-event-1", "timestamp": .string(time(10)), "eventType": "commerce.purchases",
                    "identityMap": ["ECID": [["id": .string(ecid), "primary": true]]],
                    "commerce": ["purchases": ["value": 1], "order": ["priceTotal": 99.9, "currencyCode": "USD"]],
                ], schema: "https://ns.adobe.com/xdm/context/experienceevent"),
        ],
        profiles: [
            ExpectedProfile(
                identities: ["ecid:\(ecid)", "email:riya.shah@example.org", "phone:+16502530000"],
                attributes: ["person/name/firstName": "Riya", "homeAddress/city": "Mountain View"],
                without: ["identityMap"],
                computed: ["orderCount": 1, "lifetimeValue/USD": 99.9, "eventCounts/commerce.purchases": 1],
                timeline: ["xdm-event-1", "xdm-profile-1"])
        ])

    static let blocked = ProfileScenario(
        name: "placeholder values such as userId \"undefined\" and email \"null\" link nothing",
        records: [
            .segment(
                "identify", "s8-one", minute: 0,
                ["userId": "undefined", "anonymousId": "anon-k1", "traits": ["email": "null", "firstName": "Kai"]]),
            .segment(
                "identify", "s8-two", minute: 1,
                ["userId": " Undefined ", "anonymousId": "anon-k2", "traits": ["email": "NULL", "firstName": "Noa"]]),
        ],
        profiles: [
            ExpectedProfile(
                identities: ["anonymousId:anon-k1"], attributes: ["firstName": "Kai"], timeline: ["s8-one"]),
            ExpectedProfile(
                identities: ["anonymousId:anon-k2"], attributes: ["firstName": "Noa"], timeline: ["s8-two"]),
        ],
        apart: [Apart(from: "anonymousId:anon-k1", to: "anonymousId:anon-k2", reason: "noPath")])

    /// One user seen with 51 browsers: past the default limit of 50 identities, the two least
    /// recently seen cookies are evicted.
    static let eviction = ProfileScenario(
        name: "a profile past 50 identities evicts its least recently seen anonymous ids",
        records: [
            .batch(
                (0...50).map {
                    Sent.segment(
                        "identify", "s10-\($0)", minute: $0, ["userId": "u-many", "anonymousId": .string("anon-\($0)")])
                })
        ],
        profiles: [
            ExpectedProfile(
                identities: Set(["userId:u-many"] + (2...50).map { "anonymousId:anon-\($0)" }),
                computed: ["lastSeen": .string(time(50))])
        ],
        apart: [
            Apart(from: "anonymousId:anon-0", to: "userId:u-many", reason: "evicted"),
            Apart(from: "anonymousId:anon-1", to: "anonymousId:anon-2", reason: "evicted"),
        ],
        unplaced: ["anonymousId:anon-0", "anonymousId:anon-1"])

    /// A person whose email later proves to belong to a different inbox owner.
    static let splitting: [Sent] = [
        .segment("page", "k-page-web", minute: 0, ["anonymousId": "anon-k-web"]),
        .segment(
            "identify", "k-signup", minute: 1,
            [
                "anonymousId": "anon-k-web", "userId": "u-kim",
                "traits": ["email": "kim@example.com", "firstName": "Kim"],
            ]),
        .segment(
            "identify", "k-news", minute: 2,
            ["anonymousId": "anon-k-mail", "traits": ["email": "kim@example.com", "newsletter": true]]),
        .segment("page", "k-page-mail", minute: 3, ["anonymousId": "anon-k-mail"]),
        .segment(
            "track", "k-order", minute: 4,
            ["userId": "u-kim", "event": "Order Completed", "properties": ["revenue": 30, "currency": "USD"]]),
    ]

    /// `namespace` and `value` of NAMESPACE:VALUE.
    static func split(_ identity: String) -> (String, String) {
        let parsed = identity.split(separator: ":", maxSplits: 1).map(String.init)
        return (parsed[0], parsed.count > 1 ? parsed[1] : "")
    }

    /// An unordered pair of identities, as a key.
    static func pair(_ first: JSONValue?, _ second: JSONValue?) -> Set<String> {
        [first?.stringValue ?? "", second?.stringValue ?? ""]
    }

    static func pair(_ first: String, _ second: String) -> Set<String> { [first, second] }

    /// Whether an explanation gives `reason` (see `Apart.reason`).
    static func hasReason(_ reason: String, in explanation: JSONValue) -> Bool {
        let reasons = explanation["reasons"]?.arrayValue ?? []
        if reason.hasPrefix("refused:") {
            let namespace = String(reason.dropFirst("refused:".count))
            return reasons.contains {
                $0["reason"] == "refused" && $0["link"]?["refusal"]?["reason"] == "uniqueConflict"
                    && $0["link"]?["refusal"]?["namespace"] == .string(namespace)
            }
        }
        return reasons.contains { $0["reason"] == .string(reason) }
    }

    /// Whether two JSON values are equal, numbers compared by value (`60` equals `60.0`).
    static func same(_ actual: JSONValue?, _ expected: JSONValue) -> Bool {
        if let number = expected.doubleValue, let other = actual?.doubleValue {
            return abs(number - other) < 1e-9
        }
        return actual == expected
    }

    /// The value at a `/`-separated path.
    static func value(at path: String, in json: JSONValue?) -> JSONValue? {
        path.split(separator: "/").reduce(json) { node, key in node?[String(key)] }
    }
}

// MARK: - Driving the server

extension String {
    /// Percent-encoded for a path segment or a query value: `+` and `@` would otherwise change meaning.
    fileprivate var encoded: String {
        addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "-._~").union(.alphanumerics))
            ?? self
    }
}

extension RunningServer {
    /// Sends every record, expecting each request to be accepted whole.
    fileprivate func play(_ records: [Sent]) async throws {
        for record in records {
            let answer = try await send("POST", record.route, body: record.body.serialized)
            #expect(answer.status == 200, "\(record.route): \(answer.text)")
            #expect(answer.json["rejected"]?.arrayValue?.isEmpty ?? true, "\(answer.text)")
        }
    }

    /// The profile of an identity given as NAMESPACE:VALUE; fails the test unless it exists.
    fileprivate func profile(_ identity: String) async throws -> JSONValue {
        let (namespace, value) = ProfileScenario.split(identity)
        let answer = try await send("GET", "/v1/profiles/\(namespace)/\(value.encoded)", auth: .admin)
        try #require(answer.status == 200, "\(identity): \(answer.text)")
        return answer.json
    }

    /// The message ids on an identity's profile timeline, newest first.
    fileprivate func timeline(of identity: String) async throws -> [String] {
        let (namespace, value) = ProfileScenario.split(identity)
        let answer = try await send(
            "GET", "/v1/profiles/\(namespace)/\(value.encoded)/events?limit=1000", auth: .admin)
        try #require(answer.status == 200)
        return answer.json["events"]?.arrayValue?.compactMap { $0["messageId"]?.stringValue } ?? []
    }

    fileprivate func explain(_ from: String, _ to: String) async throws -> JSONValue {
        let answer = try await send(
            "GET", "/v1/identities/explain?from=\(from.encoded)&to=\(to.encoded)", auth: .admin)
        try #require(answer.status == 200, "\(answer.text)")
        return answer.json
    }

    /// Checks one expected profile: exactly its identities, each leading to it, and its attributes,
    /// computed attributes and timeline.
    fileprivate func verify(_ expected: ExpectedProfile) async throws {
        let anchor = try #require(expected.identities.sorted().first)
        let profile = try await profile(anchor)
        let identities = profile["identities"]?.arrayValue?.map {
            ($0["namespace"]?.stringValue ?? "") + ":" + ($0["value"]?.stringValue ?? "")
        }
        #expect(Set(identities ?? []) == expected.identities)
        #expect(identities?.count == expected.identities.count)
        for identity in expected.identities where identity != anchor {
            #expect(try await self.profile(identity)["profileId"] == profile["profileId"], "\(identity)")
        }
        for (path, value) in expected.attributes {
            let actual = ProfileScenario.value(at: path, in: profile["attributes"])
            #expect(ProfileScenario.same(actual, value), "\(anchor) attribute \(path)")
        }
        for path in expected.without {
            #expect(ProfileScenario.value(at: path, in: profile["attributes"]) == nil, "\(anchor) has no \(path)")
        }
        for (path, value) in expected.computed {
            // A name never counted is absent from `eventCounts`, which reads as a count of 0.
            let counted: JSONValue? = path.hasPrefix("eventCounts/") ? 0 : nil
            let actual = ProfileScenario.value(at: path, in: profile["computed"]) ?? counted
            #expect(ProfileScenario.same(actual, value), "\(anchor) computed \(path): \(String(describing: actual))")
        }
        if let timeline = expected.timeline {
            #expect(try await self.timeline(of: anchor) == timeline, "\(anchor) timeline")
        }
    }

    /// The distinct profile ids the expected profiles' first identities lead to.
    fileprivate func profileIDs(of profiles: [ExpectedProfile]) async throws -> Set<Int64> {
        var ids: Set<Int64> = []
        for expected in profiles {
            let anchor = try #require(expected.identities.sorted().first)
            ids.insert(try #require(try await profile(anchor)["profileId"]?.intValue))
        }
        return ids
    }

    /// Checks that two identities are apart and that explain says why.
    fileprivate func verifyApart(_ pair: Apart) async throws {
        let explanation = try await explain(pair.from, pair.to)
        #expect(explanation["joined"] == false, "\(pair.from) and \(pair.to)")
        #expect(ProfileScenario.hasReason(pair.reason, in: explanation), "\(pair.reason): \(explanation.serialized)")
    }
}
