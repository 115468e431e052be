import Activation
import Cryptography
import Identity
import Segmentation
import Storage
import TesseraCore
import Unification

/// Erases profiles from every store, inside one writer transaction: the one code path privacy
/// deletes and retention share.
///
/// Each module erases its own tables (the profile engine, the audience engine, the outbox, the
/// store's event log); this type only calls them in order and adds up what they report.
struct PrivacyCascade: Sendable {
    let store: Store
    let engine: ProfileEngine
    let audiences: AudienceEngine?
    let suppressions: SuppressionList

    /// Every count a receipt holds, present even when zero.
    static let stores = [
        "identities", "links", "identityLog", "fragments", "timeline", "consents", "consentHistory", "redirects",
        "memberships", "membershipHistory", "audienceStates", "audienceSchedule", "deliveries",
        "pendingDeliveries", "events", "dedupeKeys", "auditReferences", "accessDocuments", "deadLetters",
        "suppressions",
    ]

    /// What one erasure removed.
    struct Outcome {
        var counts: [String: Int] = [:]
        var erasure = ProfileErasure()
    }

    /// Erases `profiles` (live ids) with their events, audience traces, deliveries and audit
    /// references. Call only inside `Store.transaction`.
    ///
    /// - Parameters:
    ///   - profiles: The live profiles to erase.
    ///   - plan: The engine's part prepared outside the writer, if any (see `ProfileEngine.prepareErasure`).
    ///   - person: For a privacy delete: the identities asked about (besides the profiles' own) to
    ///     search dead letters for and to suppress from now on, and the job that asked. `nil` for
    ///     retention, which suppresses nothing (an expired visitor may come back).
    func erase(
        _ profiles: Set<Int64>, plan: ErasurePlan?, person: (identities: [Identity], rawValues: [String], job: String)?,
        at time: Timestamp, in connection: SQLiteConnection
    ) throws -> Outcome {
        var outcome = Outcome()
        outcome.counts = Dictionary(uniqueKeysWithValues: Self.stores.map { ($0, 0) })
        let erasure = try engine.erase(profiles, plan: plan, in: connection)
        outcome.erasure = erasure
        outcome.counts.merge(erasure.counts) { $0 + $1 }
        if let audiences {
            outcome.counts.merge(try audiences.erase(erasure.profiles, in: connection)) { $0 + $1 }
        }
        let deliveries = try Outbox.erase(erasure.profiles, in: connection)
        outcome.counts["deliveries"] = deliveries.deleted
        outcome.counts["pendingDeliveries"] = deliveries.waiting
        let events = try store.eraseEvents(erasure.events, in: connection)
        outcome.counts["events"] = events.events
        outcome.counts["dedupeKeys"] = events.dedupeKeys
        outcome.counts["auditReferences"] = try store.detachAuditEntries(from: erasure.profiles, in: connection)
        let identities = Array(Set(erasure.identities + (person?.identities ?? [])))
        let hashes = Set(identities.map { Digest.hex(suppressions.entry(for: $0)) })
        outcome.counts["accessDocuments"] = try PrivacyJobTable.dropDocuments(
            profiles: erasure.profiles, identityHashes: hashes, in: connection)
        guard let person else { return outcome }
        let values = Set(identities.map(\.value) + person.rawValues)
        outcome.counts["deadLetters"] = try store.eraseDeadLetters(containing: values, in: connection)
        outcome.counts["suppressions"] = try suppressions.add(identities, job: person.job, at: time, in: connection)
        return outcome
    }
}
