import Foundation
import Governance
import Identity
import JSONParsing
import Profiles
import Server
import TesseraCore
import Unification

/// The optional JSON configuration file (`--config FILE`): identity rules, merge policies and
/// computed-attribute settings. Every section and key is optional; what is absent keeps its default.
///
///     {
///       "identity": {"uniqueNamespaces": ["userId", "crmId"], "maxIdentitiesPerProfile": 50},
///       "mergePolicies": {"default": "latest", "policies": [{"name": "latest", "kind": "timestampOrdered"}]},
///       "computed": {"defaultCurrency": "EUR"},
///       "governance": {"fields": {"attributes.healthScore": ["S2"]}}
///     }
enum ConfigurationFile {
    static let sections: Set<String> = ["identity", "mergePolicies", "computed", "governance", "privacy"]

    /// The data-usage labels, marketing actions and policies in `path` (the built-in ones when it
    /// has no `governance` section). See `GovernanceCatalog.init(configuration:)`.
    ///
    /// - Throws: `ServerError` naming the file and the member at fault.
    static func governance(from path: String) throws -> GovernanceCatalog {
        guard let bytes = FileManager.default.contents(atPath: path),
            let json = try? JSONValue(parsing: Array(bytes))
        else { throw ServerError("cannot read the configuration file \(path) as JSON") }
        guard let section = json["governance"] else { return .standard }
        do {
            return try GovernanceCatalog(configuration: section)
        } catch {
            throw ServerError("\(path): \(error.field): \(error.message)")
        }
    }

    /// The profile settings in `path`.
    ///
    /// - Throws: `ServerError` naming the file and the section at fault.
    static func profiles(from path: String) throws -> ProfileEngine.Configuration {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw ServerError("cannot read the configuration file \(path)")
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: Array(bytes))
        } catch {
            throw ServerError("\(path) is not valid JSON")
        }
        guard let object = json.objectValue else { throw ServerError("\(path) must hold a JSON object") }
        if let unknown = object.keys.first(where: { !sections.contains($0) }) {
            let names = sections.sorted().joined(separator: ", ")
            throw ServerError("\(path): `\(unknown)` is not a section (\(names))")
        }
        var configuration = ProfileEngine.Configuration()
        do {
            if let identity = object["identity"] { configuration.rules = try IdentityRules(json: identity) }
            if let policies = object["mergePolicies"] {
                configuration.mergePolicies = try MergePolicies(json: policies)
            }
            if let computed = object["computed"] {
                configuration.computed = try ComputedAttributes.Configuration(json: computed)
            }
        } catch {
            throw ServerError("\(path): \(error)")
        }
        return configuration
    }
}
