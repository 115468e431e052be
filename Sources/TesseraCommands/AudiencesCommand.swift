import Foundation
import Server
import TesseraCore

/// `tessera audiences create|list|show|members|history|evaluate|why|update|delete`: audiences through
/// the server's admin API. An audience is named by its id or its name.
enum AudiencesCommand {
    static let usage = """
        audiences needs one of:
          create NAME --rule TEXT | --rule-file FILE [--description TEXT]
          list | show AUDIENCE | members AUDIENCE [--after ID] [--limit N] | history AUDIENCE
          evaluate [AUDIENCE] | why AUDIENCE NAMESPACE:VALUE
          update AUDIENCE [--name NAME] [--rule TEXT | --rule-file FILE] [--description TEXT] | delete AUDIENCE
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words,
            options: ServerConnection.options.union(["rule", "rule-file", "description", "name", "after", "limit"]),
            flags: ["json"])
        let positionals = arguments.positionals
        let json = arguments.flags.contains("json")
        let connection = try ServerConnection(arguments)
        let output: String
        switch (positionals.first, positionals.count) {
        case ("create", 2):
            guard let rule = try rule(arguments) else {
                throw UsageError("create needs --rule TEXT or --rule-file FILE")
            }
            var body: [String: JSONValue] = ["name": .string(positionals[1]), "rule": .string(rule)]
            if let description = arguments.options["description"] { body["description"] = .string(description) }
            let audience = try connection.admin("POST", "/v1/audiences", body: JSONValue.object(body).serializedBytes)
            output = json ? audience.serialized : render(audience: audience)
        case ("list", 1):
            let list = try connection.adminGet("/v1/audiences")
            output = json ? list.serialized : renderList(list["audiences"]?.arrayValue ?? [])
        case ("show", 2):
            let audience = try connection.adminGet("/v1/audiences/\(try id(positionals[1], connection))")
            output = json ? audience.serialized : render(audience: audience)
        case ("members", 2):
            var path = "/v1/audiences/\(try id(positionals[1], connection))/members"
            let query = ["after", "limit"].compactMap { name in
                arguments.options[name].map { "\(name)=\(QueryText.escape($0))" }
            }
            if !query.isEmpty { path += "?" + query.joined(separator: "&") }
            let page = try connection.adminGet(path)
            output = json ? page.serialized : renderMembers(page)
        case ("history", 2):
            let page = try connection.adminGet("/v1/audiences/\(try id(positionals[1], connection))/history")
            output = json ? page.serialized : renderHistory(page)
        case ("evaluate", 1), ("evaluate", 2):
            let path =
                positionals.count == 2
                ? "/v1/audiences/\(try id(positionals[1], connection))/evaluate" : "/v1/audiences/evaluate"
            let result = try connection.admin("POST", path, body: [])
            output =
                json
                ? result.serialized
                : "evaluated in \(result["milliseconds"]?.intValue ?? 0) ms: "
                    + "\(result["entered"]?.intValue ?? 0) entered, \(result["exited"]?.intValue ?? 0) left"
        case ("why", 3):
            let profile = try ProfileCommand.profilePath(positionals[2]).dropFirst("/v1/profiles/".count)
            let why = try connection.adminGet("/v1/audiences/\(try id(positionals[1], connection))/why/\(profile)")
            output = json ? why.serialized : renderWhy(why)
        case ("update", 2):
            var body: [String: JSONValue] = [:]
            if let name = arguments.options["name"] { body["name"] = .string(name) }
            if let rule = try rule(arguments) { body["rule"] = .string(rule) }
            if let description = arguments.options["description"] { body["description"] = .string(description) }
            guard !body.isEmpty else { throw UsageError("update needs --name, --rule or --description") }
            let audience = try connection.admin(
                "PUT", "/v1/audiences/\(try id(positionals[1], connection))",
                body: JSONValue.object(body).serializedBytes)
            output = json ? audience.serialized : render(audience: audience)
        case ("delete", 2):
            let result = try connection.admin("DELETE", "/v1/audiences/\(try id(positionals[1], connection))", body: [])
            output = json ? result.serialized : "deleted audience \(result["deleted"]?.intValue ?? 0)"
        default:
            throw UsageError(usage)
        }
        print(output)
        return 0
    }

    /// The rule text from `--rule` or `--rule-file`.
    private static func rule(_ arguments: Arguments) throws -> String? {
        if let text = arguments.options["rule"] { return text }
        guard let file = arguments.options["rule-file"] else { return nil }
        guard let bytes = FileManager.default.contents(atPath: file) else { throw ServerError("cannot read \(file)") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The id of an audience named by id or by name.
    private static func id(_ argument: String, _ connection: ServerConnection) throws -> Int64 {
        if let id = Int64(argument) { return id }
        let audiences = try connection.adminGet("/v1/audiences")["audiences"]?.arrayValue ?? []
        guard let match = audiences.first(where: { $0["name"]?.stringValue == argument }),
            let id = match["id"]?.intValue
        else { throw ServerError("no audience is named \"\(argument)\"") }
        return id
    }

    // MARK: - Rendering

    static func render(audience: JSONValue) -> String {
        let description = audience["description"]?.stringValue ?? ""
        var lines = [
            "Audience \(audience["id"]?.intValue ?? 0): \(audience["name"]?.stringValue ?? "")",
            "  members    \(audience["size"]?.intValue ?? 0)",
            "  evaluated  \(audience["evaluatedAt"]?.stringValue ?? "never")",
        ]
        if !description.isEmpty { lines.append("  about      \(description)") }
        lines += ["", "  " + (audience["rule"]?.stringValue ?? "")]
        return lines.joined(separator: "\n")
    }

    static func renderList(_ audiences: [JSONValue]) -> String {
        guard !audiences.isEmpty else { return "no audiences" }
        let rows = audiences.map { audience in
            (
                "\(audience["id"]?.intValue ?? 0)", audience["name"]?.stringValue ?? "",
                "\(audience["size"]?.intValue ?? 0)"
            )
        }
        let idWidth = max(2, rows.map(\.0.count).max() ?? 0)
        let nameWidth = max(4, rows.map(\.1.count).max() ?? 0)
        let header = pad("id", idWidth) + "  " + pad("name", nameWidth) + "  members"
        return ([header] + rows.map { pad($0.0, idWidth) + "  " + pad($0.1, nameWidth) + "  " + $0.2 })
            .joined(separator: "\n")
    }

    static func renderMembers(_ page: JSONValue) -> String {
        let members = page["members"]?.arrayValue ?? []
        var lines = members.map { member in
            "profile \(member["profileId"]?.intValue ?? 0)  \(member["status"]?.stringValue ?? "")"
                + " since \(member["enteredAt"]?.stringValue ?? "")"
        }
        if members.isEmpty { lines.append("no members") }
        if let next = page["next"]?.intValue { lines.append("more: --after \(next)") }
        return lines.joined(separator: "\n")
    }

    static func renderHistory(_ page: JSONValue) -> String {
        let changes = page["history"]?.arrayValue ?? []
        guard !changes.isEmpty else { return "no changes" }
        return changes.map { change in
            "\(change["time"]?.stringValue ?? "")  profile \(change["profileId"]?.intValue ?? 0) "
                + "\(change["change"]?.stringValue ?? "")  (\(change["cause"]?.stringValue ?? ""))"
        }.joined(separator: "\n")
    }

    /// The explanation as an indented tree: ✓ or ✗ per condition, with values, events and expiry.
    static func renderWhy(_ why: JSONValue) -> String {
        let member = why["member"] == true ? "is a member" : "is not a member"
        var lines = ["Profile \(why["profileId"]?.intValue ?? 0) \(member)."]
        func walk(_ node: JSONValue, depth: Int) {
            let indent = String(repeating: "  ", count: depth + 1)
            let mark = node["holds"] == true ? "✓" : "✗"
            var line = indent + mark + " " + (node["condition"]?.stringValue ?? "")
            if let value = node["value"] { line += "   (value: \(value.stringValue ?? value.serialized))" }
            if let changes = node["changesAt"]?.stringValue { line += "   changes at \(changes)" }
            lines.append(line)
            for event in node["events"]?.arrayValue ?? [] {
                lines.append(
                    indent + "    · \(event["event"]?.stringValue ?? "") at \(event["timestamp"]?.stringValue ?? "")"
                        + " (#\(event["sequence"]?.intValue ?? 0))")
            }
            for part in node["conditions"]?.arrayValue ?? [] { walk(part, depth: depth + 1) }
        }
        walk(why["rule"] ?? .null, depth: 0)
        return lines.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}
