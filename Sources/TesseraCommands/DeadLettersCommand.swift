import Foundation
import Server
import TesseraCore

/// `tessera dead-letters list | replay ID`: inspects and replays refused records on a running server.
enum DeadLettersCommand {
    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, options: ServerConnection.options.union(["source", "limit", "after"]))
        let connection = try ServerConnection(arguments)
        switch (arguments.positionals.first, arguments.positionals.count) {
        case ("list", 1):
            var path = "/v1/dead-letters?limit=\(try arguments.integer("limit", default: 100, in: 1...1000))"
            if let after = arguments.options["after"] { path += "&after=\(QueryText.escape(after))" }
            print(listing(try connection.adminGet(path)))
        case ("replay", 2):
            guard let id = Int64(arguments.positionals[1]) else { throw UsageError("replay needs a numeric ID") }
            var path = "/v1/dead-letters/\(id)/replay"
            if let source = arguments.options["source"] { path += "?source=\(QueryText.escape(source))" }
            _ = try connection.admin("POST", path, body: [])
            print("Replayed dead letter \(id)")
        default:
            throw UsageError("dead-letters needs list or replay ID")
        }
        return 0
    }

    /// One line per dead letter: id, time, route, reason, and whether it was replayed.
    static func listing(_ page: JSONValue) -> String {
        let letters = page["deadLetters"]?.arrayValue ?? []
        guard !letters.isEmpty else { return "No dead letters." }
        return letters.map { letter in
            let id = letter["id"]?.intValue.map(String.init) ?? "?"
            let field = letter["field"]?.stringValue.map { " (\($0))" } ?? ""
            let index = letter["index"]?.intValue.map { " #\($0)" } ?? ""
            let replayed = letter["replayedAt"]?.stringValue.map { "  replayed \($0)" } ?? ""
            return "\(id)  \(letter["receivedAt"]?.stringValue ?? "")  \(letter["route"]?.stringValue ?? "")\(index)  "
                + "\(letter["code"]?.stringValue ?? ""): \(letter["message"]?.stringValue ?? "")\(field)\(replayed)"
        }.joined(separator: "\n")
    }
}
