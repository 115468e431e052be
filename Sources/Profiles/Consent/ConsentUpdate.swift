public import TesseraCore

/// A consent answer as the XDM Consents & Preferences field group records it, reduced to what
/// enforcement needs: yes, no or unknown.
public enum ConsentValue: String, Sendable, Hashable, CaseIterable {
    /// The person agreed (or a lawful basis other than consent applies).
    case yes = "y"
    /// The person refused.
    case no = "n"
    /// Never asked, pending verification, or not known.
    case unknown = "u"

    /// Reads an XDM choice value: `y`, `n`, `u`, `p` (pending: unknown), `dy`/`dn` (a default of yes
    /// or no), or a lawful basis (`LI`, `CT`, `CP`, `VI`, `PI`), which allows processing.
    ///
    /// - Returns: the value and, for defaults and lawful bases, the basis named.
    public static func parse(xdm text: String) -> (value: ConsentValue, basis: String?)? {
        switch text {
        case "y": return (.yes, nil)
        case "n": return (.no, nil)
        case "u", "p": return (.unknown, nil)
        case "dy": return (.yes, "default")
        case "dn": return (.no, "default")
        case "LI": return (.yes, "legitimateInterest")
        case "CT": return (.yes, "contract")
        case "CP": return (.yes, "legalObligation")
        case "VI": return (.yes, "vitalInterest")
        case "PI": return (.yes, "publicInterest")
        default: return nil
        }
    }
}

/// One consent answer a record gave: for a purpose (and channel), for the whole profile or one of
/// its identities, at a time.
public struct ConsentUpdate: Sendable, Hashable {
    /// `collect`, `share`, `personalize`, `marketing` or `marketing.CHANNEL` (`marketing.email`, …).
    public var purpose: String
    /// The identity it applies to (`NAMESPACE:VALUE`, from XDM `idSpecific`), or `nil` for the profile.
    public var identity: String?
    /// The answer.
    public var value: ConsentValue
    /// When it was given: the record's time, or the consent's own `time` when it carries one.
    public var time: Timestamp
    /// The lawful basis when it is not plain consent (`legitimateInterest`, `contract`, `default`, …).
    public var basis: String?
    /// When the answer stops holding; past it the purpose counts as unanswered (`u`). `nil`: never.
    public var expiresAt: Timestamp?

    /// Creates an update.
    public init(
        purpose: String, identity: String? = nil, value: ConsentValue, time: Timestamp, basis: String? = nil,
        expiresAt: Timestamp? = nil
    ) {
        self.purpose = purpose
        self.identity = identity
        self.value = value
        self.time = time
        self.basis = basis
        self.expiresAt = expiresAt
    }
}
