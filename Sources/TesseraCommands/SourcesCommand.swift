import Foundation
import Server
import Storage
import TesseraCore

/// `tessera sources add NAME | list | rotate-key NAME`: manages sources in the data directory.
///
/// Works whether or not a server runs on the same directory: SQLite serialises the writes, and a
/// running server picks up new and rotated keys within seconds.
enum SourcesCommand {
    static func run(_ words: [String]) async throws -> Int32 {
        let arguments = try Arguments(words, options: ["data"])
        let directory = arguments.options["data"] ?? ServerConfiguration().dataDirectory
        guard let action = arguments.positionals.first else {
            throw UsageError("sources needs add NAME, list or rotate-key NAME")
        }
        let store = try Store(directory: directory)
        defer { store.close() }
        switch (action, arguments.positionals.count) {
        case ("list", 1):
            let sources = try store.sources()
            print(table(sources))
        case ("add", 2):
            let source = try await store.addSource(
                name: arguments.positionals[1], writeKey: RandomID.secret(prefix: "wk_"))
            print("Added source '\(source.name)' with write key \(source.writeKey)")
        case ("rotate-key", 2):
            guard try store.source(name: arguments.positionals[1]) != nil else {
                throw ServerError("no source is named '\(arguments.positionals[1])'")
            }
            let source = try await store.rotateWriteKey(
                sourceName: arguments.positionals[1], newKey: RandomID.secret(prefix: "wk_"))
            print("Source '\(source.name)' has the new write key \(source.writeKey); the old one no longer works")
        default:
            throw UsageError("sources needs add NAME, list or rotate-key NAME")
        }
        return 0
    }

    static func table(_ sources: [SourceRecord]) -> String {
        let width = max(4, sources.map(\.name.count).max() ?? 0)
        var lines = ["NAME".padding(toLength: width + 2, withPad: " ", startingAt: 0) + "WRITE KEY" + "    CREATED"]
        for source in sources {
            lines.append(
                source.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + source.writeKey + "    "
                    + source.createdAt.iso8601)
        }
        return lines.joined(separator: "\n")
    }
}
