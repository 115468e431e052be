import Foundation
import HTTPServer
import Storage
import TesseraCore
import TesseraTesting
import Testing

@testable import Server

/// Privacy jobs over HTTP: the access document holds everything about a person, a delete leaves no
/// byte of them in the data directory and keeps them out afterwards, and retention expires old data.
@Suite struct PrivacyAPITests {
    /// Jane's identifiers, as sent and as normalised.
    enum Jane {
        static let email = "Jane.Doe@Example.com"
        static let normalisedEmail = "jane.doe@example.com"
        static let phone = "(415) 555-0134"
        static let e164 = "+14155550134"
        static let userID = "jane-uid-4242"
        static let anonymousID = "anon-jane-7f3c9e"
        static let firstName = "Janetta"

        /// Every form a byte search looks for.
        static let needles = [email, normalisedEmail, phone, e164, userID, anonymousID, firstName]
    }

    @Test("the access document holds identities, links, fragments, profile, events, consent, audiences and deliveries")
    func accessExportIsComplete() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let server = try await RunningServer()
        defer { server.finish() }
        try await activateGoldAudience(on: server, receiverPort: receiver.port)
        try await sendJaneAndBob(to: server)
        _ = try await receiver.waitFor(count: 1)

        let job = try await submit(server, action: "access", namespace: "email", value: Jane.email)
        #expect(job["state"] == "done" && job["action"] == "access" && job["regulation"] == "gdpr", "\(job)")
        #expect(job["requestedBy"] == "admin" && job["expiresAt"]?.stringValue != nil)
        let document = try #require(job["document"])
        let identities = Set(
            (document["identities"]?.arrayValue ?? []).compactMap { identity -> String? in
                guard let namespace = identity["namespace"]?.stringValue, let value = identity["value"]?.stringValue
                else { return nil }
                return namespace + ":" + value
            })
        #expect(
            identities == [
                "email:" + Jane.normalisedEmail, "phone:" + Jane.e164, "userId:" + Jane.userID,
                "anonymousId:" + Jane.anonymousID,
            ])
        #expect((document["links"]?.arrayValue?.count ?? 0) >= 3)
        #expect(document["profile"]?["attributes"]?["firstName"] == .string(Jane.firstName))
        #expect(document["profile"]?["computed"] != nil)
        #expect(document["fragments"]?.arrayValue?.contains { $0["path"] == "firstName" } == true)
        let events = document["events"]?.arrayValue ?? []
        #expect(events.count == 3, "identify, track and page")
        #expect(Set(events.compactMap { $0["type"]?.stringValue }) == ["identify", "track", "page"])
        #expect(events.allSatisfy { $0["record"]?.objectValue != nil })
        #expect(document["consentHistory"]?.arrayValue?.isEmpty == false)
        let memberships = document["audiences"]?["memberships"]?.arrayValue ?? []
        #expect(memberships.contains { $0["audience"] == "Gold" })
        #expect(document["audiences"]?["history"]?.arrayValue?.isEmpty == false)
        let deliveries = document["deliveries"]?.arrayValue ?? []
        #expect(deliveries.count == 1 && deliveries.first?["payload"] != .null)
        #expect(!document.serialized.contains("bob"), "nothing of another person")

        let shown = try await server.send("GET", "/v1/privacy/jobs/\(job["id"]?.stringValue ?? "")", auth: .admin)
        #expect(shown.status == 200 && shown.json["document"] == document)
        var audited = 0
        for _ in 0..<150 where audited < 2 {
            try await Task.sleep(for: .milliseconds(20))
            audited = try server.server.store.auditEntries(after: nil, limit: 100).filter {
                $0.action == "privacy-access"
            }.count
        }
        #expect(audited == 2, "the answer and the read are audited")
    }

    @Test("a delete leaves no byte of the person in the data directory and suppresses them afterwards")
    func deleteErasesEveryByteAndSuppresses() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var server = try await RunningServer(directory: directory)
        try await activateGoldAudience(on: server, receiverPort: receiver.port)
        try await sendJaneAndBob(to: server)
        _ = try await receiver.waitFor(count: 1)
        let access = try await submit(server, action: "access", namespace: "userId", value: Jane.userID)
        #expect(access["state"] == "done")
        #expect(try found(Jane.needles, in: directory.path).isEmpty == false, "the search finds what is there")

        let job = try await submit(server, action: "delete", namespace: "email", value: Jane.email)
        #expect(job["state"] == "done", "\(job)")
        #expect(job["identity"] == nil, "the finished job no longer holds the identity")
        let receipt = try #require(job["receipt"])
        let counts = receipt["counts"] ?? [:]
        #expect(counts["identities"] == 4 && counts["events"] == 3 && counts["deadLetters"] == 1, "\(receipt)")
        #expect(counts["suppressions"] == 4 && counts["fragments"] == 1 && counts["deliveries"] == 1)
        #expect(
            counts["memberships"] == 1 && counts["accessDocuments"] == 1 && (counts["identityLog"]?.intValue ?? 0) > 0)
        let key = try PrivacyKey.load(path: directory.path + "/privacy-key")
        #expect(Receipt.verify(receipt, with: key))
        var forged = receipt.objectValue ?? [:]
        forged["counts"] = ["events": 0]
        #expect(!Receipt.verify(.object(forged), with: key), "a changed receipt fails")

        #expect(try found(Jane.needles, in: directory.path) == [], "after the delete")
        #expect(try found(["bob@example.org"], in: directory.path) == ["bob@example.org"], "Bob stays")
        #expect(try await server.send("GET", "/v1/profiles/userId/\(Jane.userID)", auth: .admin).status == 404)
        #expect(try await server.send("GET", "/v1/profiles/userId/bob-uid-99", auth: .admin).status == 200)
        let accessAfter = try await server.send(
            "GET", "/v1/privacy/jobs/\(access["id"]?.stringValue ?? "")", auth: .admin)
        #expect(accessAfter.json["document"] == .null, "the earlier access document is gone")

        let again = #"{"userId": "new-device-user", "traits": {"email": "JANE.DOE@example.com"}}"#
        #expect(try await server.send("POST", "/v1/identify", body: again).status == 200, "acknowledged")
        #expect(try await server.send("GET", "/v1/profiles/userId/new-device-user", auth: .admin).status == 404)
        #expect(try await metric("tessera_privacy_suppressed_records_total", server) == 1)
        #expect(try found(Jane.needles, in: directory.path) == [], "the dropped record left nothing either")

        server.stop()
        server = try await RunningServer(directory: directory)
        defer { server.stop() }
        #expect(try await server.send("GET", "/v1/profiles/userId/bob-uid-99", auth: .admin).status == 200)
        let returning = #"{"userId": "\#(Jane.userID)", "event": "Came Back"}"#
        #expect(try await server.send("POST", "/v1/track", body: returning).status == 200)
        #expect(try await server.send("GET", "/v1/profiles/userId/\(Jane.userID)", auth: .admin).status == 404)
        #expect(try await metric("tessera_privacy_suppressed_records_total", server) == 1, "after a restart too")
        let newcomer = #"{"userId": "someone-new", "traits": {"email": "new@example.net"}}"#
        #expect(try await server.send("POST", "/v1/identify", body: newcomer).status == 200)
        let profile = try await server.send("GET", "/v1/profiles/userId/someone-new", auth: .admin)
        let bob = try await server.send("GET", "/v1/profiles/userId/bob-uid-99", auth: .admin)
        #expect(profile.json["profileId"] != bob.json["profileId"] && (profile.json["profileId"]?.intValue ?? 0) > 2)
    }

    @Test("retention deletes old events and anonymous profiles not seen for their TTL, by a manual clock")
    func retentionWithManualClock() async throws {
        let clock = ManualClock()
        let server = try await RunningServer(clock: clock) { configuration in
            configuration.privacy.eventsTTL = .seconds(30 * 86_400)
            configuration.privacy.anonymousProfilesTTL = .seconds(10 * 86_400)
            configuration.privacy.retentionInterval = .seconds(365 * 86_400)
        }
        defer { server.finish() }
        let retention = try #require(server.server.privacy?.retention)
        let day: Int64 = 86_400_000
        let start = clock.now()
        func page(_ anonymousID: String) async throws {
            let body = #"{"anonymousId": "\#(anonymousID)", "properties": {"path": "/"}}"#
            #expect(try await server.send("POST", "/v1/page", body: body).status == 200)
        }
        try await page("visitor-old")
        _ = try await server.send("POST", "/v1/identify", body: #"{"userId": "kept-user", "anonymousId": "v-k"}"#)
        let access = try await submit(server, action: "access", namespace: "userId", value: "kept-user")
        #expect(access["document"]?["profileId"] != .null)
        clock.advance(milliseconds: 5 * day)
        try await page("visitor-recent")

        clock.advance(milliseconds: 6 * day)
        var report = try await retention.run()
        #expect(report == Retention.Report(events: 0, profiles: 1, accessDocuments: 1), "visitor-old and the document")
        let expired = try await server.send("GET", "/v1/privacy/jobs/\(access["id"]?.stringValue ?? "")", auth: .admin)
        #expect(expired.json["document"] == .null && expired.json["documentExpired"] == true)
        #expect(try await server.send("GET", "/v1/profiles/anonymousId/visitor-old", auth: .admin).status == 404)
        #expect(try await server.send("GET", "/v1/profiles/anonymousId/visitor-recent", auth: .admin).status == 200)
        #expect(try await server.send("GET", "/v1/profiles/userId/kept-user", auth: .admin).status == 200)
        #expect(try await server.allEvents().count == 2, "visitor-old's page went with the profile")

        clock.set(start.adding(milliseconds: 30 * day + 1))
        report = try await retention.run()
        #expect(report.events == 1 && report.profiles == 1, "the identify outlived the events TTL: \(report)")
        let timeline = try await server.send("GET", "/v1/profiles/userId/kept-user/events", auth: .admin)
        #expect(timeline.json["events"]?.arrayValue?.isEmpty == true)
        #expect(try await server.send("GET", "/v1/profiles/userId/kept-user", auth: .admin).status == 200)
        #expect(try await server.allEvents().isEmpty, "visitor-recent's page went with its profile")
    }

    @Test("an accepted job that did not run before a stop runs at the next start")
    func jobsSurviveRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var server = try await RunningServer(directory: directory)
        try await sendJaneAndBob(to: server)
        server.stop()
        let store = try Store(directory: directory.path)
        let job = PrivacyJob(
            id: "pj_left-over", regulation: .ccpa, action: .delete, state: .running,
            identity: .init(namespace: "userId", value: Jane.userID), namespace: "userId", identityHash: "h",
            requestedBy: "admin", createdAt: Timestamp.now())
        try await store.transaction { connection in try PrivacyJobTable.insert(job, in: connection) }
        store.close()

        server = try await RunningServer(directory: directory)
        defer { server.stop() }
        var state: JSONValue?
        for _ in 0..<200 {
            state = try await server.send("GET", "/v1/privacy/jobs/pj_left-over", auth: .admin).json["state"]
            if state == "done" { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(state == "done")
        #expect(try await server.send("GET", "/v1/profiles/userId/\(Jane.userID)", auth: .admin).status == 404)
        let left = try await server.send("GET", "/v1/privacy/jobs/pj_left-over", auth: .admin).json
        #expect(left["regulation"] == "ccpa" && left["receipt"]?["counts"]?["identities"] == 4)
    }

    @Test("deleting an identity nobody holds still suppresses it and searches dead letters for it")
    func deleteUnknownIdentity() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let broken =
            #"{"batch": [{"type": "track", "userId": "a", "event": "ok"}, "#
            + #"{"type": "track", "userId": "zed", "properties": {"email": "zed@example.com"}}]}"#
        #expect(try await server.send("POST", "/v1/batch", body: broken).status == 200)
        let job = try await submit(server, action: "delete", namespace: "email", value: "zed@example.com")
        #expect(job["state"] == "done" && job["receipt"]?["counts"]?["identities"] == 0)
        #expect(job["receipt"]?["counts"]?["suppressions"] == 1 && job["receipt"]?["counts"]?["deadLetters"] == 1)
        let record = #"{"userId": "zed", "traits": {"email": "zed@example.com"}}"#
        #expect(try await server.send("POST", "/v1/identify", body: record).status == 200)
        #expect(try await server.send("GET", "/v1/profiles/userId/zed", auth: .admin).status == 404)
    }

    @Test(
        "invalid requests name their field",
        arguments: [
            (#"{"action": "access", "identity": {"namespace": "email", "value": "a@b.c"}}"#, "regulation"),
            (
                #"{"regulation": "hipaa", "action": "access", "identity": {"namespace": "email", "value": "a@b.c"}}"#,
                "regulation"
            ),
            (
                #"{"regulation": "gdpr", "action": "erase", "identity": {"namespace": "email", "value": "a@b.c"}}"#,
                "action"
            ),
            (#"{"regulation": "gdpr", "action": "delete", "identity": {"value": "a@b.c"}}"#, "identity.namespace"),
            (#"{"regulation": "gdpr", "action": "delete", "identity": {"namespace": "email"}}"#, "identity.value"),
            (
                #"{"regulation": "gdpr", "action": "delete", "identity": {"namespace": "email", "value": "nope"}}"#,
                "identity.value"
            ),
            ("[1]", nil),
        ])
    func invalidRequests(body: String, field: String?) async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let answer = try await server.send("POST", "/v1/privacy/jobs", body: body, auth: .admin)
        #expect(answer.status == 400)
        #expect(answer.json["error"]?["field"] == field.map(JSONValue.string) ?? nil, "\(answer.text)")
    }

    @Test("privacy routes need the privacy:write scope; unknown jobs are 404")
    func access() async throws {
        let server = try await RunningServer()
        defer { server.finish() }
        let token = try await server.send(
            "POST", "/v1/tokens", body: #"{"name": "reader", "scopes": ["profiles:read-pii"]}"#, auth: .admin)
        let secret = try #require(token.json["token"]?.stringValue)
        let body = #"{"regulation": "gdpr", "action": "access", "identity": {"namespace": "email", "value": "a@b.co"}}"#
        let refused = try await server.send(
            "POST", "/v1/privacy/jobs", body: body, auth: .none, headers: [("Authorization", "Bearer \(secret)")])
        #expect(refused.status == 403 && refused.json["error"]?["scope"] == "privacy:write")
        #expect(try await server.send("GET", "/v1/privacy/jobs/pj_nothing", auth: .admin).status == 404)
        let nobody = try await submit(server, action: "access", namespace: "email", value: "a@b.co")
        #expect(nobody["state"] == "done" && nobody["document"]?["profileId"] == .null)
    }

    // MARK: - Helpers

    private func submit(
        _ server: RunningServer, action: String, namespace: String, value: String
    ) async throws -> JSONValue {
        let body: JSONValue = [
            "regulation": "gdpr", "action": .string(action),
            "identity": ["namespace": .string(namespace), "value": .string(value)],
        ]
        let answer = try await server.send("POST", "/v1/privacy/jobs", body: body.serialized, auth: .admin)
        #expect(answer.status == 200 || answer.status == 202, "\(answer.text)")
        var job = answer.json
        for _ in 0..<500 where job["state"] != "done" && job["state"] != "failed" {
            try await Task.sleep(for: .milliseconds(20))
            job = try await server.send("GET", "/v1/privacy/jobs/\(job["id"]?.stringValue ?? "")", auth: .admin).json
        }
        return job
    }

    /// A webhook destination the "Gold" audience is sent to, on entry.
    private func activateGoldAudience(on server: RunningServer, receiverPort: Int) async throws {
        let destination: JSONValue = [
            "name": "hook", "kind": "webhook", "url": .string("http://127.0.0.1:\(receiverPort)/hook"),
            "mapping": [["field": "email", "path": "identities.email"]], "batchSize": 1, "lingerMs": 0,
            "marketingActions": ["email-targeting"],
        ]
        let created = try await server.send("POST", "/v1/destinations", body: destination.serialized, auth: .admin)
        let destinationID = try #require(created.json["id"]?.intValue, "\(created.text)")
        let audience = try await server.send(
            "POST", "/v1/audiences", body: #"{"name": "Gold", "rule": "attribute tier = \"gold\""}"#, auth: .admin)
        let audienceID = try #require(audience.json["id"]?.intValue)
        let activation = try await server.send(
            "POST", "/v1/audiences/\(audienceID)/activations",
            body: #"{"destinationId": \#(destinationID), "onExit": false}"#,
            auth: .admin)
        #expect(activation.status == 201, "\(activation.text)")
    }

    /// Jane (four identities, three events, consent, a dead letter) and Bob (one profile of his own).
    private func sendJaneAndBob(to server: RunningServer) async throws {
        let identify: JSONValue = [
            "userId": .string(Jane.userID), "anonymousId": .string(Jane.anonymousID),
            "traits": [
                "email": .string(Jane.email), "phone": .string(Jane.phone), "firstName": .string(Jane.firstName),
                "tier": "gold",
            ],
            "context": ["consent": ["categoryPreferences": ["Email": true]]],
        ]
        #expect(try await server.send("POST", "/v1/identify", body: identify.serialized).status == 200)
        let track = #"{"userId": "\#(Jane.userID)", "event": "Order Completed", "properties": {"total": 12}}"#
        #expect(try await server.send("POST", "/v1/track", body: track).status == 200)
        let page = #"{"anonymousId": "\#(Jane.anonymousID)", "properties": {"path": "/pricing"}}"#
        #expect(try await server.send("POST", "/v1/page", body: page).status == 200)
        let broken =
            #"{"batch": [{"type": "track", "userId": "x", "event": "ok"}, "#
            + #"{"type": "track", "userId": "x", "properties": {"email": "\#(Jane.email)"}}]}"#
        #expect(try await server.send("POST", "/v1/batch", body: broken).status == 200)
        let bob = #"{"userId": "bob-uid-99", "traits": {"email": "bob@example.org", "tier": "silver"}}"#
        #expect(try await server.send("POST", "/v1/identify", body: bob).status == 200)
    }

    /// The needles found in any file under `directory` (the database, its WAL and shared memory,
    /// the secrets).
    private func found(_ needles: [String], in directory: String) throws -> [String] {
        var contents: [Data] = []
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let name = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: directory + "/" + name) { contents.append(data) }
        }
        return needles.filter { needle in contents.contains { $0.range(of: Data(needle.utf8)) != nil } }
    }

    private func metric(_ name: String, _ server: RunningServer) async throws -> Int? {
        let text = try await server.send("GET", "/metrics", auth: .none).text
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "").map { Int($0) } }
    }
}
