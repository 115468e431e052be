import Foundation
import JSONParsing
public import TesseraCore

/// Finds the consent answers a record gives: Segment `context.consent.categoryPreferences` (on any
/// call, and the `Segment Consent Preference Updated` track event) and the XDM Consents &
/// Preferences field group (`consents`, with per-identity answers under `idSpecific`).
public enum ConsentExtractor {
    /// The channels XDM names under `marketing` (besides `any` and `preferred`).
    public static let channels = ["email", "sms", "push", "call", "postal", "whatsApp", "fax", "commercialEmail"]

    /// Every purpose an answer can be given for: `collect`, `share`, `personalize`, `marketing` and
    /// `marketing.CHANNEL`.
    public static let purposes: [String] =
        ["collect", "share", "personalize", "marketing"] + channels.map { "marketing.\($0)" }

    /// The consent answers in one record, at `time` unless an answer carries its own time.
    public static func extract(
        kind: String, record: JSONNode, time: Timestamp, configuration: ConsentConfiguration
    ) -> [ConsentUpdate] {
        if kind.hasPrefix("xdm"), let consents = XDMKeys.member(record, "consents") {
            return xdm(consents, time: time)
        }
        guard let preferences = record.member("context")?.member("consent")?.member("categoryPreferences"),
            preferences.kind == .object
        else { return [] }
        var updates: [ConsentUpdate] = []
        for (category, answer) in preferences.members {
            guard let purposes = configuration.categories[category], let allowed = answer.bool else { continue }
            for purpose in purposes {
                updates.append(ConsentUpdate(purpose: purpose, value: allowed ? .yes : .no, time: time))
            }
        }
        return updates.sorted { ($0.purpose, $0.value.rawValue) < ($1.purpose, $1.value.rawValue) }
    }

    /// The answers of an XDM `consents` object: profile-wide, then per identity.
    static func xdm(_ consents: JSONNode, time: Timestamp) -> [ConsentUpdate] {
        let time = XDMKeys.member(consents, "metadata").flatMap { XDMKeys.member($0, "time") }.flatMap(instant) ?? time
        var updates = purposes(consents, identity: nil, time: time)
        if let specific = XDMKeys.member(consents, "idSpecific"), specific.kind == .object {
            for (namespace, values) in specific.members where values.kind == .object {
                for (value, answers) in values.members where answers.kind == .object {
                    updates += purposes(answers, identity: "\(namespace):\(value)", time: time)
                }
            }
        }
        return updates
    }

    /// `collect`, `share`, `personalize.content`, `marketing.any` and `marketing.CHANNEL` of one
    /// consents object.
    private static func purposes(_ node: JSONNode, identity: String?, time: Timestamp) -> [ConsentUpdate] {
        var updates: [ConsentUpdate] = []
        func add(_ purpose: String, _ choice: JSONNode?) {
            guard let choice, let text = XDMKeys.member(choice, "val")?.string,
                let (value, basis) = ConsentValue.parse(xdm: text)
            else { return }
            let own = XDMKeys.member(choice, "time").flatMap(instant) ?? time
            updates.append(ConsentUpdate(purpose: purpose, identity: identity, value: value, time: own, basis: basis))
        }
        add("collect", XDMKeys.member(node, "collect"))
        add("share", XDMKeys.member(node, "share"))
        add("personalize", XDMKeys.member(node, "personalize").flatMap { XDMKeys.member($0, "content") })
        if let marketing = XDMKeys.member(node, "marketing") {
            add("marketing", XDMKeys.member(marketing, "any"))
            for channel in channels { add("marketing.\(channel)", XDMKeys.member(marketing, channel)) }
        }
        return updates
    }

    /// An ISO-8601 instant with `Z` or an offset, with or without fractions of a second. Consent
    /// records are rare, so Foundation's parser is fast enough here.
    private static func instant(_ node: JSONNode) -> Timestamp? {
        guard let text = node.string else { return nil }
        let formatter = ISO8601DateFormatter()
        var date = formatter.date(from: text)
        if date == nil {
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            date = formatter.date(from: text)
        }
        return date.map { Timestamp(milliseconds: Int64(($0.timeIntervalSince1970 * 1000).rounded())) }
    }
}
