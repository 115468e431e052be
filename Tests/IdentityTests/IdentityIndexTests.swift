import Identity
import Testing

@Suite struct IdentityIndexTests {
    @Test("identities get dense nodes in order and read back exactly, across many regrowths")
    func internsAndReadsBack() {
        var index = IdentityIndex()
        var identities: [Identity] = []
        for number in 0..<40_000 {
            let namespace = ["email", "userId", "phone"][number % 3]
            // Short, long, non-ASCII and values that differ only in their last byte.
            let value =
                switch number % 4 {
                case 0: "v\(number)"
                case 1: String(repeating: "x", count: 40) + String(number)
                case 2: "naïve-\(number)-日本"
                default: "same-prefix-same-prefix-\(number)"
                }
            identities.append(Identity(namespace: namespace, value: value))
        }
        for (number, identity) in identities.enumerated() {
            let (node, isNew) = index.intern(identity)
            #expect(node == Int32(number) && isNew)
        }
        #expect(index.count == identities.count)
        for (number, identity) in identities.enumerated() {
            #expect(index.intern(identity) == (Int32(number), false))
            #expect(index.node(of: identity) == Int32(number))
            #expect(index.identity(Int32(number)) == identity)
        }
    }

    @Test("the same value in two namespaces, and values that are prefixes of others, are different identities")
    func distinguishesNamespacesAndPrefixes() {
        var index = IdentityIndex()
        let values = ["", "a", "ab", "abcdefgh", "abcdefghi", "abcdefghijklmnop", "abcdefghijklmnopq"]
        for namespace in ["email", "crmId"] {
            for value in values { _ = index.intern(Identity(namespace: namespace, value: value)) }
        }
        #expect(index.count == 2 * values.count)
        #expect(index.node(of: Identity(namespace: "email", value: "abcdefghijklmno")) == nil)
        #expect(index.node(of: Identity(namespace: "phone", value: "a")) == nil)
        #expect(index.namespaces == ["email", "crmId"])
    }

    @Test("a probe taken before other identities were added still interns correctly")
    func staleProbe() {
        var index = IdentityIndex()
        let first = Identity(namespace: "email", value: "one@example.com")
        let second = Identity(namespace: "email", value: "two@example.com")
        let probeFirst = index.probe(first)
        let probeAgain = index.probe(first)
        let probeSecond = index.probe(second)
        #expect(probeFirst.node == nil)
        #expect(index.intern(first, probe: probeFirst) == (0, true))
        // Stale: the identity was added through another probe since.
        #expect(index.intern(first, probe: probeAgain) == (0, false))
        #expect(index.intern(second, probe: probeSecond) == (1, true))
        for number in 0..<5_000 { _ = index.intern(Identity(namespace: "userId", value: "u\(number)")) }
        let third = Identity(namespace: "userId", value: "late")
        let probe = index.probe(third)
        _ = index.intern(Identity(namespace: "userId", value: "other"))
        #expect(index.intern(third, probe: probe) == (5_003, true))
        #expect(index.node(of: third) == 5_003)
    }
}
