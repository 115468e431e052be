/// The names of the built-in namespaces, and what makes a namespace name acceptable.
public enum Namespace {
    /// The application's own id of a signed-in user (Segment `userId`).
    public static let userID = "userId"
    /// A device- or browser-scoped id an SDK makes up before sign-in (Segment `anonymousId`).
    public static let anonymousID = "anonymousId"
    /// An email address, trimmed and lower-cased.
    public static let email = "email"
    /// A phone number in E.164.
    public static let phone = "phone"
    /// Adobe's Experience Cloud ID: 38 decimal digits.
    public static let ecid = "ecid"
    /// The id of a contact in a CRM.
    public static let crmID = "crmId"
    /// A loyalty card or membership number.
    public static let loyaltyID = "loyaltyId"
    /// A device's own id (Segment `context.device.id`, Adobe's GAID/IDFA are `advertisingId`).
    public static let deviceID = "deviceId"
    /// A first-party cookie id.
    public static let cookieID = "cookieId"
    /// A resettable advertising id (IDFA, GAID; Segment `context.device.advertisingId`).
    ///
    /// Kept apart from `deviceId` because users reset it, platforms zero it when tracking is refused,
    /// and consent rules often treat it differently; set `IdentityRules.advertisingIDNamespace` to
    /// `deviceId` to fold it in.
    public static let advertisingID = "advertisingId"

    /// The namespaces every deployment knows, each with its format.
    public static let builtIn: [String: NamespaceFormat] = [
        userID: .id, anonymousID: .id, email: .email, phone: .phone, ecid: .ecid, crmID: .id, loyaltyID: .id,
        deviceID: .id, cookieID: .id, advertisingID: .lowercasedID,
    ]

    /// The longest namespace name accepted.
    public static let maximumNameLength = 64

    /// Whether `name` can name a namespace: 1 to 64 ASCII letters, digits, `_`, `-` or `.`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= maximumNameLength else { return false }
        return bytes.allSatisfy(isNameByte)
    }

    /// A namespace name made from free text, such as an unknown XDM namespace code or a Segment
    /// `externalIds` type: bytes that may not appear in a name become `_`, and the result is cut to 64 bytes.
    ///
    /// Returns nil when nothing usable is left (empty text, or only separators).
    public static func sanitised(_ text: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(text.utf8.count, maximumNameLength))
        for byte in text.utf8 {
            guard bytes.count < maximumNameLength else { break }
            bytes.append(isNameByte(byte) ? byte : UInt8(ascii: "_"))
        }
        guard bytes.contains(where: { $0 != UInt8(ascii: "_") && $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "-") })
        else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }
}

/// How the values of a namespace are normalised and validated.
public enum NamespaceFormat: String, Sendable, Hashable, CaseIterable {
    /// Trimmed; compared as written.
    case id
    /// Trimmed and lower-cased (ids whose case carries no meaning, such as UUIDs).
    case lowercasedID
    /// Trimmed, lower-cased, and checked to look like an address: one `@`, both parts non-empty, a dot
    /// inside the domain, no spaces.
    case email
    /// Written in E.164 by libphonenumber, from the configured default region.
    case phone
    /// Exactly 38 decimal digits, as Adobe's Experience Cloud ID.
    case ecid
    /// Trimmed; only decimal digits, spaces and dashes, which are removed (card and account numbers).
    case digits
}
