import Activation
import Audiences
import Governance
import Segmentation
import Synchronization
import TesseraCore

/// Decides whether an audience may go to a destination: the fields its rule reads (and the rules of
/// audiences it nests) and the fields the destination's mapping reads, against the policies of the
/// destination's marketing actions.
struct PolicyCheck: Sendable {
    let governance: GovernanceState
    let audiences: AudienceEngine

    /// The fields a rule reads, with nested audiences resolved among the saved ones.
    func usedFields(of rule: AudienceRule) throws -> [UsedField] {
        let saved = try audiences.audiences()
        let rules = Dictionary(saved.map { ($0.name, $0.rule) }, uniquingKeysWith: { first, _ in first })
        return rule.usedFields(resolve: { rules[$0] })
    }

    /// The fields a payload mapping reads: its paths (`identities.email`, `attributes.tier`, `audience`).
    static func usedFields(of mapping: PayloadMapping) -> [UsedField] {
        mapping.fields.map { UsedField($0.path.description, via: "mapping") }
    }

    /// The decision for sending `audience` to `destination` with the catalog as it is now.
    func decision(audience: Audience, destination: Destination) throws -> PolicyDecision {
        let used = try usedFields(of: audience.rule) + Self.usedFields(of: destination.settings.mapping)
        return governance.catalog.evaluate(used, actions: destination.settings.marketingActions)
    }
}

/// Skips, at send time, a delivery that a policy denies: what the audience that caused it reads
/// (found by `audienceID`, which survives a rename), what the trigger that fired it reads (its event
/// and its condition) and the destination's mapping are checked against the policies of the
/// destination's marketing actions as they are now, since policies and labels may have changed
/// since the delivery was queued. The reason is `policy:NAME` with the first policy at fault.
///
/// Decisions are kept per audience, trigger and destination for at most a second, and dropped at
/// once when the catalog changes, so a busy destination costs one evaluation a second, not one per
/// delivery.
final class PolicyDeliveryFilter: DeliveryFilter, Sendable {
    private struct Key: Hashable {
        var audience: Int64?
        var trigger: Int64?
        var destination: Int64
        var destinationVersion: Int64
    }

    private struct Cached {
        var reason: String?
        var catalogVersion: Int64
        var until: Int64
    }

    private let check: PolicyCheck
    /// The trigger with an id, if it still exists.
    private let trigger: @Sendable (Int64) throws -> Trigger?
    private let cache = Mutex<[Key: Cached]>([:])

    init(check: PolicyCheck, trigger: @escaping @Sendable (Int64) throws -> Trigger?) {
        self.check = check
        self.trigger = trigger
    }

    func skipReason(for delivery: Delivery, to destination: Destination) -> String? {
        let key = Key(
            audience: delivery.audienceID, trigger: delivery.triggerID, destination: destination.id,
            destinationVersion: destination.updatedAt.milliseconds)
        let now = Timestamp.now().milliseconds
        let version = check.governance.version
        if let cached = cache.withLock({ $0[key] }), cached.catalogVersion == version, cached.until > now {
            return cached.reason
        }
        let reason = decide(key, destination: destination)
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll(keepingCapacity: true) }
            cache[key] = Cached(reason: reason, catalogVersion: version, until: now + 1_000)
        }
        return reason
    }

    private func decide(_ key: Key, destination: Destination) -> String? {
        var used = PolicyCheck.usedFields(of: destination.settings.mapping)
        // An audience or trigger deleted since the delivery was queued cannot be checked: skipping
        // is the safe mistake, and the delivery can be replayed.
        if let audienceID = key.audience {
            do {
                used += try check.usedFields(of: check.audiences.audience(audienceID).rule)
            } catch AudienceError.notFound(_) {
                return "policy:unknown-audience"
            } catch {
                return "policy:unreadable"
            }
        }
        if let triggerID = key.trigger {
            do {
                guard let trigger = try trigger(triggerID) else { return "policy:unknown-trigger" }
                used += try check.usedFields(of: trigger.rule)
            } catch {
                return "policy:unreadable"
            }
        }
        let decision = check.governance.catalog.evaluate(used, actions: destination.settings.marketingActions)
        return decision.violations.first.map { "policy:\($0.policy)" }
    }
}

/// Asks several filters in turn; the first reason to skip wins.
struct DeliveryFilters: DeliveryFilter {
    let filters: [any DeliveryFilter]

    func skipReason(for delivery: Delivery, to destination: Destination) -> String? {
        for filter in filters {
            if let reason = filter.skipReason(for: delivery, to: destination) { return reason }
        }
        return nil
    }
}
