import Foundation
import Server
import TesseraCore

/// `tessera destinations create|list|show|update|delete`: destinations through the server's admin
/// API. A destination is named by its id or its name.
///
/// Settings come from options (below) or from a JSON file (`--settings FILE`, the body the API
/// takes); options given beside a file override its members.
enum DestinationsCommand {
    static let usage = """
        destinations needs one of:
          create NAME --kind webhook|file|nats [settings] | --settings FILE
          list | show DESTINATION | update DESTINATION [settings] | delete DESTINATION
        settings:
          --url URL  --directory DIR --format jsonl|csv  --subject SUBJECT
          --mapping FIELD=PATH,…  --marketing-actions A,…  --required-consent P,…
          --batch-size N  --linger-ms MS  --concurrency N  --rate-limit PER_SECOND  --timeout-ms MS
        """

    /// Options that carry a setting, with the API member each one sets.
    private static let settings: [(option: String, member: String, kind: SettingKind)] = [
        ("kind", "kind", .text), ("url", "url", .text), ("directory", "directory", .text), ("format", "format", .text),
        ("subject", "subject", .text), ("mapping", "mapping", .mapping),
        ("marketing-actions", "marketingActions", .list), ("required-consent", "requiredConsent", .list),
        ("batch-size", "batchSize", .integer), ("linger-ms", "lingerMs", .integer),
        ("concurrency", "concurrency", .integer), ("rate-limit", "rateLimitPerSecond", .number),
        ("timeout-ms", "timeoutMs", .integer),
    ]

    private enum SettingKind {
        case text, list, integer, number, mapping
    }

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words, options: ServerConnection.options.union(settings.map(\.option)).union(["settings"]),
            flags: ["json"])
        let positionals = arguments.positionals
        let json = arguments.flags.contains("json")
        let connection = try ServerConnection(arguments)
        let output: String
        switch (positionals.first, positionals.count) {
        case ("create", 2):
            var body = try file(arguments) ?? [:]
            body["name"] = .string(positionals[1])
            try apply(arguments, to: &body)
            let created = try connection.admin("POST", "/v1/destinations", body: JSONValue.object(body).serializedBytes)
            output =
                json
                ? created.serialized
                : render(created) + "\n\n  signing secret (shown only now): "
                    + (created["secret"]?.stringValue ?? "")
        case ("list", 1):
            let list = try connection.adminGet("/v1/destinations")
            output = json ? list.serialized : renderList(list["destinations"]?.arrayValue ?? [])
        case ("show", 2):
            let destination = try connection.adminGet("/v1/destinations/\(try id(positionals[1], connection))")
            output = json ? destination.serialized : render(destination)
        case ("update", 2):
            let id = try id(positionals[1], connection)
            var body = try file(arguments) ?? connection.adminGet("/v1/destinations/\(id)").objectValue ?? [:]
            for member in ["id", "createdAt", "updatedAt", "deliveries"] { body[member] = nil }
            try apply(arguments, to: &body)
            let updated = try connection.admin(
                "PUT", "/v1/destinations/\(id)", body: JSONValue.object(body).serializedBytes)
            output = json ? updated.serialized : render(updated)
        case ("delete", 2):
            let result = try connection.admin(
                "DELETE", "/v1/destinations/\(try id(positionals[1], connection))", body: [])
            output = json ? result.serialized : "deleted destination \(result["deleted"]?.intValue ?? 0)"
        default:
            throw UsageError(usage)
        }
        print(output)
        return 0
    }

    /// The id of a destination named by id or by name.
    static func id(_ argument: String, _ connection: ServerConnection) throws -> Int64 {
        if let id = Int64(argument) { return id }
        let destinations = try connection.adminGet("/v1/destinations")["destinations"]?.arrayValue ?? []
        guard let match = destinations.first(where: { $0["name"]?.stringValue == argument }),
            let id = match["id"]?.intValue
        else { throw ServerError("no destination is named \"\(argument)\"") }
        return id
    }

    /// The members of `--settings FILE`, when given.
    private static func file(_ arguments: Arguments) throws -> [String: JSONValue]? {
        guard let path = arguments.options["settings"] else { return nil }
        guard let bytes = FileManager.default.contents(atPath: path) else { throw ServerError("cannot read \(path)") }
        guard let object = (try? JSONValue(parsing: Array(bytes)))?.objectValue else {
            throw UsageError("--settings must name a file holding one JSON object")
        }
        return object
    }

    /// Sets the members the options name; the server checks the values.
    private static func apply(_ arguments: Arguments, to body: inout [String: JSONValue]) throws {
        for setting in settings {
            guard let text = arguments.options[setting.option] else { continue }
            switch setting.kind {
            case .text: body[setting.member] = .string(text)
            case .list: body[setting.member] = .array(list(text).map(JSONValue.string))
            case .integer:
                guard let value = Int64(text) else { throw UsageError("--\(setting.option) must be a whole number") }
                body[setting.member] = .int(value)
            case .number:
                guard let value = Double(text) else { throw UsageError("--\(setting.option) must be a number") }
                body[setting.member] = .double(value)
            case .mapping:
                body[setting.member] = .array(
                    try list(text).map { pair in
                        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                        guard parts.count == 2 else { throw UsageError("--mapping takes FIELD=PATH pairs") }
                        return ["field": .string(parts[0]), "path": .string(parts[1])]
                    })
            }
        }
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    // MARK: - Rendering

    static func render(_ destination: JSONValue) -> String {
        let kind = destination["kind"]?.stringValue ?? ""
        let target: String
        switch kind {
        case "file":
            target = "\(destination["directory"]?.stringValue ?? "") (\(destination["format"]?.stringValue ?? ""))"
        case "nats": target = "\(destination["url"]?.stringValue ?? "") \(destination["subject"]?.stringValue ?? "")"
        default: target = destination["url"]?.stringValue ?? ""
        }
        let mapping = (destination["mapping"]?.arrayValue ?? []).map {
            "\($0["field"]?.stringValue ?? "")=\($0["path"]?.stringValue ?? "")"
        }
        var lines = [
            "Destination \(destination["id"]?.intValue ?? 0): \(destination["name"]?.stringValue ?? "") (\(kind))",
            "  target      \(target)",
            "  mapping     \(mapping.joined(separator: ", "))",
            "  batches     \(destination["batchSize"]?.intValue ?? 0) within "
                + "\(destination["lingerMs"]?.intValue ?? 0) ms, \(destination["concurrency"]?.intValue ?? 0) at once",
        ]
        if let counts = destination["deliveries"]?.objectValue {
            let text = counts.keys.sorted().map { "\($0) \(counts[$0]?.intValue ?? 0)" }
            lines.append("  deliveries  " + text.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    static func renderList(_ destinations: [JSONValue]) -> String {
        guard !destinations.isEmpty else { return "no destinations" }
        return destinations.map { destination in
            "\(destination["id"]?.intValue ?? 0)  \(destination["name"]?.stringValue ?? "")"
                + "  \(destination["kind"]?.stringValue ?? "")"
        }.joined(separator: "\n")
    }
}

/// `tessera deliveries list DESTINATION [--state STATE] [--after ID] [--limit N] | replay ID`.
enum DeliveriesCommand {
    static let usage = """
        deliveries needs one of:
          list DESTINATION [--state pending|in_flight|retry|delivered|dead|skipped] [--after ID] [--limit N]
          replay ID
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words, options: ServerConnection.options.union(["state", "after", "limit"]), flags: ["json"])
        let positionals = arguments.positionals
        let json = arguments.flags.contains("json")
        let connection = try ServerConnection(arguments)
        let output: String
        switch (positionals.first, positionals.count) {
        case ("list", 2):
            var path = "/v1/destinations/\(try DestinationsCommand.id(positionals[1], connection))/deliveries"
            let query = ["state", "after", "limit"].compactMap { name in
                arguments.options[name].map { "\(name)=\(QueryText.escape($0))" }
            }
            if !query.isEmpty { path += "?" + query.joined(separator: "&") }
            let page = try connection.adminGet(path)
            output = json ? page.serialized : render(page)
        case ("replay", 2):
            guard let id = Int64(positionals[1]) else { throw UsageError("replay needs a delivery id") }
            let delivery = try connection.admin("POST", "/v1/deliveries/\(id)/replay", body: [])
            output = json ? delivery.serialized : "delivery \(id) is \(delivery["state"]?.stringValue ?? "") again"
        default:
            throw UsageError(usage)
        }
        print(output)
        return 0
    }

    static func render(_ page: JSONValue) -> String {
        let deliveries = page["deliveries"]?.arrayValue ?? []
        var lines = deliveries.map { delivery in
            var line =
                "\(delivery["id"]?.intValue ?? 0)  \(delivery["state"]?.stringValue ?? "")"
                + "  attempts \(delivery["attempts"]?.intValue ?? 0)  \(delivery["reason"]?.stringValue ?? "")"
            if let detail = delivery["detail"]?.stringValue { line += "  (\(detail))" }
            return line
        }
        if deliveries.isEmpty { lines.append("no deliveries") }
        if let next = page["next"]?.intValue { lines.append("more: --after \(next)") }
        return lines.joined(separator: "\n")
    }
}

/// `tessera triggers create|list|delete`: real-time triggers through the server's admin API.
enum TriggersCommand {
    static let usage = """
        triggers needs one of:
          create NAME --destination DESTINATION (--event 'did "EVENT" where …' | --on-enter AUDIENCE
                 | --on-exit AUDIENCE) [--condition RULE]
          list | delete TRIGGER
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(
            words,
            options: ServerConnection.options.union(["destination", "event", "on-enter", "on-exit", "condition"]),
            flags: ["json"])
        let positionals = arguments.positionals
        let json = arguments.flags.contains("json")
        let connection = try ServerConnection(arguments)
        let output: String
        switch (positionals.first, positionals.count) {
        case ("create", 2):
            guard let destination = arguments.options["destination"] else {
                throw UsageError("create needs --destination")
            }
            var body: [String: JSONValue] = [
                "name": .string(positionals[1]),
                "destinationId": .int(try DestinationsCommand.id(destination, connection)),
            ]
            switch (arguments.options["event"], arguments.options["on-enter"], arguments.options["on-exit"]) {
            case (let event?, nil, nil):
                body["on"] = "event"
                body["event"] = .string(event)
            case (nil, let audience?, nil):
                body["on"] = "audience_entered"
                body["audience"] = .string(audience)
            case (nil, nil, let audience?):
                body["on"] = "audience_exited"
                body["audience"] = .string(audience)
            default: throw UsageError("create needs one of --event, --on-enter and --on-exit")
            }
            if let condition = arguments.options["condition"] { body["condition"] = .string(condition) }
            let trigger = try connection.admin("POST", "/v1/triggers", body: JSONValue.object(body).serializedBytes)
            output = json ? trigger.serialized : render(trigger)
        case ("list", 1):
            let list = try connection.adminGet("/v1/triggers")
            let triggers = list["triggers"]?.arrayValue ?? []
            output =
                json ? list.serialized : triggers.isEmpty ? "no triggers" : triggers.map(render).joined(separator: "\n")
        case ("delete", 2):
            let result = try connection.admin("DELETE", "/v1/triggers/\(try id(positionals[1], connection))", body: [])
            output = json ? result.serialized : "deleted trigger \(result["deleted"]?.intValue ?? 0)"
        default:
            throw UsageError(usage)
        }
        print(output)
        return 0
    }

    private static func id(_ argument: String, _ connection: ServerConnection) throws -> Int64 {
        if let id = Int64(argument) { return id }
        let triggers = try connection.adminGet("/v1/triggers")["triggers"]?.arrayValue ?? []
        guard let match = triggers.first(where: { $0["name"]?.stringValue == argument }),
            let id = match["id"]?.intValue
        else { throw ServerError("no trigger is named \"\(argument)\"") }
        return id
    }

    /// One line: id, name, when it fires, its condition and its destination.
    static func render(_ trigger: JSONValue) -> String {
        let moment =
            trigger["on"] == "event"
            ? trigger["event"]?.stringValue ?? ""
            : "\(trigger["on"]?.stringValue ?? "") \"\(trigger["audience"]?.stringValue ?? "")\""
        var line = "\(trigger["id"]?.intValue ?? 0)  \(trigger["name"]?.stringValue ?? "")  on \(moment)"
        if let condition = trigger["condition"]?.stringValue { line += "  if \(condition)" }
        return line + "  → destination \(trigger["destinationId"]?.intValue ?? 0)"
    }
}
