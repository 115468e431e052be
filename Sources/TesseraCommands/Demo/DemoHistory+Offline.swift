extension DemoHistory.PersonRenderer {
    /// A till receipt from a store, sent by the point-of-sale system.
    ///
    /// The loyalty card always travels in `context.externalIds`. When the customer scanned their app
    /// (a linked purchase) the till also knows the user id; otherwise the card is all there is, and its
    /// number doubles as the `anonymousId` because every Segment message needs a user or anonymous id.
    mutating func renderStore(_ visit: DemoHistory.StoreVisit) {
        guard let loyaltyID = person.loyaltyID else { return }
        let store = catalog.stores[visit.store]
        let lines = chooseLines(count: visit.lines)
        open(
            "track", userID: visit.linked ? person.userID : nil, anonymousID: visit.linked ? nil : loyaltyID,
            channel: "pos")
        builder.string("event", "Order Completed")
        builder.beginObject("properties")
        builder.string("order_id", nextOrderID(prefix: "pos_"))
        builder.string("storeId", store.storeID)
        builder.string("storeName", store.name)
        builder.string("affiliation", "Example Outfitters Stores")
        amounts(lines, shipping: false)
        builder.string("paymentMethod", ["card", "card", "cash", "mobile"][draws.below(4)])
        products(lines)
        builder.endObject()
        builder.beginObject("context")
        library("tessera-demo-pos", "1.0.0")
        builder.beginArray("externalIds")
        externalID(loyaltyID, type: "loyaltyId")
        builder.endArray()
        builder.endObject()
        close()
    }

    /// A contact record exported from the CRM, keyed by its CRM id.
    ///
    /// The CRM knows the online user id for most registered customers; for the others the CRM id is
    /// also the `anonymousId`. Phone numbers come as typed, in E.164 or in national format.
    mutating func renderContact(_ sync: DemoHistory.ContactSync) {
        guard let crmID = person.crmID else { return }
        open(
            "identify", userID: sync.identified ? person.userID : nil, anonymousID: sync.identified ? nil : crmID,
            channel: "crm")
        builder.beginObject("traits")
        builder.string("email", person.email)
        if let phone = person.phone { builder.string("phone", sync.nationalPhone ? phone.national : phone.e164) }
        builder.string("firstName", person.firstName)
        builder.string("lastName", person.lastName)
        builder.beginObject("address")
        builder.string("street", person.address.street)
        builder.string("city", person.address.city)
        if let state = person.address.state { builder.string("state", state) }
        builder.string("postalCode", person.address.postalCode)
        builder.string("country", person.address.country)
        builder.endObject()
        if person.loyaltyID != nil {
            builder.string("loyaltyTier", sync.isUpdate ? upgradedTier() : person.loyaltyTier)
        }
        builder.string("lifecycleStage", person.registration.isRegistered ? "customer" : "lead")
        builder.endObject()
        builder.beginObject("context")
        library("tessera-demo-crm", "1.0.0")
        builder.beginArray("externalIds")
        externalID(crmID, type: "crmId")
        if let loyaltyID = person.loyaltyID { externalID(loyaltyID, type: "loyaltyId") }
        builder.endArray()
        builder.endObject()
        close()
    }

    /// One element of `context.externalIds`, as Segment's server-side sources write them.
    private mutating func externalID(_ id: String, type: String) {
        builder.beginElement()
        builder.string("id", id)
        builder.string("type", type)
        builder.string("collection", "users")
        builder.string("encoding", "none")
        builder.endObject()
    }

    /// The tier after a later CRM export: some customers move up a tier.
    private mutating func upgradedTier() -> String {
        guard draws.chance(0.5) else { return person.loyaltyTier }
        switch person.loyaltyTier {
        case "bronze": return "silver"
        default: return "gold"
        }
    }
}
