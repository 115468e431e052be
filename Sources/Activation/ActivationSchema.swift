import Storage

/// The tables of activation: destinations and the outbox of deliveries to them.
///
/// Created with `IF NOT EXISTS` by whoever opens them first (``DestinationStore``, ``Outbox``), as the
/// other engines create theirs, so the Storage migrations stay free of activation's layout.
enum ActivationSchema {
    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS activation_destinations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            settings TEXT NOT NULL,
            secret TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS activation_outbox (
            id INTEGER PRIMARY KEY,
            destination_id INTEGER NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            reason TEXT NOT NULL,
            profile_id INTEGER,
            audience_id INTEGER,
            trigger_id INTEGER,
            payload BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_status INTEGER,
            last_response BLOB,
            detail TEXT,
            sent_at INTEGER,
            updated_at INTEGER NOT NULL
        )
        """,
        // Waiting deliveries of a destination in id order: claims read the oldest due ones without
        // sorting, however many have been delivered already.
        """
        CREATE INDEX IF NOT EXISTS activation_outbox_waiting ON activation_outbox (destination_id, id)
        WHERE state IN ('pending', 'retry')
        """,
        // Retries by due time, so the next one is found with one seek.
        """
        CREATE INDEX IF NOT EXISTS activation_outbox_due
        ON activation_outbox (destination_id, state, next_attempt_at)
        """,
        "CREATE INDEX IF NOT EXISTS activation_outbox_by_state ON activation_outbox (state, destination_id)",
    ]

    /// Creates the tables and indexes that do not exist yet.
    static func create(in connection: SQLiteConnection) throws {
        for statement in statements {
            try connection.execute(statement)
        }
    }
}
