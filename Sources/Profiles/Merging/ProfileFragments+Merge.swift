import TesseraCore

extension ProfileFragments {
    /// The unified view of these fragments under a merge policy.
    ///
    /// Each path shows the value of the source the policy prefers. The winning paths are then placed
    /// into one nested object, best first by the same preference; a path that clashes with one
    /// already placed (a scalar `address` and an object `address.city`, stated at different times or
    /// by different sources) is left out of the view and of its provenance, so the preferred shape
    /// shows.
    ///
    /// - Parameters:
    ///   - policy: the merge policy.
    ///   - sourceNames: source id → name, to match precedence lists that name sources, and to label
    ///     the provenance.
    /// - Returns: the nested attributes and, per shown path, the source and time it came from.
    /// - Complexity: O(e + p log p) for e entries over p paths.
    public func merged(using policy: MergePolicy, sourceNames: [Int64: String] = [:]) -> MergedProfile {
        var ranks: [Int64: Int?] = [:]
        var winners: [Candidate] = []
        winners.reserveCapacity(attributes.count)
        for (path, bySource) in attributes {
            var best: Candidate?
            for (source, stamped) in bySource {
                let rank = ranks[source] ?? policy.rank(of: source, named: sourceNames[source])
                ranks[source] = rank
                let candidate = Candidate(
                    path: path, source: source, time: stamped.time, rank: rank, value: stamped.value)
                if best.map({ policy.prefers(candidate, over: $0) }) ?? true { best = candidate }
            }
            if let best { winners.append(best) }
        }
        winners.sort { policy.prefers($0, over: $1) }

        var tree = AttributeTree()
        var provenance: [String: MergedProfile.Provenance] = [:]
        var names: [Int64: String] = [:]
        for winner in winners where tree.insert(winner.value, at: AttributePath.keys(of: winner.path)) {
            provenance[winner.path] = MergedProfile.Provenance(source: winner.source, time: winner.time)
            names[winner.source] = sourceNames[winner.source]
        }
        return MergedProfile(policy: policy.name, attributes: tree.json, provenance: provenance, sourceNames: names)
    }

    /// Every source's value for one attribute, best first under a policy: the evidence behind a
    /// merged value, for "explain this value".
    ///
    /// The first entry is the value `merged(using:sourceNames:)` shows for the path, unless the path
    /// clashes with a preferred shape there.
    ///
    /// - Parameters:
    ///   - path: the attribute's dotted path.
    ///   - policy: the merge policy.
    ///   - sourceNames: source id → name, as for `merged(using:sourceNames:)`.
    public func candidates(
        at path: String, using policy: MergePolicy, sourceNames: [Int64: String] = [:]
    ) -> [FragmentEntry] {
        let candidates = values(at: path).map { source, stamped in
            Candidate(
                path: path, source: source, time: stamped.time,
                rank: policy.rank(of: source, named: sourceNames[source]),
                value: stamped.value)
        }
        return candidates.sorted { policy.prefers($0, over: $1) }.map {
            FragmentEntry(source: $0.source, path: $0.path, value: $0.value, time: $0.time)
        }
    }
}
