@testable import Activation
import Storage
import Testing
import TesseraCore

@Suite struct DestinationTests {
    static func settings(_ tune: (inout DestinationSettings) -> Void = { _ in }) throws -> DestinationSettings {
        var settings = DestinationSettings(
            name: "crm", target: .webhook(try WebhookURL(parsing: "http://127.0.0.1:9000/in")),
            marketingActions: ["email_marketing"], requiredConsent: ["marketing"],
            mapping: try PayloadMapping(["email": "identities.email"]))
        tune(&settings)
        return settings
    }

    @Test(
        "parses webhook URLs into host, port and target",
        arguments: [
            ("http://example.com", "example.com", 80, "/"),
            ("http://example.com:8080/hooks?x=1", "example.com", 8080, "/hooks?x=1"),
            ("HTTP://10.0.0.1:9/a/b", "10.0.0.1", 9, "/a/b"),
            ("http://[::1]:7000/in", "::1", 7000, "/in"),
            ("http://host?only=query", "host", 80, "/?only=query"),
        ])
    func urls(text: String, host: String, port: Int, target: String) throws {
        let url = try WebhookURL(parsing: text)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.target == target)
        #expect(try WebhookURL(parsing: url.description) == url)
    }

    @Test(
        "refuses URLs the client cannot use",
        arguments: [
            "ftp://x", "https://", "http://", "http://:80/", "http://host:0/", "http://host:70000/",
            "http://user@host/", "https://host:0/", "http://host/a#frag", "http://host/a b", "http://[::1/",
            "example.com",
        ])
    func badURLs(text: String) {
        #expect(throws: ActivationError.self) { try WebhookURL(parsing: text) }
    }

    static let brokenRules: [(String, @Sendable (inout DestinationSettings) -> Void)] = [
        ("name", { $0.name = "" }),
        ("name", { $0.name = "-starts-with-dash" }),
        ("name", { $0.name = "has/slash" }),
        ("name", { $0.name = String(repeating: "a", count: 65) }),
        ("directory", { $0.target = .file(directory: "relative/dir", format: .jsonl) }),
        ("batchSize", { $0.batchSize = 0 }),
        ("batchSize", { $0.batchSize = 10_001 }),
        ("lingerMs", { $0.lingerMilliseconds = -1 }),
        ("concurrency", { $0.concurrency = 0 }),
        ("concurrency", { $0.concurrency = 65 }),
        ("rateLimitPerSecond", { $0.rateLimitPerSecond = -1 }),
        ("rateLimitPerSecond", { $0.rateLimitPerSecond = .infinity }),
        ("timeoutMs", { $0.timeoutMilliseconds = 0 }),
        ("marketingActions", { $0.marketingActions = [] }),
        ("marketingActions", { $0.marketingActions = ["Email Marketing"] }),
        ("marketingActions", { $0.marketingActions = ["email", "email"] }),
        ("requiredConsent", { $0.requiredConsent = ["marketing", ""] }),
        ("mapping", { $0.mapping = PayloadMapping([]) }),
        (
            "mapping",
            {
                $0.mapping = PayloadMapping([
                    .init(name: "a", path: .audience), .init(name: "a", path: .event),
                ])
            }
        ),
        ("mapping", { $0.mapping = PayloadMapping([.init(name: "bad\nname", path: .audience)]) }),
    ]

    @Test("names the setting that breaks a rule", arguments: brokenRules)
    func validation(field: String, breakRule: @Sendable (inout DestinationSettings) -> Void) throws {
        let valid = try Self.settings()
        try valid.validate()
        var broken = valid
        breakRule(&broken)
        let error = #expect(throws: ActivationError.self) { try broken.validate() }
        #expect(error?.field == field)
        #expect(error?.description.contains(field) == true)
    }

    @Test(
        "parses mapping paths and writes them back",
        arguments: [
            ("identities.email", ProfilePath.identity(namespace: "email")),
            ("attributes.firstName", .attribute(["firstName"])),
            ("attributes.address.city", .attribute(["address", "city"])),
            ("computed.orderCount", .computed(["orderCount"])),
            ("audience", .audience), ("event", .event), ("profileId", .profileID),
        ])
    func paths(text: String, path: ProfilePath) throws {
        #expect(try ProfilePath(parsing: text) == path)
        #expect(path.description == text)
    }

    @Test(
        "refuses unknown or malformed paths",
        arguments: ["", "identities", "identities.a.b", "attributes", "attributes..x", "traits.email", "audience.x"])
    func badPaths(text: String) {
        #expect(throws: ActivationError.self) { try ProfilePath(parsing: text) }
    }

    @Test("maps profile fields, the audience and the event into the payload; missing values are null")
    func mapping() throws {
        let mapping = try PayloadMapping([
            "email": "identities.email", "first_name": "attributes.firstName", "city": "attributes.address.city",
            "orders": "computed.orderCount", "segment": "audience", "trigger": "event", "id": "profileId",
            "phone": "identities.phone", "missing": "attributes.nothing.here",
        ])
        let input = MappingInput(
            profileID: 42, identities: ["email": ["ada@example.com", "old@example.com"]],
            attributes: ["firstName": "Ada", "address": ["city": "London"]], computed: ["orderCount": 7],
            audience: "vip", event: nil)
        let payload = mapping.payload(for: input)
        #expect(
            payload == [
                "email": "ada@example.com", "first_name": "Ada", "city": "London", "orders": 7, "segment": "vip",
                "trigger": nil, "id": 42, "phone": nil, "missing": nil,
            ])
    }

    @Test("settings survive the JSON round trip, for webhooks and files")
    func jsonRoundTrip() throws {
        var webhook = try Self.settings()
        webhook.batchSize = 50
        webhook.lingerMilliseconds = 250
        webhook.concurrency = 3
        webhook.rateLimitPerSecond = 12.5
        webhook.timeoutMilliseconds = 1_500
        #expect(try DestinationSettings(json: webhook.json) == webhook)
        let file = try Self.settings { $0.target = .file(directory: "/var/exports", format: .csv) }
        #expect(try DestinationSettings(json: file.json) == file)
    }

    @Test("reads admin bodies and reports the member at fault")
    func adminBodies() throws {
        let body: JSONValue = [
            "name": "ads", "kind": "webhook", "url": "http://127.0.0.1:1/x", "marketingActions": ["ad_targeting"],
            "mapping": [["field": "email", "path": "identities.email"]], "batchSize": 10,
        ]
        let settings = try DestinationSettings(json: body)
        #expect(settings.batchSize == 10)
        #expect(settings.lingerMilliseconds == 1_000, "omitted tuning keeps its default")
        var wrongKind = body
        if case .object(var members) = wrongKind {
            members["kind"] = "stream"
            wrongKind = .object(members)
        }
        let error = #expect(throws: ActivationError.self) { try DestinationSettings(json: wrongKind) }
        #expect(error?.field == "kind")
    }
}

@Suite(.timeLimit(.minutes(1))) struct DestinationStoreTests {
    @Test("creates, lists, reads, updates and deletes destinations; the secret is shown once")
    func crud() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let created = try await fixture.destinations.create(try DestinationTests.settings())
        #expect(created.secret.hasPrefix("whsec_"))
        #expect(created.secret.count == 46)
        #expect(!created.destination.json.serialized.contains(created.secret))
        #expect(try fixture.destinations.list() == [created.destination])
        #expect(try fixture.destinations.destination(id: created.destination.id) == created.destination)

        var changed = created.destination.settings
        changed.name = "crm-eu"
        changed.batchSize = 20
        let updated = try await fixture.destinations.update(id: created.destination.id, changed)
        #expect(updated.settings == changed)
        #expect(try fixture.destinations.destination(id: created.destination.id)?.settings == changed)

        let rotated = try await fixture.destinations.rotateSecret(id: created.destination.id)
        #expect(rotated.secret != created.secret)
        let secrets = try fixture.destinations.destinationsWithSecrets().map(\.1)
        #expect(secrets == [rotated.secret])

        try await fixture.destinations.delete(id: created.destination.id)
        #expect(try fixture.destinations.list().isEmpty)
        await #expect(throws: ActivationError.self) {
            try await fixture.destinations.delete(id: created.destination.id)
        }
    }

    @Test("refuses a taken name, unknown ids and invalid settings")
    func refusals() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let first = try await fixture.destinations.create(try DestinationTests.settings())
        let second = try await fixture.destinations.create(try DestinationTests.settings { $0.name = "other" })
        let taken = await #expect(throws: ActivationError.self) {
            try await fixture.destinations.create(try DestinationTests.settings())
        }
        #expect(taken?.kind == .conflict)
        let renamed = await #expect(throws: ActivationError.self) {
            try await fixture.destinations.update(id: second.destination.id, first.destination.settings)
        }
        #expect(renamed?.kind == .conflict)
        let missing = await #expect(throws: ActivationError.self) {
            try await fixture.destinations.update(id: 999, try DestinationTests.settings { $0.name = "x" })
        }
        #expect(missing?.kind == .notFound)
        let invalid = await #expect(throws: ActivationError.self) {
            try await fixture.destinations.create(try DestinationTests.settings { $0.concurrency = 0 })
        }
        #expect(invalid?.kind == .invalidDestination)
        #expect(try fixture.destinations.list().count == 2)
    }

    @Test("deleting a destination skips its waiting deliveries and keeps finished ones")
    func deleteSkipsWaiting() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let created = try await fixture.destinations.create(try DestinationTests.settings())
        try await fixture.enqueue(3, to: created.destination.id)
        try await fixture.destinations.delete(id: created.destination.id)
        let counts = try fixture.outbox.counts()
        #expect(counts[.skipped] == 3)
        #expect(counts[.pending] == 0)
        let details = try fixture.outbox.deliveries().map(\.status.detail)
        #expect(details == Array(repeating: "destination_deleted", count: 3))
    }
}
