/// The XDM classes Tessera stores, and how a record's class is recognised.
public enum XDMClass: String, Sendable, CaseIterable {
    case profile = "xdm.profile"
    case experienceEvent = "xdm.event"
    case account = "xdm.account"
    case opportunity = "xdm.opportunity"
    case accountPerson = "xdm.account-person"
    case opportunityPerson = "xdm.opportunity-person"
    case opportunityContactRole = "xdm.opportunity-contact-role"
    case marketingListMember = "xdm.marketing-list-member"
    case consentPolicy = "xdm.consent-policy"

    /// The class's `$id` in the XDM repository, as clients put it in `schemaRef.id`.
    public var schemaID: String {
        switch self {
        case .profile: "https://ns.adobe.com/xdm/context/profile"
        case .experienceEvent: "https://ns.adobe.com/xdm/context/experienceevent"
        case .account: "https://ns.adobe.com/xdm/context/account"
        case .opportunity: "https://ns.adobe.com/xdm/context/opportunity"
        case .accountPerson: "https://ns.adobe.com/xdm/classes/account-person"
        case .opportunityPerson: "https://ns.adobe.com/xdm/classes/opportunity-person"
        case .opportunityContactRole: "https://ns.adobe.com/xdm/context/opportunity-contact-role"
        case .marketingListMember: "https://ns.adobe.com/xdm/classes/marketing-list-member"
        case .consentPolicy: "https://ns.adobe.com/xdm/classes/consentpolicy"
        }
    }

    /// The field whose presence marks a record of a B2B or policy class (its primary id), nil for the others.
    var identifyingField: String? {
        switch self {
        case .profile, .experienceEvent: nil
        case .account: "accountID"
        case .opportunity: "opportunityID"
        case .accountPerson: "accountPersonID"
        case .opportunityPerson: "opportunityPersonID"
        case .opportunityContactRole: "opportunityContactID"
        case .marketingListMember: "marketingListMemberID"
        case .consentPolicy: "cpID"
        }
    }

    /// The class whose `$id` a schema reference names (a version suffix after `;` is ignored).
    static func named(bySchemaID id: String) -> XDMClass? {
        let trimmed = id.split(separator: ";").first.map(String.init) ?? id
        return allCases.first { trimmed == $0.schemaID }
    }

    /// B2B classes in the order their identifying fields are tested: a contact role also carries an
    /// `opportunityID`, so the more specific classes come first.
    static let byIdentifyingField: [XDMClass] = [
        .opportunityContactRole, .opportunityPerson, .accountPerson, .marketingListMember, .opportunity, .account,
        .consentPolicy,
    ]

    /// Profile field groups' top-level fields: a record holding one of these (and no event time) is a profile.
    static let profileFields: Set<String> = [
        "identityMap", "person", "personalEmail", "workEmail", "mobilePhone", "homePhone", "workPhone",
        "faxPhone", "homeAddress", "workAddress", "billingAddress", "mailingAddress", "shippingAddress",
        "shippingAddressPhone", "consents", "optInOut", "subscriptions", "userAccount", "segmentMembership",
        "segmentMemberships", "loyalty", "preferredLanguage", "profilePictureLink", "consentPoliciesIdMap",
        "consentPoliciesResultMap", "timeSeriesEvents", "identityPrivacyInfo", "optOutConsentLevel",
        "assistantDetails", "reportsToID", "departments", "jobTitle", "orgUnit", "geoUnit",
    ]

    /// ExperienceEvent fields that only an event carries.
    static let eventFields: Set<String> = [
        "eventType", "timestamp", "web", "commerce", "productListItems", "environment", "media",
        "placeContext", "pushNotificationTracking", "endUserIDs", "application", "advertising",
        "eventMergeId", "channel", "device", "implementationDetails", "marketing", "search",
    ]
}
