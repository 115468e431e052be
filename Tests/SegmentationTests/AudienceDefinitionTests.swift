import Audiences
import Segmentation
import TesseraCore
import TesseraTesting
import Testing

/// Saving audiences: backfill over existing profiles, dependencies, merges, and explanations.
@Suite struct AudienceDefinitionTests {
    @Test("a new audience is computed over the profiles that already exist")
    func backfill() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let now = harness.clock.now()
        try await harness.commit([
            .track("u-1", "Order Completed", at: now.adding(milliseconds: -2 * .day), properties: ["total": 20]),
            .track("u-1", "Order Completed", at: now.adding(milliseconds: -1 * .day), properties: ["total": 30]),
            .track("u-2", "Order Completed", at: now.adding(milliseconds: -10 * .day), properties: ["total": 500]),
            .identify("u-3", at: now, traits: ["tier": "gold"]),
        ])
        let repeatBuyers = try await harness.create(
            "Repeat buyers", #"did "Order Completed" at least 2 times within 7 days"#)
        #expect(try harness.members(repeatBuyers) == ["u-1"])
        #expect(try harness.audiences.history(of: repeatBuyers.id, before: nil, limit: 10).map(\.cause) == ["backfill"])
        #expect(try harness.audiences.audience(repeatBuyers.id).evaluatedAt == now)

        let everyone = try await harness.create(
            "No big orders", #"not did "Order Completed" where properties.total > 100"#)
        #expect(try harness.members(everyone) == ["u-1", "u-3"])

        try await harness.advance(milliseconds: 5 * .day + 1)
        #expect(try harness.members(repeatBuyers).isEmpty, "the backfilled state schedules the exit too")
    }

    @Test("changing a rule recomputes the audience and those built on it")
    func changeRule() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let now = harness.clock.now()
        try await harness.commit([
            .identify("u-1", at: now, traits: ["tier": "gold"]), .identify("u-2", at: now, traits: ["tier": "silver"]),
        ])
        let tier = try await harness.create("Tier", #"attribute tier = "gold""#)
        let child = try await harness.create("Child", #"in audience "Tier""#)
        #expect(try harness.members(child) == ["u-1"])
        _ = try await harness.audiences.update(
            id: tier.id, name: nil, rule: try AudienceParser.parse(#"attribute tier = "silver""#), description: nil)
        #expect(try harness.members(tier) == ["u-2"])
        #expect(try harness.members(child) == ["u-2"])
    }

    @Test("rules naming missing audiences, circles, taken names and deletes in use are refused")
    func refusals() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        await #expect(throws: AudienceError.self) { try await harness.create("A", #"in audience "Nobody""#) }
        let a = try await harness.create("A", "has email")
        _ = try await harness.create("B", #"in audience "A""#)
        await #expect(
            throws: AudienceError.dependency(AudienceDependencyError(names: ["A", "B", "A"], reason: .cycle))
        ) {
            _ = try await harness.audiences.update(
                id: a.id, name: nil, rule: try AudienceParser.parse(#"in audience "B""#), description: nil)
        }
        await #expect(throws: AudienceError.invalidName("an audience named \"A\" already exists")) {
            try await harness.create("A", "has phone")
        }
        await #expect(throws: AudienceError.inUse(by: ["B"])) { try await harness.audiences.delete(id: a.id) }
        await #expect(throws: AudienceError.self) { try await harness.create(" padded", "has phone") }
        #expect(
            try harness.audiences.audience(a.id).rule == .identity(namespace: "email"), "the refused change left it")
    }

    @Test("a profile merged into another leaves its audiences; the survivor is evaluated with both histories")
    func merge() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let twice = try await harness.create("Twice", #"did "Order Completed" at least 2 times"#)
        let once = try await harness.create("Once", #"did "Order Completed" exactly 1 time"#)
        let now = harness.clock.now()
        try await harness.commit([
            .track("anon-1", "Order Completed", at: now), .track("u-1", "Order Completed", at: now),
        ])
        #expect(try harness.audiences.size(of: once.id) == 2)
        try await harness.commit([.identify("u-1", at: now.adding(milliseconds: 1), anonymousID: "anon-1")])
        #expect(try harness.members(twice) == ["u-1"])
        #expect(try harness.members(once).isEmpty)
        #expect(try harness.audiences.size(of: once.id) == 0)
        let causes = try harness.audiences.history(of: once.id, before: nil, limit: 10).map(\.cause)
        #expect(causes.contains { $0.hasPrefix("merge into ") })
    }

    @Test("why lists each condition with its answer, the events behind it and when a window changes it")
    func why() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let audience = try await harness.create(
            "Gold buyers", #"attribute tier = "gold" and did "Order Completed" within 7 days and has email"#)
        let now = harness.clock.now()
        try await harness.commit([
            .identify("u-1", at: now, traits: ["tier": "gold"]),
            .track("u-1", "Order Completed", at: now, properties: ["total": 10]),
        ])
        let profile = try #require(try harness.profile("u-1"))
        let (explanation, member) = try #require(
            try await harness.audiences.why(audience: audience.id, profile: profile))
        #expect(!explanation.holds && !member)
        #expect(explanation.parts.map(\.holds) == [true, true, false])
        #expect(explanation.parts[0].value == "gold")
        #expect(explanation.parts[1].events.map(\.name) == ["Order Completed"])
        #expect(explanation.parts[1].changesAt == now.adding(milliseconds: 7 * .day))
        #expect(explanation.json["conditions"]?[1]?["value"] == 1)
    }
}
