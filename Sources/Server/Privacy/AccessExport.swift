import Identity
import Storage
import TesseraCore
import Unification

/// The access document: everything Tessera holds about the person behind one identity, as one JSON
/// document. The stored rows are read in one snapshot of the store; the merged profile and the
/// graph's links are read just before it.
///
/// Members: `identities` (with first and last seen), `links` (the graph's links with provenance),
/// `profile` (merged under the default policy, with computed attributes and current consent),
/// `fragments` (each attribute value as a source gave it, with the source and time), `events`
/// (every stored record, whole), `consentHistory`, `audiences` (memberships and their history, by
/// audience name), `deliveries` (what was sent or is waiting to be sent to destinations, with
/// payloads) and `auditEntries` (who read the profile through the API, and when).
enum AccessExport {
    /// Reads the document; `profile` is the live profile holding the identity, or `nil`.
    static func document(
        profile: Int64?, links: [LinkRecord], reader: ProfileReader, store: Store, generatedAt: Timestamp
    ) throws -> JSONValue {
        var document: [String: JSONValue] = [
            "generatedAt": .string(generatedAt.iso8601), "profileId": profile.map { .int($0) } ?? .null,
            "identities": [], "links": [], "profile": .null, "fragments": [], "events": [], "consentHistory": [],
            "audiences": ["memberships": [], "history": []], "deliveries": [], "auditEntries": [],
        ]
        guard let profile else { return .object(document) }
        document["links"] = .array(links.map(\.json))
        document["profile"] =
            try reader.document(of: ProfileID(rawValue: profile), policyName: nil, fields: nil) ?? .null
        try store.read { connection in
            let tables = Set(
                try connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").query {
                    $0.string(at: 0)
                })
            document["identities"] = try rows(
                """
                SELECT namespace, value, first_seen, last_seen FROM identities WHERE profile_id = ?1
                ORDER BY first_seen, namespace, value
                """, profile, in: connection
            ) { row in
                [
                    "namespace": .string(row.string(at: 0)), "value": .string(row.string(at: 1)),
                    "firstSeen": time(row, 2), "lastSeen": time(row, 3),
                ]
            }
            document["fragments"] = try fragments(of: profile, in: connection)
            document["events"] = try events(of: profile, in: connection)
            document["consentHistory"] = try rows(
                """
                SELECT identity, purpose, value, time, source_id, basis FROM consent_history WHERE profile_id = ?1
                ORDER BY id
                """, profile, in: connection
            ) { row in
                [
                    "identity": .string(row.string(at: 0)), "purpose": .string(row.string(at: 1)),
                    "value": .string(row.string(at: 2)), "time": time(row, 3),
                    "sourceId": row.optionalInt64(at: 4).map { .int($0) } ?? .null,
                    "basis": row.optionalString(at: 5).map { .string($0) } ?? .null,
                ]
            }
            if tables.contains("audience_members") {
                document["audiences"] = try audiences(of: profile, in: connection)
            }
            if tables.contains("activation_outbox") {
                document["deliveries"] = try deliveries(of: profile, in: connection)
            }
            document["auditEntries"] = .array(
                try store.auditEntries(of: profile, in: connection).map { entry in
                    .object([
                        "time": .string(entry.time.iso8601), "tokenId": .string(entry.tokenID),
                        "route": .string(entry.route), "action": .string(entry.action),
                    ])
                })
        }
        return .object(document)
    }

    private static func fragments(of profile: Int64, in connection: SQLiteConnection) throws -> JSONValue {
        let select = try connection.prepare("SELECT fragments FROM profiles WHERE profile_id = ?1")
        try select.bind(profile, at: 1)
        return try select.queryFirst { try JSONValue(parsing: $0.blob(at: 0)) } ?? []
    }

    private static func events(of profile: Int64, in connection: SQLiteConnection) throws -> JSONValue {
        let select = try connection.prepare(
            """
            SELECT \(Store.qualifiedEventColumns) FROM event_profiles p JOIN events e ON e.sequence = p.sequence
            WHERE p.profile_id = ?1 ORDER BY p.sequence
            """, cached: false)
        try select.bind(profile, at: 1)
        let events = try select.query { Store.event(from: $0) }
        return .array(
            events.map { event in
                [
                    "sequence": .int(event.sequence), "sourceId": .int(event.sourceID),
                    "messageId": .string(event.messageID), "type": .string(event.kind),
                    "timestamp": .string(event.timestamp.iso8601), "receivedAt": .string(event.receivedAt.iso8601),
                    "record": (try? JSONValue(parsing: event.body))
                        ?? .string(String(decoding: event.body, as: UTF8.self)),
                ]
            })
    }

    private static func audiences(of profile: Int64, in connection: SQLiteConnection) throws -> JSONValue {
        let memberships = try rows(
            """
            SELECT a.name, m.status, m.entered_at, m.updated_at FROM audience_members m
            JOIN audiences a ON a.id = m.audience_id WHERE m.profile_id = ?1 ORDER BY a.name
            """, profile, in: connection
        ) { row in
            [
                "audience": .string(row.string(at: 0)), "status": .string(row.string(at: 1)),
                "enteredAt": time(row, 2), "updatedAt": time(row, 3),
            ]
        }
        let history = try rows(
            """
            SELECT a.name, h.change, h.time, h.cause FROM audience_history h
            JOIN audiences a ON a.id = h.audience_id WHERE h.profile_id = ?1 ORDER BY h.id
            """, profile, in: connection
        ) { row in
            [
                "audience": .string(row.string(at: 0)), "change": .string(row.string(at: 1)), "time": time(row, 2),
                "cause": .string(row.string(at: 3)),
            ]
        }
        return ["memberships": memberships, "history": history]
    }

    private static func deliveries(of profile: Int64, in connection: SQLiteConnection) throws -> JSONValue {
        try rows(
            """
            SELECT id, destination_id, reason, state, created_at, sent_at, payload FROM activation_outbox
            WHERE profile_id = ?1 ORDER BY id
            """, profile, in: connection
        ) { row in
            [
                "id": .int(row.int64(at: 0)), "destinationId": .int(row.int64(at: 1)),
                "reason": .string(row.string(at: 2)), "state": .string(row.string(at: 3)), "createdAt": time(row, 4),
                "sentAt": row.optionalInt64(at: 5).map { .string(Timestamp(milliseconds: $0).iso8601) } ?? .null,
                "payload": (try? JSONValue(parsing: row.blob(at: 6))) ?? .null,
            ]
        }
    }

    private static func rows(
        _ sql: String, _ profile: Int64, in connection: SQLiteConnection, _ make: (SQLiteStatement) -> JSONValue
    ) throws -> JSONValue {
        let select = try connection.prepare(sql, cached: false)
        try select.bind(profile, at: 1)
        return .array(try select.query(make))
    }

    private static func time(_ row: SQLiteStatement, _ index: Int) -> JSONValue {
        .string(Timestamp(milliseconds: row.int64(at: index)).iso8601)
    }
}
