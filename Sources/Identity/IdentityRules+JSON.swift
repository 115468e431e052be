public import TesseraCore

/// Why a rule set could not be read from JSON.
///
/// The message names the field and what was expected; it never quotes values.
public struct IdentityRulesError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field at fault, as a dotted path (`customNamespaces[1].format`).
    public let field: String
    /// What was wrong.
    public let message: String

    /// Creates an error about one field.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// The field and the message, for logs.
    public var description: String { "identity rules: `\(field)` \(message)" }
}

extension IdentityRules {
    /// Reads rules from their JSON form; members left out keep their defaults.
    ///
    /// - Parameter json: an object with any of the members `json` writes.
    /// - Throws: `IdentityRulesError` for unknown members, wrong types and values out of range.
    public init(json: JSONValue) throws(IdentityRulesError) {
        guard case .object(let members) = json else {
            throw IdentityRulesError(field: "(root)", message: "must be an object")
        }
        if let unknown = members.keys.sorted().first(where: { !Self.jsonKeys.contains($0) }) {
            throw IdentityRulesError(field: unknown, message: "is not a rule")
        }
        let reader = RuleReader(members: members)
        self.init()
        if let value = try reader.names("uniqueNamespaces") { uniqueNamespaces = Set(value) }
        if let value = try reader.names("priority") { priority = value }
        if let value = try reader.customNamespaces() { customNamespaces = value }
        if let value = try reader.strings("blockedValues") { blockedValues = Set(value.map(Self.blockKey)) }
        if let value = try reader.region("defaultPhoneRegion") { defaultPhoneRegion = value }
        if let value = try reader.integer("maxIdentitiesPerProfile", atLeast: 2) { maxIdentitiesPerProfile = value }
        if let value = try reader.integer("sharedIdentityThreshold", atLeast: 1) { sharedIdentityThreshold = value }
        if let value = try reader.duration("sharedIdentityWindowDays", unit: Self.day) { sharedIdentityWindow = value }
        if let value = try reader.name("aliasPreviousIdNamespace") { aliasPreviousIDNamespace = value }
        if let value = try reader.name("advertisingIdNamespace") { advertisingIDNamespace = value }
        if let value = try reader.codes("xdmNamespaceCodes") { xdmNamespaceCodes = value }
        if let value = try reader.bool("acceptsUndeclaredNamespaces") { acceptsUndeclaredNamespaces = value }
        if let value = try reader.duration("touchIntervalHours", unit: 3_600_000) { touchInterval = value }
    }

    /// The rules as JSON, every member written, sets sorted so that equal rules serialise alike.
    public var json: JSONValue {
        .object([
            "uniqueNamespaces": .array(uniqueNamespaces.sorted().map { .string($0) }),
            "priority": .array(priority.map { .string($0) }),
            "customNamespaces": .array(
                customNamespaces.map { .object(["name": .string($0.name), "format": .string($0.format.rawValue)]) }),
            "blockedValues": .array(blockedValues.sorted().map { .string($0) }),
            "defaultPhoneRegion": .string(defaultPhoneRegion),
            "maxIdentitiesPerProfile": .int(Int64(maxIdentitiesPerProfile)),
            "sharedIdentityThreshold": .int(Int64(sharedIdentityThreshold)),
            "sharedIdentityWindowDays": Self.number(sharedIdentityWindow, unit: Self.day),
            "aliasPreviousIdNamespace": .string(aliasPreviousIDNamespace),
            "advertisingIdNamespace": .string(advertisingIDNamespace),
            "xdmNamespaceCodes": .object(xdmNamespaceCodes.mapValues { .string($0) }),
            "acceptsUndeclaredNamespaces": .bool(acceptsUndeclaredNamespaces),
            "touchIntervalHours": Self.number(touchInterval, unit: 3_600_000),
        ])
    }

    static let jsonKeys: Set<String> = [
        "uniqueNamespaces", "priority", "customNamespaces", "blockedValues", "defaultPhoneRegion",
        "maxIdentitiesPerProfile", "sharedIdentityThreshold", "sharedIdentityWindowDays", "aliasPreviousIdNamespace",
        "advertisingIdNamespace", "xdmNamespaceCodes", "acceptsUndeclaredNamespaces", "touchIntervalHours",
    ]

    /// A duration in `unit`s: an integer when whole, else a fraction.
    private static func number(_ milliseconds: Int64, unit: Int64) -> JSONValue {
        milliseconds % unit == 0 ? .int(milliseconds / unit) : .double(Double(milliseconds) / Double(unit))
    }
}

/// Typed reads of the members of a rules object, each failing with the member's name.
private struct RuleReader {
    let members: [String: JSONValue]

    func strings(_ key: String) throws(IdentityRulesError) -> [String]? {
        guard let value = members[key] else { return nil }
        guard case .array(let items) = value else { throw IdentityRulesError(field: key, message: "must be a list") }
        var result: [String] = []
        for (position, item) in items.enumerated() {
            guard case .string(let text) = item else {
                throw IdentityRulesError(field: "\(key)[\(position)]", message: "must be a string")
            }
            result.append(text)
        }
        return result
    }

    func names(_ key: String) throws(IdentityRulesError) -> [String]? {
        guard let names = try strings(key) else { return nil }
        for (position, name) in names.enumerated() where !Namespace.isValidName(name) {
            throw IdentityRulesError(field: "\(key)[\(position)]", message: "is not a valid namespace name")
        }
        return names
    }

    func name(_ key: String) throws(IdentityRulesError) -> String? {
        guard let value = members[key] else { return nil }
        guard case .string(let name) = value, Namespace.isValidName(name) else {
            throw IdentityRulesError(field: key, message: "must be a namespace name")
        }
        return name
    }

    func region(_ key: String) throws(IdentityRulesError) -> String? {
        guard let value = members[key] else { return nil }
        guard case .string(let text) = value, text.utf8.count == 2,
            text.utf8.allSatisfy({ (0x41...0x5A).contains($0 & 0xDF) })
        else { throw IdentityRulesError(field: key, message: "must be a two-letter region code") }
        return text.uppercased()
    }

    func integer(_ key: String, atLeast minimum: Int) throws(IdentityRulesError) -> Int? {
        guard let value = members[key] else { return nil }
        guard let number = value.intValue, number >= minimum, number <= Int32.max else {
            throw IdentityRulesError(field: key, message: "must be an integer of at least \(minimum)")
        }
        return Int(number)
    }

    func duration(_ key: String, unit: Int64) throws(IdentityRulesError) -> Int64? {
        guard let value = members[key] else { return nil }
        guard let number = value.doubleValue, number > 0, number < 1e6 else {
            throw IdentityRulesError(field: key, message: "must be a positive number")
        }
        return Int64((number * Double(unit)).rounded())
    }

    func bool(_ key: String) throws(IdentityRulesError) -> Bool? {
        guard let value = members[key] else { return nil }
        guard case .bool(let flag) = value else {
            throw IdentityRulesError(field: key, message: "must be true or false")
        }
        return flag
    }

    func codes(_ key: String) throws(IdentityRulesError) -> [String: String]? {
        guard let value = members[key] else { return nil }
        guard case .object(let entries) = value else {
            throw IdentityRulesError(field: key, message: "must map namespace codes to namespaces")
        }
        var result: [String: String] = [:]
        for (code, target) in entries {
            guard case .string(let name) = target, Namespace.isValidName(name) else {
                throw IdentityRulesError(field: "\(key).\(code)", message: "must be a namespace name")
            }
            result[code] = name
        }
        return result
    }

    func customNamespaces() throws(IdentityRulesError) -> [IdentityRules.CustomNamespace]? {
        let key = "customNamespaces"
        guard let value = members[key] else { return nil }
        guard case .array(let items) = value else { throw IdentityRulesError(field: key, message: "must be a list") }
        var result: [IdentityRules.CustomNamespace] = []
        for (position, item) in items.enumerated() {
            let field = "\(key)[\(position)]"
            guard case .string(let name) = item["name"], Namespace.isValidName(name) else {
                throw IdentityRulesError(field: field + ".name", message: "must be a namespace name")
            }
            guard Namespace.builtIn[name] == nil else {
                throw IdentityRulesError(field: field + ".name", message: "names a built-in namespace")
            }
            var format = NamespaceFormat.id
            if let given = item["format"] {
                guard case .string(let text) = given, let parsed = NamespaceFormat(rawValue: text) else {
                    let formats = NamespaceFormat.allCases.map(\.rawValue).joined(separator: ", ")
                    throw IdentityRulesError(field: field + ".format", message: "must be one of \(formats)")
                }
                format = parsed
            }
            result.append(IdentityRules.CustomNamespace(name: name, format: format))
        }
        return result
    }
}
