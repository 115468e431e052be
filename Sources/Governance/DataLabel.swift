/// A data-usage label: a short name put on fields and sources that says what the data may not be
/// used for, or how sensitive it is. Policies deny marketing actions on data carrying labels.
public struct DataLabel: Sendable, Hashable {
    /// The four families of labels.
    public enum Category: String, Sendable, CaseIterable {
        /// `C1`–`C12`: promises made in a contract with whoever provided the data.
        case contract
        /// `I1`, `I2`: how directly the data identifies a person.
        case identity
        /// `S1`, `S2`: data a regulation treats as sensitive.
        case sensitive
        /// Labels an operator defines for the company's own rules.
        case custom
    }

    /// The label as written on fields and in policies (`C2`, `I1`, `minors`).
    public var name: String
    /// Which family it belongs to.
    public var category: Category
    /// What putting the label on data means, in plain words.
    public var meaning: String

    /// Creates a label.
    public init(name: String, category: Category, meaning: String) {
        self.name = name
        self.category = category
        self.meaning = meaning
    }

    /// Whether `name` can name a label: 1 to 32 letters, digits, `_`, `-` or `.`, starting with a
    /// letter. Labels are compared exactly (`C2` and `c2` differ).
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...32).contains(bytes.count), Self.isLetter(bytes[0]) else { return false }
        return bytes.allSatisfy { isLetter($0) || (48...57).contains($0) || $0 == 95 || $0 == 45 || $0 == 46 }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (65...90).contains(byte) || (97...122).contains(byte)
    }

    /// The built-in labels: twelve contract labels, two identity labels and two sensitive labels.
    public static let standard: [DataLabel] = [
        DataLabel(
            name: "C1", category: .contract,
            meaning: "Leaves Tessera only in aggregate, never with a person's identifiers."),
        DataLabel(name: "C2", category: .contract, meaning: "Must not be sent to a third party."),
        DataLabel(
            name: "C3", category: .contract,
            meaning: "Must not be joined with data that identifies a person directly (I1)."),
        DataLabel(name: "C4", category: .contract, meaning: "Must not drive any targeting, on our sites or others."),
        DataLabel(
            name: "C5", category: .contract,
            meaning: "Must not drive interest-based targeting of content or ads across sites."),
        DataLabel(name: "C6", category: .contract, meaning: "Must not choose the ads shown on our own sites and apps."),
        DataLabel(
            name: "C7", category: .contract, meaning: "Must not choose the content shown on our own sites and apps."),
        DataLabel(name: "C8", category: .contract, meaning: "Must not be used to measure our own sites and apps."),
        DataLabel(name: "C9", category: .contract, meaning: "Must not feed data-science work (models, analyses)."),
        DataLabel(
            name: "C10", category: .contract,
            meaning: "Must not be activated through identities stitched from other sources."),
        DataLabel(name: "C11", category: .contract, meaning: "Must not be shared with audience-matching partners."),
        DataLabel(name: "C12", category: .contract, meaning: "Must not leave Tessera in any form."),
        DataLabel(
            name: "I1", category: .identity,
            meaning: "Identifies a person directly: name, email address, phone number, postal address."),
        DataLabel(
            name: "I2", category: .identity,
            meaning: "Identifies a person when combined with other data: device ids, cookies, IP addresses, CRM ids."),
        DataLabel(
            name: "S1", category: .sensitive,
            meaning: "Precise location: latitude and longitude, or anything that pins a person to a few metres."),
        DataLabel(
            name: "S2", category: .sensitive,
            meaning: "A special category of personal data: health, religion, ethnicity, politics, sexual life."),
    ]
}
