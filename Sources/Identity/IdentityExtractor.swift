public import JSONParsing

/// A raw identifier found in a collected record, before normalisation.
public struct ExtractedIdentity: Sendable, Hashable {
    /// The namespace the field implies.
    public var namespace: String
    /// The value as found, not normalised.
    public var value: String
    /// Where it was found, as a dotted path with the record's own keys (`traits.email`,
    /// `context.externalIds[0]`, `xdm:identityMap.ECID[1]`).
    public var field: String

    /// Creates an extracted identity.
    public init(namespace: String, value: String, field: String) {
        self.namespace = namespace
        self.value = value
        self.field = field
    }
}

/// What one record says about who it concerns.
public struct Extraction: Sendable, Hashable {
    /// Person identifiers in the order found, without exact repeats.
    public var identities: [ExtractedIdentity]
    /// The B2B account the record names (a Segment `group` call's `groupId`, an XDM account's
    /// `accountID`): an account reference, never linked into a person's profile.
    public var accountID: String?

    /// Creates an extraction.
    public init(identities: [ExtractedIdentity] = [], accountID: String? = nil) {
        self.identities = identities
        self.accountID = accountID
    }

    /// Adds a value unless the same namespace and value were already found.
    mutating func add(_ namespace: String, _ value: String?, field: String) {
        guard let value else { return }
        guard !identities.contains(where: { $0.namespace == namespace && $0.value == value }) else { return }
        identities.append(ExtractedIdentity(namespace: namespace, value: value, field: field))
    }
}

/// Finds the person identifiers in collected records: Segment calls and XDM records.
///
/// Segment (`identify`, `track`, `page`, `screen`, `group`, `alias`):
/// - `userId` → `userId`; `anonymousId` → `anonymousId`;
/// - `traits.email`, `traits.phone` (not in `group`, whose traits describe the account) and
///   `context.traits.email`, `context.traits.phone` → `email`, `phone`;
/// - `context.device.id` → `deviceId`; `context.device.advertisingId` → `advertisingId` (see
///   `IdentityRules.advertisingIDNamespace`);
/// - `context.externalIds[]` (`{id, type, collection, encoding}`): `type` names the namespace
///   (`XDMNamespaces.namespace(forCode:rules:)`); an `encoding` other than `none` makes a namespace of
///   its own (`email_sha256`), because a hashed email is not an email;
/// - `alias`: `previousId` → `IdentityRules.aliasPreviousIDNamespace` (default `anonymousId`);
/// - `group`: `groupId` is returned as `accountID`, not as an identity; other calls return
///   `context.groupId` (Segment's B2B spec) the same way.
///
/// XDM (`xdm.profile`, `xdm.event`, and the B2B person relations `xdm.account-person`, …): the
/// `identityMap` (namespace codes mapped by `XDMNamespaces`; identities whose `authenticatedState`
/// is `loggedOut` are skipped, as they say who was signed in before, not who acts now), and
/// `personalEmail.address`, `workEmail.address`, `mobilePhone.number`, `homePhone.number`,
/// `workPhone.number` and `userAccount.ID` (→ `userId`). Keys are read plain or `xdm:`-prefixed.
/// `xdm.account` and `xdm.opportunity` describe no person: only their `accountID` is returned.
///
/// Numbers in id fields are read as their decimal text; other non-string values are skipped.
public enum IdentityExtractor {
    /// The identifiers in one record.
    ///
    /// - Parameters:
    ///   - kind: the record's kind as collection names it (`identify`, `xdm.profile`, …).
    ///   - record: the record (for XDM, the entity itself, not a streaming envelope).
    ///   - rules: the namespaces for alias and advertising ids and the extra XDM codes.
    /// - Returns: the identifiers found; empty for kinds that name no person.
    /// - Complexity: O(m) in the number of members read; no Foundation, one String per value found.
    public static func extract(kind: String, record: JSONNode, rules: IdentityRules) -> Extraction {
        guard record.kind == .object else { return Extraction() }
        if kind.hasPrefix("xdm.") { return extractXDM(kind: kind, record: record, rules: rules) }
        switch kind {
        case "identify", "track", "page", "screen", "group", "alias":
            return extractSegment(kind: kind, record: record, rules: rules)
        default:
            return Extraction()
        }
    }

    static func extractSegment(kind: String, record: JSONNode, rules: IdentityRules) -> Extraction {
        var found = Extraction()
        found.add(Namespace.userID, text(record.member("userId")), field: "userId")
        found.add(Namespace.anonymousID, text(record.member("anonymousId")), field: "anonymousId")
        if kind == "alias" {
            found.add(rules.aliasPreviousIDNamespace, text(record.member("previousId")), field: "previousId")
        }
        if kind != "group", let traits = record.member("traits") {
            addContactTraits(traits, prefix: "traits", into: &found)
        }
        if let context = record.member("context") {
            if let traits = context.member("traits") {
                addContactTraits(traits, prefix: "context.traits", into: &found)
            }
            if let device = context.member("device") {
                found.add(Namespace.deviceID, text(device.member("id")), field: "context.device.id")
                found.add(
                    rules.advertisingIDNamespace, text(device.member("advertisingId")),
                    field: "context.device.advertisingId")
            }
            if let externalIDs = context.member("externalIds") {
                addExternalIDs(externalIDs, rules: rules, into: &found)
            }
        }
        if kind == "group" {
            found.accountID = text(record.member("groupId"))
        } else {
            found.accountID = text(record.member("context")?.member("groupId"))
        }
        return found
    }

    private static func addContactTraits(_ traits: JSONNode, prefix: String, into found: inout Extraction) {
        found.add(Namespace.email, text(traits.member("email")), field: prefix + ".email")
        found.add(Namespace.phone, text(traits.member("phone")), field: prefix + ".phone")
    }

    /// Segment's `context.externalIds`: `[{id, type, collection, encoding}]`.
    private static func addExternalIDs(_ list: JSONNode, rules: IdentityRules, into found: inout Extraction) {
        for (position, item) in list.elements.enumerated() {
            guard let id = text(item.member("id")), let type = item.member("type")?.string else { continue }
            let encoding = item.member("encoding")?.string ?? "none"
            let namespace: String?
            if encoding.isEmpty || encoding.lowercased() == "none" {
                namespace = XDMNamespaces.namespace(forCode: type, rules: rules)
            } else {
                namespace = Namespace.sanitised(type + "_" + encoding)
            }
            guard let namespace else { continue }
            found.add(namespace, id, field: "context.externalIds[\(position)]")
        }
    }

    /// The text of a string, or the decimal text of an integer; nil otherwise.
    static func text(_ node: JSONNode?) -> String? {
        guard let node else { return nil }
        switch node.kind {
        case .string: return node.string
        case .int, .uint: return node.int64.map { String($0) }
        default: return nil
        }
    }
}
