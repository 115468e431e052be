import TesseraCore

/// A system Tessera activates profiles into: a webhook, a directory of export files or a NATS
/// JetStream subject.
///
/// The signing secret is not part of this value: it is shown once, when the destination is created
/// or its secret rotated (``CreatedDestination``), and otherwise read only by the delivery engine.
public struct Destination: Sendable, Equatable {
    /// The id the store gave the destination.
    public var id: Int64
    /// Everything the user configured.
    public var settings: DestinationSettings
    /// When the destination was created.
    public var createdAt: Timestamp
    /// When its settings last changed.
    public var updatedAt: Timestamp

    /// Creates a destination value; ``DestinationStore`` does this.
    public init(id: Int64, settings: DestinationSettings, createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id
        self.settings = settings
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The destination's unique name.
    public var name: String { settings.name }

    /// The destination as the admin API shows it, without its secret.
    public var json: JSONValue {
        var members = settings.json.objectValue ?? [:]
        members["id"] = .int(id)
        members["createdAt"] = .string(createdAt.iso8601)
        members["updatedAt"] = .string(updatedAt.iso8601)
        return .object(members)
    }
}

/// A destination just created, or whose secret was just rotated, with the secret to show once.
public struct CreatedDestination: Sendable {
    /// The stored destination.
    public var destination: Destination
    /// The HMAC-SHA256 key of `X-Tessera-Signature`; it is never shown again.
    public var secret: String
}

/// What a destination is: where deliveries go, how they are grouped and paced, what they are for.
public struct DestinationSettings: Sendable, Equatable {
    /// Where deliveries go.
    public enum Target: Sendable, Equatable {
        /// HTTP POST of a JSON array to a URL.
        case webhook(WebhookURL)
        /// Lines appended to `<directory>/<name>-<date>.<format>`.
        case file(directory: String, format: FileFormat)
        /// One JetStream message per delivery on `subject`, through the server at `url`
        /// (`nats://host:port`), with the delivery's idempotency key as its `Nats-Msg-Id`.
        case nats(url: String, subject: String)
    }

    /// The kind of destination, as written in settings.
    public enum Kind: String, Sendable, CaseIterable {
        case webhook, file, nats
    }

    /// The layout of export files.
    public enum FileFormat: String, Sendable, CaseIterable {
        /// One JSON object per line.
        case jsonl
        /// Comma-separated values with a header line: the delivery columns, then the mapping's fields.
        case csv
    }

    /// A unique name of 1–64 letters, digits, `_`, `-` or `.`, starting with a letter or digit.
    ///
    /// Export file names start with it, hence the narrow alphabet.
    public var name: String
    /// Where deliveries go.
    public var target: Target
    /// The most deliveries in one request or file append (N).
    public var batchSize: Int = 100
    /// How long, in milliseconds, a due delivery waits for others to fill its batch (T).
    public var lingerMilliseconds: Int64 = 1_000
    /// The most requests in flight to the destination at once.
    public var concurrency: Int = 2
    /// The most requests started per second; 0 means no limit.
    public var rateLimitPerSecond: Double = 0
    /// How long a webhook request may take before it counts as timed out, in milliseconds.
    public var timeoutMilliseconds: Int64 = 10_000
    /// The marketing actions the destination performs (`email_marketing`, `ad_targeting`, …).
    public var marketingActions: [String]
    /// The consent purposes a profile must have granted before anything is sent to the destination.
    public var requiredConsent: [String] = []
    /// How payloads are built from profiles.
    public var mapping: PayloadMapping

    /// Creates settings with default batching, pacing and timeout.
    public init(
        name: String, target: Target, marketingActions: [String], requiredConsent: [String] = [],
        mapping: PayloadMapping
    ) {
        self.name = name
        self.target = target
        self.marketingActions = marketingActions
        self.requiredConsent = requiredConsent
        self.mapping = mapping
    }

    /// The kind of the target.
    public var kind: Kind {
        switch target {
        case .webhook: .webhook
        case .file: .file
        case .nats: .nats
        }
    }

    /// Checks every setting against its rule.
    ///
    /// - Throws: ``ActivationError`` of kind `invalidDestination` naming the first setting that breaks
    ///   a rule, or `invalidMapping` for the mapping.
    public func validate() throws(ActivationError) {
        try Self.check(
            Self.isValidName(name), "name", "must have 1 to 64 letters, digits, _, - or ., first a letter or digit")
        if case .file(let directory, _) = target {
            try Self.check(
                directory.hasPrefix("/") && !directory.contains("\0"), "directory", "must be an absolute path")
        }
        if case .nats(let url, let subject) = target {
            try Self.check(
                url.hasPrefix("nats://") && url.utf8.count > 7 && !url.contains(where: \.isWhitespace), "url",
                "must be a nats://host:port address")
            try Self.check(Self.isValidSubject(subject), "subject", "must be dot-separated tokens without wildcards")
        }
        try Self.check((1...10_000).contains(batchSize), "batchSize", "must be between 1 and 10000")
        try Self.check((0...600_000).contains(lingerMilliseconds), "lingerMs", "must be between 0 and 600000")
        try Self.check((1...64).contains(concurrency), "concurrency", "must be between 1 and 64")
        try Self.check(
            rateLimitPerSecond.isFinite && (0...100_000).contains(rateLimitPerSecond), "rateLimitPerSecond",
            "must be between 0 (no limit) and 100000")
        try Self.check((1...300_000).contains(timeoutMilliseconds), "timeoutMs", "must be between 1 and 300000")
        try Self.check(!marketingActions.isEmpty, "marketingActions", "must name at least one marketing action")
        try Self.checkTokens(marketingActions, "marketingActions")
        try Self.checkTokens(requiredConsent, "requiredConsent")
        try mapping.validate()
    }

    /// The settings as stored and shown.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(name), "kind": .string(kind.rawValue), "batchSize": .int(Int64(batchSize)),
            "lingerMs": .int(lingerMilliseconds), "concurrency": .int(Int64(concurrency)),
            "rateLimitPerSecond": .double(rateLimitPerSecond), "timeoutMs": .int(timeoutMilliseconds),
            "marketingActions": .array(marketingActions.map { .string($0) }),
            "requiredConsent": .array(requiredConsent.map { .string($0) }), "mapping": mapping.json,
        ]
        switch target {
        case .webhook(let url): members["url"] = .string(url.description)
        case .file(let directory, let format):
            members["directory"] = .string(directory)
            members["format"] = .string(format.rawValue)
        case .nats(let url, let subject):
            members["url"] = .string(url)
            members["subject"] = .string(subject)
        }
        return .object(members)
    }

    /// Reads settings from an admin request body or the stored form; omitted tuning keeps its default.
    ///
    /// The result is not yet validated: call ``validate()``.
    /// - Throws: ``ActivationError`` naming the first member that is missing or of the wrong type.
    public init(json: JSONValue) throws(ActivationError) {
        guard json.objectValue != nil else {
            throw ActivationError(.invalidDestination, "the destination must be a JSON object")
        }
        let name = try Self.string(json, "name")
        let target: Target
        switch Kind(rawValue: try Self.string(json, "kind")) {
        case .webhook: target = .webhook(try WebhookURL(parsing: try Self.string(json, "url")))
        case .file:
            let formatText = json["format"] == nil ? FileFormat.jsonl.rawValue : try Self.string(json, "format")
            guard let format = FileFormat(rawValue: formatText) else {
                throw ActivationError(.invalidDestination, field: "format", "must be jsonl or csv")
            }
            target = .file(directory: try Self.string(json, "directory"), format: format)
        case .nats: target = .nats(url: try Self.string(json, "url"), subject: try Self.string(json, "subject"))
        case nil: throw ActivationError(.invalidDestination, field: "kind", "must be webhook, file or nats")
        }
        guard let mappingValue = json["mapping"] else {
            throw ActivationError(.invalidMapping, field: "mapping", "is required")
        }
        self.init(
            name: name, target: target, marketingActions: try Self.strings(json, "marketingActions"),
            requiredConsent: json["requiredConsent"] == nil ? [] : try Self.strings(json, "requiredConsent"),
            mapping: try PayloadMapping(json: mappingValue))
        batchSize = Int(try Self.integer(json, "batchSize") ?? Int64(batchSize))
        lingerMilliseconds = try Self.integer(json, "lingerMs") ?? lingerMilliseconds
        concurrency = Int(try Self.integer(json, "concurrency") ?? Int64(concurrency))
        timeoutMilliseconds = try Self.integer(json, "timeoutMs") ?? timeoutMilliseconds
        if let rate = json["rateLimitPerSecond"] {
            guard let value = rate.doubleValue else {
                throw ActivationError(.invalidDestination, field: "rateLimitPerSecond", "must be a number")
            }
            rateLimitPerSecond = value
        }
    }

    private static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
    }

    /// A NATS subject Tessera may publish to: 1–255 bytes of non-empty dot-separated tokens, with no
    /// wildcard (`*`, `>`) and no white space.
    private static func isValidSubject(_ subject: String) -> Bool {
        guard (1...255).contains(subject.utf8.count) else { return false }
        return subject.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { token in
            !token.isEmpty && token != "*" && token != ">" && !token.contains(where: \.isWhitespace)
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Marketing actions and consent purposes: unique lower-case tokens of `a-z`, `0-9`, `_`, `-`, `.`.
    private static func checkTokens(_ tokens: [String], _ field: String) throws(ActivationError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-.".utf8)
        for token in tokens {
            try check(
                (1...64).contains(token.utf8.count) && token.utf8.allSatisfy(allowed.contains), field,
                "each entry must have 1 to 64 lower-case letters, digits, _, - or .")
        }
        try check(Set(tokens).count == tokens.count, field, "must not repeat an entry")
    }

    private static func check(_ condition: Bool, _ field: String, _ rule: String) throws(ActivationError) {
        guard condition else { throw ActivationError(.invalidDestination, field: field, rule) }
    }

    private static func string(_ json: JSONValue, _ key: String) throws(ActivationError) -> String {
        guard let value = json[key]?.stringValue else {
            throw ActivationError(.invalidDestination, field: key, "must be a string")
        }
        return value
    }

    private static func strings(_ json: JSONValue, _ key: String) throws(ActivationError) -> [String] {
        guard let items = json[key]?.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
            throw ActivationError(.invalidDestination, field: key, "must be an array of strings")
        }
        return items.compactMap(\.stringValue)
    }

    private static func integer(_ json: JSONValue, _ key: String) throws(ActivationError) -> Int64? {
        guard let value = json[key] else { return nil }
        guard let number = value.intValue else {
            throw ActivationError(.invalidDestination, field: key, "must be an integer")
        }
        return number
    }
}
