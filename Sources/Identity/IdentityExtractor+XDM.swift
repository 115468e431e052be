import JSONParsing

extension IdentityExtractor {
    /// The person fields of XDM's profile field groups: (field group, member, namespace).
    static let personFields: [(group: String, member: String, namespace: String)] = [
        ("personalEmail", "address", Namespace.email),
        ("workEmail", "address", Namespace.email),
        ("mobilePhone", "number", Namespace.phone),
        ("homePhone", "number", Namespace.phone),
        ("workPhone", "number", Namespace.phone),
        ("userAccount", "ID", Namespace.userID),
    ]

    /// XDM classes that describe a business object rather than a person.
    static let accountKinds: Set<String> = ["xdm.account", "xdm.opportunity"]

    static func extractXDM(kind: String, record: JSONNode, rules: IdentityRules) -> Extraction {
        var found = Extraction()
        found.accountID = xdmMember(record, "accountID").flatMap { text($0.node) }
        guard !accountKinds.contains(kind) else { return found }

        if let (mapKey, map) = xdmMember(record, "identityMap") {
            addIdentityMap(map, path: mapKey, rules: rules, into: &found)
        }
        for field in personFields {
            guard let (groupKey, group) = xdmMember(record, field.group),
                let (memberKey, member) = xdmMember(group, field.member)
            else { continue }
            found.add(field.namespace, text(member), field: groupKey + "." + memberKey)
        }
        return found
    }

    /// `identityMap`: namespace code → `[{id, authenticatedState, primary}]`.
    private static func addIdentityMap(
        _ map: JSONNode, path: String, rules: IdentityRules, into found: inout Extraction
    ) {
        for (code, items) in map.members {
            guard let namespace = XDMNamespaces.namespace(forCode: code, rules: rules) else { continue }
            for (position, item) in items.elements.enumerated() {
                if let state = xdmMember(item, "authenticatedState"), state.node.stringEquals("loggedOut") { continue }
                guard let (_, id) = xdmMember(item, "id") else { continue }
                found.add(namespace, text(id), field: "\(path).\(code)[\(position)]")
            }
        }
    }

    /// The member `name` in plain or `xdm:`-prefixed form, with the key as the record spells it.
    static func xdmMember(_ node: JSONNode, _ name: String) -> (key: String, node: JSONNode)? {
        if let plain = node[name] { return (name, plain) }
        let prefixed = "xdm:" + name
        if let found = node[prefixed] { return (prefixed, found) }
        return nil
    }
}

/// Adobe's identity namespace codes, and the Tessera namespace each stands for.
///
/// Standard codes and numeric ids as Adobe Experience Platform publishes them (Privacy Service API
/// appendix, "Standard identity namespaces"; Identity Service namespace list): CORE 0 (Audience
/// Manager UUID), ECID 4, Email 6, Phone 7, WAID 8, TNTID 9 (Target), AAID 10 (Analytics legacy
/// cookie), AdCloud 411, GAID 20914, IDFA 20915. An `identityMap` key may be a code (any case) or a
/// namespace URI `https://data.adobe.io/entities/namespace/<id or code>`.
public enum XDMNamespaces {
    /// Adobe's standard codes (upper-cased) → namespace; `nil` marks the advertising ids, which map to
    /// the rules' `advertisingIDNamespace`.
    static let standardCodes: [String: String?] = [
        "ECID": Namespace.ecid, "EMAIL": Namespace.email, "PHONE": Namespace.phone, "CRMID": Namespace.crmID,
        "CRM": Namespace.crmID, "CRM_ID": Namespace.crmID, "AAID": "aaid", "CORE": "core", "TNTID": "tntid",
        "ADCLOUD": "adcloud", "GAID": nil, "IDFA": nil, "WAID": nil,
    ]

    /// Adobe's numeric namespace ids → codes.
    static let standardIDs: [String: String] = [
        "0": "CORE", "4": "ECID", "6": "EMAIL", "7": "PHONE", "8": "WAID", "9": "TNTID", "10": "AAID",
        "411": "ADCLOUD", "20914": "GAID", "20915": "IDFA",
    ]

    /// The prefix of Adobe's namespace URIs.
    static let uriPrefix = "https://data.adobe.io/entities/namespace/"

    /// The namespace a code names, or nil when nothing usable is left after sanitising.
    ///
    /// In order: the rules' `xdmNamespaceCodes` (ignoring case); a namespace URI's last segment;
    /// Adobe's standard codes; built-in and declared namespace names, ignoring case, `_` and `-`
    /// (`crm_id` → `crmId`); otherwise the code itself, sanitised (`Email_LC_SHA256`).
    public static func namespace(forCode code: String, rules: IdentityRules) -> String? {
        let lowered = code.lowercased()
        if let configured = rules.xdmNamespaceCodes.first(where: { $0.key.lowercased() == lowered }) {
            return configured.value
        }
        var code = code
        if lowered.hasPrefix(uriPrefix) {
            let tail = String(code.dropFirst(uriPrefix.count))
            code = standardIDs[tail] ?? tail
        }
        if let standard = standardCodes[code.uppercased()] { return standard ?? rules.advertisingIDNamespace }
        let folded = fold(code)
        if let known = Namespace.builtIn.keys.first(where: { fold($0) == folded }) { return known }
        if let declared = rules.customNamespaces.first(where: { fold($0.name) == folded }) { return declared.name }
        return Namespace.sanitised(code)
    }

    /// Lower-cased, without `_` and `-`.
    private static func fold(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { $0 != "_" && $0 != "-" })
    }
}
