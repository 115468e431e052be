import Audiences
import TesseraCore

/// Says which profile attributes hold data that identifies a person directly (data-usage label `I1`).
///
/// The one place the masking rules ask; the server uses `LabelledPersonalData`, which adds the
/// attributes operators label `I1` to the built-in list.
protocol PersonalDataLabels: Sendable {
    /// Whether the attribute at `path` (keys from the attribute root, e.g. `["address", "city"]`) is personal.
    func isPersonal(_ path: [String]) -> Bool
}

/// The built-in `I1` list, always masked whatever the labels say: email, phone, name, firstName,
/// lastName, address (and everything under it) and birthday.
///
/// A path is personal when any of its keys is on the list, compared without case, so `contact.email`
/// and `company.name` are masked too: masking too much is the safe mistake.
struct BuiltInPersonalData: PersonalDataLabels {
    static let keys: Set<String> = ["email", "phone", "name", "firstname", "lastname", "address", "birthday"]

    func isPersonal(_ path: [String]) -> Bool {
        path.contains { BuiltInPersonalData.keys.contains($0.lowercased()) }
    }
}

/// Hides personal data from callers without `profiles:read-pii`: identity values and `I1` attributes.
///
/// Masked attributes become `"***"`; identity values become `"***"`, except email addresses, which
/// keep their first character and domain (`j***@example.com`) so an operator can still tell them apart.
struct Mask: Sendable {
    static let placeholder = "***"
    let labels: any PersonalDataLabels

    init(labels: any PersonalDataLabels = BuiltInPersonalData()) {
        self.labels = labels
    }

    /// A profile document (`identities`, `attributes`, …) with identity values and personal attributes masked.
    func profile(_ document: JSONValue) -> JSONValue {
        guard case .object(var members) = document else { return document }
        if let identities = members["identities"]?.arrayValue {
            members["identities"] = .array(identities.map(maskingValue))
        }
        if let attributes = members["attributes"] { members["attributes"] = self.attributes(attributes) }
        return .object(members)
    }

    /// Attributes with every personal value replaced by `"***"`.
    ///
    /// - Complexity: O(size of `value`).
    func attributes(_ value: JSONValue, at path: [String] = []) -> JSONValue {
        if !path.isEmpty && labels.isPersonal(path) { return value == .null ? .null : .string(Mask.placeholder) }
        switch value {
        case .object(let members):
            var masked: [String: JSONValue] = [:]
            for (key, member) in members { masked[key] = attributes(member, at: path + [key]) }
            return .object(masked)
        case .array(let items):
            return .array(items.map { attributes($0, at: path) })
        default:
            return value
        }
    }

    /// An identity value as a caller without `profiles:read-pii` sees it.
    func identityValue(_ value: String) -> String {
        guard let at = value.lastIndex(of: "@"), let first = value.first, value.first != "@" else {
            return Mask.placeholder
        }
        return String(first) + Mask.placeholder + value[at...]
    }

    /// `namespace:value` text with the value masked.
    func identityText(_ text: String) -> String {
        guard let colon = text.firstIndex(of: ":") else { return Mask.placeholder }
        return text[...colon] + identityValue(String(text[text.index(after: colon)...]))
    }

    /// Graph and explain answers: every `identity`, `from` and `to` string (`namespace:value`) masked,
    /// at any depth.
    func identityStrings(in json: JSONValue) -> JSONValue {
        switch json {
        case .object(let members):
            var masked: [String: JSONValue] = [:]
            for (key, member) in members {
                if ["identity", "from", "to"].contains(key), let text = member.stringValue {
                    masked[key] = .string(identityText(text))
                } else {
                    masked[key] = identityStrings(in: member)
                }
            }
            return .object(masked)
        case .array(let items):
            return .array(items.map(identityStrings(in:)))
        default:
            return json
        }
    }

    /// An audience explanation with the values of personal attribute conditions masked; it walks
    /// the rule beside the explanation, whose parts follow the rule's children.
    func explanation(_ explanation: AudienceExplanation, of rule: AudienceRule) -> AudienceExplanation {
        var result = explanation
        switch rule {
        case .and(let children), .or(let children):
            result.parts = zip(explanation.parts, children).map { self.explanation($0, of: $1) }
        case .not(let child):
            result.parts = explanation.parts.map { self.explanation($0, of: child) }
        case .attribute(let condition):
            let path = condition.path.split(separator: ".").map(String.init)
            if let value = explanation.value, value != .null, labels.isPersonal(path) {
                result.value = .string(Mask.placeholder)
            }
        default:
            break
        }
        return result
    }

    private func maskingValue(_ identity: JSONValue) -> JSONValue {
        guard case .object(var members) = identity, let value = members["value"]?.stringValue else { return identity }
        members["value"] = .string(identityValue(value))
        return .object(members)
    }
}
