import Foundation
import JSONParsing
import Server
import TesseraCore

/// The `privacy` section of the configuration file: retention periods and privacy-job settings.
///
///     "privacy": {
///       "eventsTtlDays": 396, "anonymousProfilesTtlDays": 90, "auditTtlDays": 730,
///       "anonymousNamespaces": ["anonymousId", "cookieId", "deviceId", "ecid"],
///       "accessDocumentTtlDays": 7, "retentionIntervalMinutes": 60, "vacuumAfterDelete": false,
///       "keyFile": "/etc/tessera/privacy-key"
///     }
///
/// A TTL of `0` or `null` keeps that data for ever.
extension ConfigurationFile {
    /// The privacy settings in `path` (the defaults when it has no `privacy` section).
    ///
    /// - Throws: `ServerError` naming the file and the key at fault.
    static func privacy(from path: String) throws -> PrivacyConfiguration {
        guard let bytes = FileManager.default.contents(atPath: path),
            let json = try? JSONValue(parsing: Array(bytes))
        else { throw ServerError("cannot read the configuration file \(path) as JSON") }
        var configuration = PrivacyConfiguration()
        guard let section = json["privacy"] else { return configuration }
        guard let object = section.objectValue else { throw ServerError("\(path): `privacy` must be an object") }
        func days(_ key: String) throws -> Duration?? {
            guard let value = object[key] else { return .none }
            if value == .null { return .some(nil) }
            guard let number = value.intValue, number >= 0 else {
                throw ServerError("\(path): `privacy.\(key)` must be a whole number of days, 0 or null")
            }
            return .some(number == 0 ? nil : .seconds(number * 86_400))
        }
        let known: Set<String> = [
            "eventsTtlDays", "anonymousProfilesTtlDays", "auditTtlDays", "anonymousNamespaces", "accessDocumentTtlDays",
            "retentionIntervalMinutes", "vacuumAfterDelete", "keyFile",
        ]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ServerError("\(path): `privacy.\(unknown)` is not a setting")
        }
        if let ttl = try days("eventsTtlDays") { configuration.eventsTTL = ttl }
        if let ttl = try days("anonymousProfilesTtlDays") { configuration.anonymousProfilesTTL = ttl }
        if let ttl = try days("auditTtlDays") { configuration.auditTTL = ttl }
        if let ttl = try days("accessDocumentTtlDays") {
            configuration.accessDocumentTTL = ttl ?? .seconds(7 * 86_400)
        }
        if let names = object["anonymousNamespaces"] {
            guard let list = names.arrayValue?.compactMap(\.stringValue), list.count == names.arrayValue?.count else {
                throw ServerError("\(path): `privacy.anonymousNamespaces` must be an array of namespace names")
            }
            configuration.anonymousNamespaces = Set(list)
        }
        if let minutes = object["retentionIntervalMinutes"] {
            guard let value = minutes.intValue, value >= 1 else {
                throw ServerError("\(path): `privacy.retentionIntervalMinutes` must be a whole number from 1")
            }
            configuration.retentionInterval = .seconds(value * 60)
        }
        if let vacuum = object["vacuumAfterDelete"] {
            guard let value = vacuum.boolValue else {
                throw ServerError("\(path): `privacy.vacuumAfterDelete` must be true or false")
            }
            configuration.vacuumAfterDelete = value
        }
        if let file = object["keyFile"] {
            guard let value = file.stringValue, !value.isEmpty else {
                throw ServerError("\(path): `privacy.keyFile` must be a path")
            }
            configuration.keyFile = value
        }
        return configuration
    }
}
