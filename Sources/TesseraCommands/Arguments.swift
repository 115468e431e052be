/// A parsed command line: positional words, `--name value` options and `--flag` switches.
///
/// Hand-written because no Swift package can be fetched here (swift-argument-parser included);
/// kept to what the `tessera` commands need.
struct Arguments {
    var positionals: [String] = []
    var options: [String: String] = [:]
    var flags: Set<String> = []

    /// Parses `words`, accepting only the options and flags named.
    ///
    /// - Throws: `UsageError` for an unknown option or an option without its value.
    init(_ words: [String], options known: Set<String> = [], flags knownFlags: Set<String> = []) throws(UsageError) {
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            guard word.hasPrefix("--"), word.count > 2 else {
                positionals.append(word)
                continue
            }
            var name = String(word.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if knownFlags.contains(name) && value == nil {
                flags.insert(name)
                continue
            }
            guard known.contains(name) else { throw UsageError("unknown option --\(name)") }
            if value == nil {
                guard index < words.count else { throw UsageError("--\(name) needs a value") }
                value = words[index]
                index += 1
            }
            options[name] = value
        }
    }

    /// The option's value as an integer within `range`, or `fallback` when absent.
    func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let text = options[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw UsageError("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

/// A mistake in how a command was called; the tool prints it with the usage and exits with 64.
struct UsageError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
