import Identity
import TesseraCore
import Testing

@Suite struct ExplainTests {
    func scenario(_ prefix: String) -> IdentityGraph {
        scenarios.first { $0.name.hasPrefix(prefix) }!.run()
    }

    @Test("joined identities come with the chain of links and each link's provenance")
    func pathWithProvenance() {
        let graph = scenario("anonymous browsing")
        let explanation = graph.explain(from: Identity("anonymousId:a2"), to: Identity("email:jane@example.com"))
        #expect(explanation.joined)
        #expect(explanation.reasons.isEmpty)
        #expect(explanation.path.map(\.from.description) == ["anonymousId:a2", "userId:u1"])
        #expect(explanation.path.map(\.to.description) == ["userId:u1", "email:jane@example.com"])
        #expect(explanation.path.map(\.provenance.record) == [5, 3])
        #expect(explanation.path.filter { !$0.isActive }.isEmpty)
    }

    @Test("a refused unique conflict explains why the family email's two users are apart")
    func refusedConflict() {
        let graph = scenario("a shared family email")
        let explanation = graph.explain(from: Identity("userId:mom"), to: Identity("userId:dad"))
        #expect(!explanation.joined)
        let refusal = LinkRecord.State.refused(.uniqueConflict(namespace: "userId"))
        #expect(
            explanation.reasons.contains { if case .refused(let link) = $0 { link.state == refusal } else { false } })
        #expect(explanation.path.count == 2)
        #expect(explanation.path.first { !$0.isActive }?.provenance.record == 2)
    }

    @Test("the shared laptop's cookie is explained by the refused link to the second user")
    func sharedLaptop() {
        let graph = scenario("shared laptop")
        let explanation = graph.explain(from: Identity("anonymousId:a1"), to: Identity("userId:u2"))
        #expect(!explanation.joined)
        #expect(explanation.path.count == 1)
        #expect(explanation.path[0].state == .refused(.uniqueConflict(namespace: "userId")))
    }

    @Test("a blocked value is named as the reason")
    func blockedValue() {
        let graph = scenario("blocked values")
        let explanation = graph.explain(from: Identity("userId:u1"), to: Identity("anonymousId:null"))
        #expect(explanation.reasons == [.blockedValue(Identity("anonymousId:null"))])
    }

    @Test("a shared identity is named, with the links it refused")
    func sharedIdentity() {
        let graph = scenario("a device seen with a fourth user")
        let explanation = graph.explain(from: Identity("email:walkin@example.com"), to: Identity("deviceId:tablet"))
        #expect(explanation.reasons.contains(.sharedIdentity(Identity("deviceId:tablet"))))
        #expect(explanation.path.first?.state == .refused(.sharedIdentity(Identity("deviceId:tablet"))))
        #expect(graph.state(of: Identity("deviceId:tablet"))?.isShared == true)
    }

    @Test("an evicted identity is named, with the link that went inactive")
    func evictedIdentity() {
        let graph = scenario("past the limit")
        let explanation = graph.explain(from: Identity("anonymousId:a1"), to: Identity("userId:u"))
        #expect(explanation.reasons.first == .evicted(Identity("anonymousId:a1")))
        #expect(explanation.path.first?.state == .detached)
        #expect(explanation.reasons.contains { if case .detached = $0 { true } else { false } })
    }

    @Test("an unlinked pair is explained by the unlink request")
    func unlinkedPair() {
        let graph = scenario("unlinking the only link")
        let explanation = graph.explain(from: Identity("userId:u"), to: Identity("email:e@example.com"))
        #expect(explanation.path.count == 1)
        #expect(explanation.path[0].state == .unlinked)
        #expect(explanation.path[0].provenance.rule == "request.unlink")
        #expect(explanation.reasons.contains { if case .unlinked = $0 { true } else { false } })
    }

    @Test("a removed identity names the profile it was removed from")
    func removedIdentity() {
        let graph = scenario("a removed identity")
        let explanation = graph.explain(from: Identity("email:old@example.com"), to: Identity("userId:u"))
        #expect(explanation.reasons.contains(.removed(Identity("email:old@example.com"), from: ProfileID(rawValue: 1))))
        #expect(explanation.path.count == 1)
        #expect(explanation.path[0].state == .refused(.removedFromProfile(ProfileID(rawValue: 1))))
    }

    @Test("unrelated and unknown identities")
    func noPathAndUnknown() {
        let graph = scenario("logout resets")
        let apart = graph.explain(from: Identity("userId:u1"), to: Identity("userId:u2"))
        #expect(apart.reasons == [.noPath])
        #expect(apart.path.isEmpty)
        let unknown = graph.explain(from: Identity("userId:u1"), to: Identity("email:nobody@example.com"))
        #expect(unknown.reasons == [.unknownIdentity(Identity("email:nobody@example.com"))])
    }

    @Test("explanations render as JSON with their reasons and path")
    func explanationJSON() {
        let graph = scenario("shared laptop")
        let json = graph.explain(from: Identity("anonymousId:a1"), to: Identity("userId:u2")).json
        #expect(json["joined"] == .bool(false))
        #expect(json["reasons"]?[0]?["reason"] == "refused")
        #expect(json["path"]?[0]?["refusal"]?["namespace"] == "userId")
        #expect(json["path"]?[0]?["provenance"]?["record"] == .int(3))
    }
}
