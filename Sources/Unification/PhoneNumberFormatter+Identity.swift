import Identity
import PhoneNumbers

/// libphonenumber normalises phone identities to E.164.
extension PhoneNumberFormatter: PhoneNumberNormalizing {}
