import Foundation

/// The contact index on PostgreSQL: the rules of `SQLiteStore+ContactIndex`.
extension PostgresStore: IndexStore {
    package func indexPosition() async throws -> IndexPosition {
        let saved = try await read { session in
            Dictionary(
                try session.query("SELECT key, value FROM meta WHERE key LIKE 'contact_index_%'").map {
                    ($0["key"] ?? "", $0["value"] ?? "")
                },
                uniquingKeysWith: { $1 })
        }
        return IndexPosition(meta: saved)
    }

    package func storeIndexPage(_ contacts: [IndexedContact], position: IndexPosition) async throws {
        let values = position.metaRows
        try await write { session in
            try Self.index(contacts, session: session)
            for (key, value) in values { try Self.setMeta(key, value, session: session) }
        }
    }

    package func indexBytes() async throws -> Int? {
        try await read { session in
            try session.query("SELECT pg_total_relation_size('contact_index') + pg_total_relation_size('contact_keys') AS n").first?.int(
                "n")
        }
    }

    package func index(_ contacts: [IndexedContact]) async throws {
        guard !contacts.isEmpty else { return }
        try await write { try Self.index(contacts, session: $0) }
    }

    /// An older copy never replaces a newer one: the upsert only writes when it is not older.
    private static func index(_ contacts: [IndexedContact], session: PGSession) throws {
        for contact in contacts {
            let written = try session.changes(
                """
                INSERT INTO contact_index (contact_id, updated_at, data) VALUES ($1, $2, $3)
                ON CONFLICT (contact_id) DO UPDATE SET updated_at = EXCLUDED.updated_at, data = EXCLUDED.data
                WHERE contact_index.updated_at <= EXCLUDED.updated_at
                """, values: [contact.id, contact.updatedAt, contact.data])
            guard written > 0 else { continue }
            try session.query("DELETE FROM contact_keys WHERE contact_id = $1", values: [contact.id])
            try session.query(
                "INSERT INTO contact_keys (key, contact_id) SELECT DISTINCT unnest($1::text[]), $2::bigint ON CONFLICT DO NOTHING",
                values: [PostgresArray.text(contact.keys.sorted()), contact.id])
        }
    }

    package func forgetIndexedContact(_ id: Int) async throws {
        try await write { try $0.query("DELETE FROM contact_index WHERE contact_id = $1", values: [id]) }
    }

    package func indexedContacts(withAnyOf keys: [String]) async throws -> [String] {
        guard !keys.isEmpty else { return [] }
        return try await read { session in
            try session.query(
                """
                SELECT data FROM contact_index WHERE contact_id IN (SELECT contact_id FROM contact_keys WHERE key = ANY($1::text[]))
                """, values: [PostgresArray.text(keys)]
            ).compactMap { $0["data"] }
        }
    }

    package func indexedContactCount() async throws -> Int {
        try await read { try $0.query("SELECT COUNT(*) AS n FROM contact_index").first?.int("n") ?? 0 }
    }
}
