import Foundation
import Server
import TesseraCore
import TesseraTesting
import Testing

@testable import TesseraCommands

/// The `privacy` section of the configuration file and the retention flags of `tessera serve`.
@Suite struct PrivacyConfigurationTests {
    @Test("the file sets every privacy setting; 0 and null keep data for ever")
    func section() throws {
        let configuration = try read(
            """
            {"privacy": {"eventsTtlDays": 30, "anonymousProfilesTtlDays": null, "accessDocumentTtlDays": 1,
             "auditTtlDays": 400,
             "anonymousNamespaces": ["cookieId"], "retentionIntervalMinutes": 5, "vacuumAfterDelete": true,
             "keyFile": "/secure/privacy-key"}}
            """)
        #expect(configuration.eventsTTL == .seconds(30 * 86_400))
        #expect(configuration.anonymousProfilesTTL == nil)
        #expect(configuration.auditTTL == .seconds(400 * 86_400))
        #expect(configuration.accessDocumentTTL == .seconds(86_400))
        #expect(configuration.anonymousNamespaces == ["cookieId"])
        #expect(configuration.retentionInterval == .seconds(300))
        #expect(configuration.vacuumAfterDelete && configuration.keyFile == "/secure/privacy-key")
        #expect(try read(#"{"identity": {}}"#).eventsTTL == .seconds(396 * 86_400), "defaults without the section")
        #expect(try read(#"{"privacy": {"eventsTtlDays": 0}}"#).eventsTTL == nil)
    }

    @Test(
        "a bad setting names itself",
        arguments: [
            (#"{"privacy": {"eventsTtlDays": -1}}"#, "eventsTtlDays"),
            (#"{"privacy": {"auditTtlDays": "forever"}}"#, "auditTtlDays"),
            (#"{"privacy": {"anonymousNamespaces": "cookieId"}}"#, "anonymousNamespaces"),
            (#"{"privacy": {"retentionIntervalMinutes": 0}}"#, "retentionIntervalMinutes"),
            (#"{"privacy": {"ttl": 3}}"#, "ttl"),
            (#"{"privacy": []}"#, "privacy"),
        ])
    func badSetting(text: String, key: String) throws {
        var message = ""
        do {
            _ = try read(text)
        } catch {
            message = "\(error)"
        }
        #expect(message.contains("`privacy.\(key)`") || message.contains("`\(key)`"), "\(message)")
    }

    @Test("serve's flags override the retention periods")
    func flags() throws {
        let arguments = try Arguments(
            ["--events-ttl-days", "0", "--anonymous-ttl-days", "14", "--audit-ttl-days", "365"],
            options: ServeCommand.options)
        let configuration = try ServeCommand.configuration(from: arguments, environment: [:])
        #expect(configuration.privacy.eventsTTL == nil)
        #expect(configuration.privacy.anonymousProfilesTTL == .seconds(14 * 86_400))
        #expect(configuration.privacy.auditTTL == .seconds(365 * 86_400))
    }

    private func read(_ text: String) throws -> PrivacyConfiguration {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/tessera.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        _ = try ConfigurationFile.profiles(from: path)
        return try ConfigurationFile.privacy(from: path)
    }
}
