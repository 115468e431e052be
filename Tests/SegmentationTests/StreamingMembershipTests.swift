import Audiences
import Segmentation
import TesseraCore
import TesseraTesting
import Testing

/// Membership as records commit and as time passes, against a real store on a manual clock.
@Suite struct StreamingMembershipTests {
    @Test("a record that satisfies a rule makes the profile a member in its own commit")
    func entersWithTheRecord() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let buyers = try await harness.create("Buyers", #"did "Order Completed" where properties.total > 100"#)
        let now = harness.clock.now()
        try await harness.commit([
            .track("u-1", "Order Completed", at: now, properties: ["total": 150]),
            .track("u-2", "Order Completed", at: now, properties: ["total": 50]),
        ])
        #expect(try harness.members(buyers) == ["u-1"])
        let history = try harness.audiences.history(of: buyers.id, before: nil, limit: 10)
        #expect(history.map(\.change) == [.realized])
        #expect(history.first?.cause.hasPrefix("record ") == true && history.first?.time == now)
    }

    @Test("a sliding window lets the member go exactly when the event leaves it")
    func exactExit() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let recent = try await harness.create("Recent buyers", #"did "Order Completed" within 7 days"#)
        let ordered = harness.clock.now()
        try await harness.commit([.track("u-1", "Order Completed", at: ordered)])
        #expect(try harness.audiences.nextDue() == ordered.adding(milliseconds: 7 * .day))

        try await harness.advance(milliseconds: 7 * .day - 1)
        #expect(try harness.members(recent) == ["u-1"], "one millisecond before the window ends")
        try await harness.advance(milliseconds: 1)
        #expect(try harness.members(recent).isEmpty)
        let exit = try #require(try harness.audiences.history(of: recent.id, before: nil, limit: 10).first)
        #expect(exit.change == .exited && exit.cause == "time")
        #expect(exit.time == ordered.adding(milliseconds: 7 * .day))
        #expect(try harness.audiences.nextDue() == nil)
    }

    @Test("a later order keeps the member in and moves the exit")
    func laterEventMovesTheExit() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let recent = try await harness.create("Recent buyers", #"did "Order Completed" within 1 day"#)
        let first = harness.clock.now()
        try await harness.commit([.track("u-1", "Order Completed", at: first)])
        try await harness.advance(milliseconds: 12 * .hour)
        try await harness.commit([.track("u-1", "Order Completed", at: harness.clock.now())])
        try await harness.advance(milliseconds: 12 * .hour)
        #expect(try harness.members(recent) == ["u-1"], "the second order still counts")
        try await harness.advance(milliseconds: 12 * .hour)
        #expect(try harness.members(recent).isEmpty)
        let changes = try harness.audiences.history(of: recent.id, before: nil, limit: 10)
        #expect(changes.map(\.change) == [.exited, .realized])
        #expect(changes.first?.time == first.adding(milliseconds: 36 * .hour))
    }

    @Test("'did not … within' enters when the last event leaves the window")
    func didNotEntersByTime() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let lapsed = try await harness.create(
            "Lapsed", #"attribute plan exists and did not "Order Completed" within 2 days"#)
        try await harness.commit([.identify("u-1", at: harness.clock.now(), traits: ["plan": "pro"])])
        #expect(try harness.members(lapsed) == ["u-1"])
        try await harness.commit([.track("u-1", "Order Completed", at: harness.clock.now())])
        #expect(try harness.members(lapsed).isEmpty)
        try await harness.advance(milliseconds: 2 * .day)
        #expect(try harness.members(lapsed) == ["u-1"])
        let statuses = try harness.audiences.history(of: lapsed.id, before: nil, limit: 10).map(\.change)
        #expect(statuses == [.realized, .exited, .realized])
    }

    @Test("pending exits survive a restart and happen at their own time")
    func restartWithPendingExits() async throws {
        let first = try await AudienceHarness()
        let recent = try await first.create("Recent", #"did "Signed In" within 1 hour"#)
        let signedIn = first.clock.now()
        try await first.commit([
            .track("u-1", "Signed In", at: signedIn),
            .track("u-2", "Signed In", at: signedIn.adding(milliseconds: 30 * .minute)),
        ])
        first.close()

        let clock = ManualClock(signedIn.adding(milliseconds: 5 * .hour))
        let second = try await AudienceHarness(reopening: first.directory, clock: clock)
        defer { second.finish() }
        #expect(try second.members(recent) == ["u-1", "u-2"], "nothing ran while the server was down")
        try await second.audiences.runDue(at: clock.now())
        #expect(try second.members(recent).isEmpty)
        let exits = try second.audiences.history(of: recent.id, before: nil, limit: 10).filter { $0.change == .exited }
        #expect(
            Set(exits.map(\.time)) == [
                signedIn.adding(milliseconds: .hour), signedIn.adding(milliseconds: 90 * .minute),
            ], "each exit is dated when its window ended, not when the server came back")
    }

    @Test("a sequence with a span holds only when its steps come in order inside it")
    func sequence() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let funnel = try await harness.create(
            "Funnel", #"did "Product Viewed" then "Order Completed" within 1 hour"#)
        let now = harness.clock.now()
        try await harness.commit([
            .track("u-1", "Order Completed", at: now),
            .track("u-1", "Product Viewed", at: now.adding(milliseconds: 1)),
            .track("u-2", "Product Viewed", at: now),
            .track("u-2", "Order Completed", at: now.adding(milliseconds: 2 * .hour)),
            .track("u-3", "Product Viewed", at: now),
            .track("u-3", "Order Completed", at: now.adding(milliseconds: 59 * .minute)),
        ])
        #expect(try harness.members(funnel) == ["u-3"])
    }

    @Test("an aggregate over a window follows sums in and out")
    func aggregate() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let big = try await harness.create(
            "Big spenders", #"sum of properties.total for "Order Completed" within 30 days >= 100"#)
        let now = harness.clock.now()
        try await harness.commit([.track("u-1", "Order Completed", at: now, properties: ["total": 60])])
        #expect(try harness.members(big).isEmpty)
        try await harness.advance(milliseconds: 10 * .day)
        try await harness.commit([.track("u-1", "Order Completed", at: harness.clock.now(), properties: ["total": 40])])
        #expect(try harness.members(big) == ["u-1"])
        try await harness.advance(milliseconds: 20 * .day)
        #expect(try harness.members(big).isEmpty, "the first order left the window")
    }

    @Test("audiences of audiences follow their parents, in both directions")
    func chains() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let gold = try await harness.create("Gold", #"attribute tier = "gold""#)
        let active = try await harness.create("Active gold", #"in audience "Gold" and did "Signed In""#)
        _ = try await harness.create("Staff", #"attribute staff = true"#)
        let target = try await harness.create("Target", #"in audience "Active gold" and not in audience "Staff""#)
        let now = harness.clock.now()
        try await harness.commit([
            .identify("u-1", at: now, traits: ["tier": "gold"]), .track("u-1", "Signed In", at: now),
            .identify("u-2", at: now, traits: ["tier": "gold", "staff": true]), .track("u-2", "Signed In", at: now),
        ])
        #expect(try harness.members(gold) == ["u-1", "u-2"])
        #expect(try harness.members(active) == ["u-1", "u-2"])
        #expect(try harness.members(target) == ["u-1"])

        try await harness.commit([.identify("u-1", at: now.adding(milliseconds: 1), traits: ["tier": "silver"])])
        #expect(try harness.members(gold) == ["u-2"])
        #expect(try harness.members(active) == ["u-2"])
        #expect(try harness.members(target).isEmpty)
    }

    @Test("membership states: realized first, existing once evaluated again, exited at the end")
    func statuses() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let signedIn = try await harness.create("Signed in", #"did "Signed In" at least 1 time"#)
        let now = harness.clock.now()
        try await harness.commit([.track("u-1", "Signed In", at: now)])
        let profile = try #require(try harness.profile("u-1"))
        #expect(try harness.audiences.memberships(ofProfile: profile).map(\.membership.status) == [.realized])
        try await harness.commit([.track("u-1", "Signed In", at: now.adding(milliseconds: 1))])
        let membership = try #require(try harness.audiences.memberships(ofProfile: profile).first)
        #expect(membership.name == "Signed in" && membership.membership.status == .existing)
        #expect(membership.membership.enteredAt == now)
        #expect(try harness.audiences.size(of: signedIn.id) == 1)
    }
}

/// Consent answers from records reach audience rules as soon as they commit.
@Suite struct ConsentMembershipTests {
    @Test("an audience requiring email consent follows the person's answers")
    func consent() async throws {
        let harness = try await AudienceHarness()
        defer { harness.finish() }
        let reachable = try await harness.create("Reachable", #"consent marketing.email = "y""#)
        let unknown = try await harness.create("Not asked", #"consent marketing.email = "u""#)
        let now = harness.clock.now()
        try await harness.commit([.identify("u-1", at: now)])
        #expect(try harness.members(unknown) == ["u-1"] && harness.members(reachable).isEmpty)
        try await harness.commit([
            Segment(
                kind: "track",
                body: [
                    "userId": "u-1", "event": "Segment Consent Preference Updated",
                    "context": ["consent": ["categoryPreferences": ["Email": true]]],
                ],
                time: now.adding(milliseconds: 1))
        ])
        #expect(try harness.members(reachable) == ["u-1"])
        #expect(try harness.members(unknown).isEmpty)
    }
}
