public import JSONParsing
public import Profiles
public import Storage
public import TesseraCore

/// Hears what the profile engine changes, on the writer thread and inside the same transaction, so
/// that what follows from a profile change (audience membership, say) commits with it.
///
/// A throw rolls back the whole transaction, as for any commit participant.
public protocol ProfileObserver: AnyObject {
    /// One stored record was applied to `profile`.
    ///
    /// - Parameters:
    ///   - record: The stored record.
    ///   - document: The record's parsed body; valid only during the call.
    ///   - profile: The profile the record now belongs to.
    ///   - connection: The writer's connection, inside the transaction.
    func applied(
        _ record: StoredRecordReference, document: JSONNode, to profile: Int64, in connection: SQLiteConnection
    ) throws

    /// Every change of the transaction is written; `changes` sums them up.
    func finished(_ changes: ProfileChanges, engine: ProfileEngine, in connection: SQLiteConnection) throws
}

/// What one transaction of the profile engine changed.
public struct ProfileChanges: Sendable {
    /// Profiles whose state changed, by profile id.
    public var touched: Set<Int64> = []
    /// Profiles that did not exist before the transaction.
    public var created: Set<Int64> = []
    /// Profiles merged into another, which survives; the first no longer exists.
    public var merged: [(from: Int64, into: Int64)] = []
    /// Profiles recomputed from their events after a split.
    public var rebuilt: Set<Int64> = []
    /// Profiles whose identities changed.
    public var identitiesChanged: Set<Int64> = []
    /// Profiles whose attributes (fragments) changed.
    public var attributesChanged: Set<Int64> = []
    /// Profiles whose consent answers changed.
    public var consentChanged: Set<Int64> = []

    /// Nothing changed yet.
    public init() {}

    /// Whether nothing changed.
    public var isEmpty: Bool { touched.isEmpty && merged.isEmpty && rebuilt.isEmpty }
}

/// A profile as rules read it: merged attributes under the default policy, computed attributes and
/// the namespaces it holds identities in.
public struct ProfileView: Sendable {
    /// Merged attributes under the default merge policy.
    public var attributes: JSONValue
    /// Computed attributes.
    public var computed: JSONValue
    /// The namespaces of the profile's identities.
    public var identityNamespaces: Set<String>
    /// The profile's consent answers by purpose, as given (no defaults applied).
    public var consent: [String: ConsentValue] = [:]
    /// When the first of those answers expires, if one does.
    public var consentExpiresAt: Timestamp?
}
