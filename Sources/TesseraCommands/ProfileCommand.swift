import Foundation
import Server
import TesseraCore

/// `tessera profile get NAMESPACE:VALUE`: prints a unified profile readably (or as JSON with `--json`).
enum ProfileCommand {
    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words, options: ServerConnection.options.union(["fields", "merge-policy"]), flags: ["json"])
        guard arguments.positionals.count == 2, arguments.positionals[0] == "get" else {
            throw UsageError("profile needs get NAMESPACE:VALUE (or get PROFILE-ID)")
        }
        let connection = try ServerConnection(arguments)
        var path = try profilePath(arguments.positionals[1])
        var query: [String] = []
        if let fields = arguments.options["fields"] { query.append("fields=\(QueryText.escape(fields))") }
        if let policy = arguments.options["merge-policy"] { query.append("mergePolicy=\(QueryText.escape(policy))") }
        if !query.isEmpty { path += "?" + query.joined(separator: "&") }
        let profile = try connection.adminGet(path)
        print(arguments.flags.contains("json") ? profile.serialized : render(profile))
        return 0
    }

    /// `/v1/profiles/NS/VALUE` for an identity, `/v1/profiles/ID` for a number.
    static func profilePath(_ argument: String) throws -> String {
        if Int64(argument) != nil { return "/v1/profiles/\(argument)" }
        guard let colon = argument.firstIndex(of: ":"), colon != argument.startIndex,
            argument.index(after: colon) != argument.endIndex
        else { throw UsageError("name the profile as NAMESPACE:VALUE, e.g. email:jane@example.com") }
        let namespace = QueryText.escape(String(argument[..<colon]))
        let value = QueryText.escape(String(argument[argument.index(after: colon)...]))
        return "/v1/profiles/\(namespace)/\(value)"
    }

    /// The profile as aligned sections: identities, attributes (flattened to dotted paths), computed.
    static func render(_ profile: JSONValue) -> String {
        var lines = [
            "Profile \(profile["profileId"]?.intValue.map(String.init) ?? "?")"
                + "  (merge policy: \(profile["mergePolicy"]?.stringValue ?? "default"))", "", "Identities",
        ]
        let identities = profile["identities"]?.arrayValue ?? []
        let width = identities.compactMap { $0["namespace"]?.stringValue?.count }.max() ?? 0
        for identity in identities {
            let namespace = identity["namespace"]?.stringValue ?? ""
            lines.append(
                "  " + namespace.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                    + (identity["value"]?.stringValue ?? "") + "   first seen "
                    + (identity["firstSeen"]?.stringValue ?? "") + ", last seen "
                    + (identity["lastSeen"]?.stringValue ?? ""))
        }
        lines += ["", "Attributes"] + table(flatten(profile["attributes"] ?? [:]))
        lines += ["", "Computed"] + table(flatten(profile["computed"] ?? [:]))
        return lines.joined(separator: "\n")
    }

    static func flatten(_ value: JSONValue, prefix: String = "") -> [(String, String)] {
        guard case .object(let members) = value else {
            let text = value.stringValue ?? value.serialized
            return [(prefix, text)]
        }
        return members.keys.sorted().flatMap { key in
            flatten(members[key]!, prefix: prefix.isEmpty ? key : prefix + "." + key)
        }
    }

    static func table(_ rows: [(String, String)]) -> [String] {
        guard !rows.isEmpty else { return ["  (none)"] }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { "  " + $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }
    }
}
