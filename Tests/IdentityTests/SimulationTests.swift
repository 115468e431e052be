import Identity
import TesseraCore
import Testing

@Suite struct SimulationTests {
    @Test("stricter rules split profiles, with examples, and change nothing")
    func stricterRulesSplit() {
        let graph = IdentityGraph(rules: .defaults)
        graph.see(["userId:u", "email:home@example.com"], 1)
        graph.see(["userId:u", "email:work@example.com"], 2, days: 1)
        graph.see(["userId:v", "anonymousId:b"], 3, days: 2)
        let before = graph.log
        var strict = IdentityRules.defaults
        strict.uniqueNamespaces.insert("email")

        let report = IdentityGraph.simulate(log: graph.log, under: strict, comparedWith: .defaults)
        #expect(report.current.profiles == 2)
        #expect(report.proposed.profiles == 3)
        #expect(report.splits == 1)
        #expect(report.merges == 0)
        #expect(report.proposed.refusals == 1)
        let groups = report.splitExamples.first?.groups.map { $0.map(\.description).sorted() }
        #expect(groups == [["email:home@example.com", "userId:u"], ["email:work@example.com"]])
        #expect(graph.log == before)
        #expect(graph.profileCount == 2)
    }

    @Test("looser rules merge profiles")
    func looserRulesMerge() {
        let graph = scenarios.first { $0.name.hasPrefix("a shared family email") }!.run()
        let loose = IdentityRules(uniqueNamespaces: [])
        let report = IdentityGraph.simulate(log: graph.log, under: loose, comparedWith: .defaults)
        #expect(report.current.profiles == 2)
        #expect(report.proposed.profiles == 1)
        #expect(report.merges == 1)
        #expect(report.splits == 0)
        let groups = report.mergeExamples.first?.groups.map { $0.map(\.description).sorted() }
        #expect(groups == [["email:family@example.com", "userId:dad"], ["userId:mom"]])
    }

    @Test("a lower sharing threshold flags the device earlier and keeps the walk-in apart")
    func thresholdChange() {
        let graph = scenarios.first { $0.name.hasPrefix("users spread beyond") }!.run()
        var strict = IdentityRules.defaults
        strict.sharedIdentityWindow = 365 * day
        let report = IdentityGraph.simulate(log: graph.log, under: strict, comparedWith: .defaults)
        #expect(report.current.flagged == 0)
        #expect(report.proposed.flagged == 1)
        #expect(report.splits == 1)
        let json = report.json
        #expect(json["splits"] == .int(1))
        #expect(json["proposed"]?["flagged"] == .int(1))
    }

    @Test("the same rules change nothing, unlinks and removals included")
    func sameRulesAgree() {
        for scenario in scenarios {
            let graph = scenario.run()
            let report = IdentityGraph.simulate(log: graph.log, under: scenario.rules, comparedWith: scenario.rules)
            #expect(report.merges == 0 && report.splits == 0, "\(scenario.name)")
            #expect(report.current.profiles == graph.profileCount, "\(scenario.name)")
        }
    }
}
