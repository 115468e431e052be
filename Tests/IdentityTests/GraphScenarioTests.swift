import Identity
import TesseraCore
import Testing

/// A golden scenario: steps against a fresh graph, and the profiles that must result.
struct Scenario: Sendable, CustomTestStringConvertible {
    enum Step: Sendable {
        case record([String], days: Double)
        case unlink(String, String)
        case remove(String)
    }

    var name: String
    var rules = IdentityRules.defaults
    var steps: [Step]
    /// The expected profiles, each as its identities.
    var profiles: [[String]]
    /// Step index → an identity whose profile (right after the step) the record must resolve to.
    var attachments: [Int: String] = [:]
    /// Identities the graph knows that must be in no profile.
    var unplaced: [String] = []
    /// Identities whose profile must have this id.
    var profileIDs: [String: Int64] = [:]

    var testDescription: String { name }

    /// Runs the steps, checking attachments as it goes.
    func run() -> IdentityGraph {
        let graph = IdentityGraph(rules: rules)
        for (position, step) in steps.enumerated() {
            let sequence = Int64(position + 1)
            switch step {
            case .record(let identities, let days):
                let resolution = graph.see(identities, sequence, days: days)
                if let expected = attachments[position] {
                    #expect(resolution.profile == graph.profileOf(expected), "step \(position)")
                    #expect(resolution.profile != nil, "step \(position)")
                }
            case .unlink(let a, let b):
                let split = graph.unlink(
                    Identity(a), Identity(b), provenance: evidence(sequence, rule: "request.unlink"))
                #expect(split.changed, "step \(position)")
            case .remove(let identity):
                let profile = graph.profileOf(identity)!
                let split = graph.remove(
                    Identity(identity), from: profile, provenance: evidence(sequence, rule: "request.remove"))
                #expect(split.changed, "step \(position)")
            }
        }
        return graph
    }
}

let ecid = "ecid:" + String(repeating: "1234567890", count: 3) + "12345678"

let scenarios: [Scenario] = [
    Scenario(
        name: "anonymous browsing, sign-up, then login on a second device",
        steps: [
            .record(["anonymousId:a1"], days: 0),
            .record(["anonymousId:a1"], days: 0.1),
            .record(["userId:u1", "anonymousId:a1", "email:jane@example.com"], days: 1),
            .record(["anonymousId:a2"], days: 2),
            .record(["userId:u1", "anonymousId:a2"], days: 2.1),
        ],
        profiles: [["userId:u1", "anonymousId:a1", "anonymousId:a2", "email:jane@example.com"]],
        attachments: [3: "anonymousId:a2", 4: "userId:u1"],
        profileIDs: ["anonymousId:a2": 1]),
    Scenario(
        name: "shared laptop: a second person logs in on the same browser without a reset",
        steps: [
            .record(["userId:u1", "anonymousId:a1"], days: 0),
            .record(["anonymousId:a1"], days: 1),
            .record(["userId:u2", "anonymousId:a1"], days: 2),
            .record(["anonymousId:a1"], days: 3),
        ],
        profiles: [["userId:u1", "anonymousId:a1"], ["userId:u2"]],
        attachments: [2: "userId:u2", 3: "userId:u1"]),
    Scenario(
        name: "logout resets the anonymous id, then a different person logs in",
        steps: [
            .record(["userId:u1", "anonymousId:a1"], days: 0),
            .record(["anonymousId:a2"], days: 1),
            .record(["userId:u2", "anonymousId:a2"], days: 1.1),
        ],
        profiles: [["userId:u1", "anonymousId:a1"], ["userId:u2", "anonymousId:a2"]],
        attachments: [2: "userId:u2"]),
    Scenario(
        name: "a shared family email does not merge two people",
        steps: [
            .record(["userId:dad", "email:family@example.com"], days: 0),
            .record(["userId:mom", "email:family@example.com"], days: 1),
            .record(["email:family@example.com"], days: 2),
        ],
        profiles: [["userId:dad", "email:family@example.com"], ["userId:mom"]],
        attachments: [1: "userId:mom", 2: "userId:dad"]),
    Scenario(
        name: "two different crmIds reaching one cookie stay two profiles",
        steps: [
            .record(["crmId:c1", "cookieId:k1"], days: 0),
            .record(["crmId:c2", "cookieId:k1"], days: 1),
        ],
        profiles: [["crmId:c1", "cookieId:k1"], ["crmId:c2"]],
        attachments: [1: "crmId:c2"]),
    Scenario(
        name: "alias joins the anonymous history to the user",
        steps: [
            .record(["anonymousId:39239-239239-239239-23923"], days: 0),
            .record(["userId:019mr8mf4r", "anonymousId:39239-239239-239239-23923"], days: 1),
            .record(["userId:019mr8mf4r", "email:jake@yahoo.com"], days: 2),
        ],
        profiles: [["userId:019mr8mf4r", "anonymousId:39239-239239-239239-23923", "email:jake@yahoo.com"]],
        profileIDs: ["userId:019mr8mf4r": 1]),
    Scenario(
        name: "a POS purchase with only a loyalty card is joined to the web visitor by a CRM record",
        steps: [
            .record(["loyaltyId:L-1001"], days: 0),
            .record(["email:e@example.com", "anonymousId:w1"], days: 1),
            .record(["crmId:CRM-7", "loyaltyId:L-1001", "email:e@example.com"], days: 2),
        ],
        profiles: [["loyaltyId:L-1001", "email:e@example.com", "anonymousId:w1", "crmId:CRM-7"]],
        attachments: [0: "loyaltyId:L-1001", 2: "crmId:CRM-7"],
        profileIDs: ["email:e@example.com": 1, "crmId:CRM-7": 1]),
    Scenario(
        name: "an XDM record with a multi-namespace identityMap makes one profile",
        steps: [
            .record([ecid, "email:jane@doe.com", "crmId:2394509340-30453470347", "phone:+14088888888"], days: 0),
            .record([ecid, "cookieId:k9"], days: 1),
        ],
        profiles: [[ecid, "email:jane@doe.com", "crmId:2394509340-30453470347", "phone:+14088888888", "cookieId:k9"]]),
    Scenario(
        name: "past the limit the least recently seen lowest-priority identity is evicted",
        rules: IdentityRules(maxIdentitiesPerProfile: 4),
        steps: [
            .record(["userId:u", "anonymousId:a1"], days: 0),
            .record(["userId:u", "anonymousId:a2"], days: 1),
            .record(["userId:u", "anonymousId:a3"], days: 2),
            .record(["userId:u", "email:u@example.com"], days: 3),
        ],
        profiles: [["userId:u", "anonymousId:a2", "anonymousId:a3", "email:u@example.com"]],
        attachments: [3: "userId:u"],
        unplaced: ["anonymousId:a1"]),
    Scenario(
        name: "an evicted identity seen again on its own starts a new profile",
        rules: IdentityRules(maxIdentitiesPerProfile: 4),
        steps: [
            .record(["userId:u", "anonymousId:a1"], days: 0),
            .record(["userId:u", "anonymousId:a2"], days: 1),
            .record(["userId:u", "anonymousId:a3"], days: 2),
            .record(["userId:u", "email:u@example.com"], days: 3),
            .record(["anonymousId:a1"], days: 4),
        ],
        profiles: [["userId:u", "anonymousId:a2", "anonymousId:a3", "email:u@example.com"], ["anonymousId:a1"]],
        attachments: [4: "anonymousId:a1"]),
    Scenario(
        name: "evicting an identity that held a profile together splits it",
        rules: IdentityRules(maxIdentitiesPerProfile: 3),
        steps: [
            .record(["email:e@example.com", "anonymousId:a1"], days: 0),
            .record(["anonymousId:a1", "cookieId:k"], days: 1),
            .record(["cookieId:k", "deviceId:d"], days: 2),
        ],
        profiles: [["email:e@example.com"], ["cookieId:k", "deviceId:d"]],
        attachments: [2: "deviceId:d"],
        unplaced: ["anonymousId:a1"],
        profileIDs: ["email:e@example.com": 1, "deviceId:d": 2]),
    Scenario(
        name: "blocked values never link anything",
        steps: [
            .record(["userId:u1", "anonymousId:null"], days: 0),
            .record(["userId:u2", "anonymousId:NULL"], days: 1),
            .record(["userId:u3", "email:unknown", "anonymousId: undefined "], days: 2),
        ],
        profiles: [["userId:u1"], ["userId:u2"], ["userId:u3"]],
        attachments: [1: "userId:u2"]),
    Scenario(
        name: "a device seen with a fourth user inside the window is flagged shared and stops linking",
        steps: [
            .record(["deviceId:tablet", "userId:u1"], days: 0),
            .record(["deviceId:tablet", "userId:u2"], days: 1),
            .record(["deviceId:tablet", "userId:u3"], days: 2),
            .record(["deviceId:tablet", "userId:u4"], days: 3),
            .record(["deviceId:tablet", "email:walkin@example.com"], days: 4),
        ],
        profiles: [
            ["deviceId:tablet", "userId:u1"], ["userId:u2"], ["userId:u3"], ["userId:u4"],
            ["email:walkin@example.com"],
        ],
        attachments: [3: "userId:u4", 4: "email:walkin@example.com"]),
    Scenario(
        name: "users spread beyond the window do not make a device shared",
        steps: [
            .record(["deviceId:tablet", "userId:u1"], days: 0),
            .record(["deviceId:tablet", "userId:u2"], days: 40),
            .record(["deviceId:tablet", "userId:u3"], days: 80),
            .record(["deviceId:tablet", "userId:u4"], days: 120),
            .record(["deviceId:tablet", "email:walkin@example.com"], days: 121),
        ],
        profiles: [
            ["deviceId:tablet", "userId:u1", "email:walkin@example.com"], ["userId:u2"], ["userId:u3"], ["userId:u4"],
        ],
        attachments: [4: "deviceId:tablet"]),
    Scenario(
        name: "unlinking the only link to an identity splits the profile",
        steps: [
            .record(["userId:u", "anonymousId:a"], days: 0),
            .record(["userId:u", "email:e@example.com"], days: 1),
            .unlink("userId:u", "email:e@example.com"),
        ],
        profiles: [["userId:u", "anonymousId:a"], ["email:e@example.com"]],
        profileIDs: ["userId:u": 1, "email:e@example.com": 2]),
    Scenario(
        name: "unlinking a link that another chain backs up keeps one profile",
        steps: [
            .record(["userId:u", "anonymousId:a"], days: 0),
            .record(["userId:u", "email:e@example.com"], days: 1),
            .record(["email:e@example.com", "anonymousId:a"], days: 2),
            .unlink("userId:u", "email:e@example.com"),
            .record(["userId:u", "email:e@example.com"], days: 3),
        ],
        profiles: [["userId:u", "anonymousId:a", "email:e@example.com"]]),
    Scenario(
        name: "a removed identity gets its own profile and never rejoins the old one",
        steps: [
            .record(["userId:u", "anonymousId:a"], days: 0),
            .record(["userId:u", "email:old@example.com"], days: 1),
            .remove("email:old@example.com"),
            .record(["userId:u", "email:old@example.com"], days: 3),
            .record(["anonymousId:a", "email:old@example.com"], days: 4),
        ],
        profiles: [["userId:u", "anonymousId:a"], ["email:old@example.com"]],
        attachments: [3: "userId:u"],
        profileIDs: ["userId:u": 1, "email:old@example.com": 2]),
]

@Suite struct GraphScenarioTests {
    @Test("golden scenarios end in the expected profiles", arguments: scenarios)
    func scenarioProfiles(_ scenario: Scenario) {
        let graph = scenario.run()
        #expect(graph.partition == sortedPartition(scenario.profiles))
        for identity in scenario.unplaced {
            let state = graph.state(of: Identity(identity))
            #expect(state != nil && state?.profile == nil, "\(identity) should be known and in no profile")
        }
        for (identity, id) in scenario.profileIDs {
            #expect(graph.profileOf(identity)?.rawValue == id, "\(identity)")
        }
    }

    @Test("rebuilding from the log gives the same profiles, ids and states", arguments: scenarios)
    func rebuildFromLog(_ scenario: Scenario) {
        let graph = scenario.run()
        let rebuilt = IdentityGraph(rules: scenario.rules, replaying: graph.log)
        #expect(rebuilt.profilesByID == graph.profilesByID)
        for profile in graph.profiles {
            let (before, after) = (graph.identities(in: profile), rebuilt.identities(in: profile))
            #expect(after.map(\.identity) == before.map(\.identity))
            #expect(after.map(\.firstSeen) == before.map(\.firstSeen))
            #expect(after.map(\.isShared) == before.map(\.isShared))
            #expect(after.map(\.wasRemoved) == before.map(\.wasRemoved))
            for (old, new) in zip(before, after) {
                #expect(old.lastSeen.milliseconds - new.lastSeen.milliseconds < scenario.rules.touchInterval)
            }
            #expect(rebuilt.links(in: profile) == graph.links(in: profile))
        }
        for identity in scenario.unplaced {
            #expect(rebuilt.state(of: Identity(identity))?.isEvicted == true)
        }
        for id in 1...Int64(graph.profileCount + 8) {
            #expect(rebuilt.canonical(ProfileID(rawValue: id)) == graph.canonical(ProfileID(rawValue: id)))
        }
        #expect(rebuilt.lastSequence == graph.lastSequence)
        #expect(rebuilt.log == graph.log)
    }

    @Test("the log is gap-free and every entry survives its JSON form", arguments: scenarios)
    func logRoundTrips(_ scenario: Scenario) throws {
        let graph = scenario.run()
        #expect(graph.log.map(\.sequence) == Array(1...Int64(graph.log.count)))
        for entry in graph.log {
            let text = entry.json.serialized
            #expect(try LogEntry(json: entry.json) == entry, "\(text)")
        }
    }

    @Test("a rebuilt graph goes on deciding exactly like the original")
    func rebuiltGraphContinues() {
        let original = IdentityGraph(rules: .defaults)
        original.see(["userId:u1", "anonymousId:a1"], 1)
        original.see(["userId:u2", "anonymousId:a1"], 2)
        let rebuilt = IdentityGraph(rules: .defaults, replaying: original.log)
        for graph in [original, rebuilt] {
            graph.see(["anonymousId:a3"], 3, days: 1)
            graph.see(["userId:u2", "anonymousId:a3", "email:two@example.com"], 4, days: 1)
        }
        #expect(rebuilt.profilesByID == original.profilesByID)
        #expect(rebuilt.log == original.log)
    }
}
