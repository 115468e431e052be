import Foundation
import Identity
import JSONParsing
import Server
import Storage
import TesseraCore
import Unification

/// `tessera identity explain A B | unlink A [B] | simulate --rules FILE`.
enum IdentityCommand {
    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words, options: ServerConnection.options.union(["rules", "config"]), flags: ["json"])
        let positionals = arguments.positionals
        switch (positionals.first, positionals.count) {
        case ("explain", 3):
            let connection = try ServerConnection(arguments)
            let path =
                "/v1/identities/explain?from=\(QueryText.escape(positionals[1]))&to=\(QueryText.escape(positionals[2]))"
            let explanation = try connection.adminGet(path)
            print(arguments.flags.contains("json") ? explanation.serialized : render(explanation: explanation))
        case ("unlink", 2), ("unlink", 3):
            let connection = try ServerConnection(arguments)
            let body: JSONValue =
                positionals.count == 3
                ? ["from": .string(positionals[1]), "to": .string(positionals[2])]
                : ["identity": .string(positionals[1])]
            let split = try connection.admin("POST", "/v1/identities/unlink", body: body.serializedBytes)
            print(arguments.flags.contains("json") ? split.serialized : render(split: split))
        case ("simulate", 1):
            guard let file = arguments.options["rules"] else { throw UsageError("simulate needs --rules FILE") }
            let current = try arguments.options["config"].map(ConfigurationFile.profiles(from:))?.rules ?? .defaults
            let report = try simulate(
                rulesFile: file, current: current,
                data: arguments.options["data"] ?? ServerConfiguration().dataDirectory)
            print(arguments.flags.contains("json") ? report.json.serialized : render(report: report))
        default:
            throw UsageError("identity needs explain A B, unlink A [B] or simulate --rules FILE")
        }
        return 0
    }

    /// Replays the data directory's identity log under the rules in `rulesFile` and compares the
    /// outcome with `current` (the server's rules); changes nothing.
    static func simulate(rulesFile: String, current: IdentityRules, data: String) throws -> SimulationReport {
        guard let bytes = FileManager.default.contents(atPath: rulesFile) else {
            throw ServerError("cannot read \(rulesFile)")
        }
        let rules = try IdentityRules(json: JSONValue(parsing: Array(bytes)))
        let store = try Store(directory: data)
        defer { store.close() }
        return try ProfileEngine.simulate(rules: rules, current: current, store: store)
    }

    static func render(explanation: JSONValue) -> String {
        let from = explanation["from"]?.stringValue ?? ""
        let to = explanation["to"]?.stringValue ?? ""
        guard explanation["joined"] == true else {
            let reasons = (explanation["reasons"]?.arrayValue ?? []).map { "  - " + describe(reason: $0) }
            return (["\(from) and \(to) are not in one profile:"] + reasons).joined(separator: "\n")
        }
        var lines = ["\(from) and \(to) are in profile \(explanation["profile"]?.intValue.map(String.init) ?? "?"):"]
        for link in explanation["path"]?.arrayValue ?? [] { lines.append("  " + describe(link: link)) }
        return lines.joined(separator: "\n")
    }

    static func describe(link: JSONValue) -> String {
        let provenance = link["provenance"] ?? [:]
        var origin = [provenance["rule"]?.stringValue ?? "link"]
        if let record = provenance["record"]?.intValue { origin.append("record #\(record)") }
        if let source = provenance["source"]?.intValue { origin.append("source \(source)") }
        origin.append(provenance["time"]?.stringValue ?? "")
        let state = link["state"]?.stringValue.map { $0 == "active" ? "" : " [\($0)]" } ?? ""
        let ends = "\(link["from"]?.stringValue ?? "") — \(link["to"]?.stringValue ?? "")"
        return "\(ends)\(state)   (\(origin.joined(separator: ", ")))"
    }

    static func describe(reason: JSONValue) -> String {
        switch reason["reason"]?.stringValue {
        case "noPath": return "no chain of links joins them"
        case "unknownIdentity": return "\(reason["identity"]?.stringValue ?? "") has never been seen"
        case "blockedValue": return "\(reason["identity"]?.stringValue ?? "") is a blocked value and never links"
        case "sharedIdentity":
            return "\(reason["identity"]?.stringValue ?? "") is shared by several people and stopped linking"
        case "evicted":
            return "\(reason["identity"]?.stringValue ?? "") was evicted to keep its profile within its limit"
        case "refused": return "a link was refused: " + describe(link: reason["link"] ?? [:])
        case "unlinked": return "the link was removed: " + describe(link: reason["link"] ?? [:])
        case "detached": return "the link was detached: " + describe(link: reason["link"] ?? [:])
        case "removed": return "\(reason["identity"]?.stringValue ?? "") was removed from its profile"
        default: return reason.serialized
        }
    }

    static func render(split: JSONValue) -> String {
        guard split["split"] == true else { return "The link is gone; the profile stays whole." }
        let parts = (split["parts"]?.arrayValue ?? []).map { part in
            "  profile \(part["profile"]?.intValue.map(String.init) ?? "?"): "
                + (part["identities"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
        }
        return (["The profile split:"] + parts).joined(separator: "\n")
    }

    static func render(report: SimulationReport) -> String {
        let json = report.json
        return [
            "Replayed \(report.observations) observations of the identity log.",
            "Profiles now: \(json["current"]?["profiles"]?.intValue.map(String.init) ?? "?"); "
                + "under the new rules: \(json["proposed"]?["profiles"]?.intValue.map(String.init) ?? "?").",
            "Would merge: \(report.merges) profiles; would split: \(report.splits).",
            "Examples: \(json["mergeExamples"]?.serialized ?? "[]") \(json["splitExamples"]?.serialized ?? "[]")",
        ].joined(separator: "\n")
    }
}
