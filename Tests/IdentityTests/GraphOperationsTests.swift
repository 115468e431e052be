import Identity
import TesseraCore
import Testing

@Suite struct GraphOperationsTests {
    @Test("a resolution names the record's profile, its merges, refusals and ignored values")
    func resolutionContents() {
        let graph = IdentityGraph(rules: .defaults)
        graph.see(["anonymousId:a1"], 1)
        graph.see(["anonymousId:a2"], 2)
        let merge = graph.see(["userId:u", "anonymousId:a1", "anonymousId:a2", "anonymousId:undefined"], 3)
        #expect(merge.profile == ProfileID(rawValue: 1))
        #expect(merge.merges == [ProfileMerge(from: ProfileID(rawValue: 2), into: ProfileID(rawValue: 1))])
        #expect(merge.ignored == [Identity("anonymousId:undefined")])
        #expect(merge.identities.map(\.description) == ["userId:u", "anonymousId:a1", "anonymousId:a2"])
        #expect(graph.canonical(ProfileID(rawValue: 2)) == ProfileID(rawValue: 1))
        #expect(!graph.exists(ProfileID(rawValue: 2)))
        #expect(graph.identities(in: ProfileID(rawValue: 2)).count == 3)

        let conflict = graph.see(["userId:v", "anonymousId:a1"], 4)
        #expect(conflict.refusals.count == 1)
        #expect(conflict.profile == ProfileID(rawValue: 3))
        let json = conflict.json
        #expect(json["profile"] == .int(3))
        let kinds = json["entries"]?.arrayValue?.compactMap { $0["kind"]?.stringValue }
        #expect(kinds == ["cooccurred", "refused", "created"])

        let repeated = graph.see(["userId:u", "anonymousId:a1"], 5)
        #expect(repeated.entries.isEmpty)
        #expect(repeated.profile == ProfileID(rawValue: 1))
    }

    @Test("unlink and removal report which identities went where")
    func splitReports() {
        let graph = IdentityGraph(rules: .defaults)
        graph.see(["userId:u", "anonymousId:a"], 1)
        graph.see(["userId:u", "email:e@example.com"], 2, days: 1)
        graph.see(["email:e@example.com", "phone:+14155550100"], 3, days: 2)
        let split = graph.unlink(
            Identity("userId:u"), Identity("email:e@example.com"), provenance: evidence(4, rule: "request.unlink"))
        #expect(split.didSplit)
        #expect(split.parts.map(\.profile.rawValue) == [1, 2])
        #expect(
            split.parts.map { $0.identities.map(\.description) } == [
                ["userId:u", "anonymousId:a"], ["email:e@example.com", "phone:+14155550100"],
            ])
        #expect(split.json["split"] == .bool(true))

        let removal = graph.remove(
            Identity("phone:+14155550100"), from: ProfileID(rawValue: 2),
            provenance: evidence(5, rule: "request.remove"))
        #expect(removal.parts.map(\.profile.rawValue) == [2, 3])
        #expect(removal.parts.last?.identities == [Identity("phone:+14155550100")])
        #expect(graph.state(of: Identity("phone:+14155550100"))?.wasRemoved == true)
    }

    @Test("requests that change nothing say so")
    func noOpRequests() {
        let graph = IdentityGraph(rules: .defaults)
        graph.see(["userId:u", "anonymousId:a"], 1)
        graph.see(["email:x@example.com"], 2)
        let before = graph.log.count
        #expect(!graph.unlink(Identity("userId:u"), Identity("email:x@example.com"), provenance: evidence(3)).changed)
        #expect(!graph.unlink(Identity("userId:nobody"), Identity("userId:u"), provenance: evidence(4)).changed)
        #expect(
            !graph.remove(Identity("email:x@example.com"), from: ProfileID(rawValue: 2), provenance: evidence(5))
                .changed)
        #expect(!graph.remove(Identity("userId:u"), from: ProfileID(rawValue: 2), provenance: evidence(6)).changed)
        #expect(graph.log.count == before)
    }

    @Test("an eviction inside observe is reported as a split with the evicted identity detached")
    func evictionInResolution() {
        let graph = IdentityGraph(rules: IdentityRules(maxIdentitiesPerProfile: 2))
        graph.see(["userId:u", "anonymousId:a"], 1)
        let resolution = graph.see(["userId:u", "email:u@example.com"], 2, days: 1)
        #expect(resolution.splits.count == 1)
        #expect(resolution.splits.first?.detached == [Identity("anonymousId:a")])
        #expect(
            resolution.entries.contains {
                $0.change == .evicted(Identity("anonymousId:a"), from: ProfileID(rawValue: 1))
            })
        #expect(graph.state(of: Identity("anonymousId:a"))?.isEvicted == true)
    }

    @Test("links in a profile list active and refused links with provenance")
    func linksInProfile() {
        let graph = IdentityGraph(rules: .defaults)
        graph.see(["userId:u", "anonymousId:a"], 1)
        graph.see(["userId:v", "anonymousId:a"], 2)
        let links = graph.links(in: ProfileID(rawValue: 1))
        #expect(links.count == 2)
        #expect(links[0].isActive && links[0].provenance.record == 1)
        #expect(links[1].state == .refused(.uniqueConflict(namespace: "userId")))
    }

    /// Random operations over a small universe: the invariants hold after every step, and the log
    /// always rebuilds the same graph.
    @Test("random operations keep the invariants and always rebuild from the log", arguments: [1, 2, 3, 4])
    func randomOperations(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let rules = IdentityRules(maxIdentitiesPerProfile: 6, sharedIdentityThreshold: 2)
        let graph = IdentityGraph(rules: rules)
        let universe = ["userId", "crmId", "email", "anonymousId", "deviceId"].flatMap { namespace in
            (0..<6).map { Identity(namespace: namespace, value: "v\($0)") }
        }
        for step in 1...300 {
            let pick = { universe[Int(random.next() % UInt64(universe.count))] }
            switch random.next() % 10 {
            case 0:
                let a = pick()
                let b = pick()
                _ = graph.unlink(a, b, provenance: evidence(Int64(step), days: Double(step) / 10))
            case 1:
                let identity = pick()
                if let profile = graph.profile(of: identity) {
                    _ = graph.remove(
                        identity, from: profile, provenance: evidence(Int64(step), days: Double(step) / 10))
                }
            default:
                let record = (0..<Int(1 + random.next() % 3)).map { _ in pick() }
                let resolution = graph.observe(record, provenance: evidence(Int64(step), days: Double(step) / 10))
                if let profile = resolution.profile { #expect(graph.exists(profile)) }
            }
            for profile in graph.profiles {
                let members = graph.identities(in: profile).map(\.identity)
                #expect(members.count <= rules.maxIdentitiesPerProfile, "step \(step)")
                for namespace in rules.uniqueNamespaces {
                    #expect(members.filter { $0.namespace == namespace }.count <= 1, "step \(step)")
                }
                for identity in members { #expect(graph.profile(of: identity) == profile) }
            }
        }
        let rebuilt = IdentityGraph(rules: rules, replaying: graph.log)
        #expect(rebuilt.profilesByID == graph.profilesByID)
        #expect(rebuilt.log == graph.log)
    }
}

/// A deterministic generator for the random-operations test.
struct SeededRandom {
    var state: UInt64

    init(seed: UInt64) {
        state = seed &* 0x9E37_79B9_7F4A_7C15
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
