import Foundation
import GRDB

/// The contact index's tables (`contact_index`, `contact_keys`) and its sync position (in `meta`).
extension SQLiteStore {
    package func indexPosition() async throws -> IndexPosition {
        let saved = try await database.read { db in
            Dictionary(
                try MetaRecord.filter(sql: "key LIKE 'contact_index_%'").fetchAll(db).map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        }
        return IndexPosition(meta: saved)
    }

    package func storeIndexPage(_ contacts: [IndexedContact], position: IndexPosition) async throws {
        let values = position.metaRows
        try await settle { db in
            try Self.index(contacts, db: db)
            for (key, value) in values { try Self.setMeta(key, value, db: db) }
        }
    }

    /// Bytes the index's tables and indexes take in the database file (nil when this SQLite
    /// has no `dbstat`).
    package func indexBytes() async throws -> Int? {
        try await database.read { db in
            try? Int.fetchOne(
                db,
                sql: """
                    SELECT SUM(pgsize) FROM dbstat WHERE name IN
                      (SELECT name FROM sqlite_schema WHERE tbl_name IN ('contact_index', 'contact_keys'))
                    """)
        }
    }

    package func index(_ contacts: [IndexedContact]) async throws {
        guard !contacts.isEmpty else { return }
        try await settle { db in try Self.index(contacts, db: db) }
    }

    private static func index(_ contacts: [IndexedContact], db: Database) throws {
        for contact in contacts {
            if let stored = try ContactIndexRecord.fetchOne(db, key: contact.id), stored.updatedAt > contact.updatedAt { continue }
            try ContactIndexRecord(contactID: contact.id, updatedAt: contact.updatedAt, data: contact.data).save(db)
            try ContactKeyRecord.filter(ContactKeyRecord.CodingKeys.contactID == contact.id).deleteAll(db)
            for key in contact.keys { try ContactKeyRecord(key: key, contactID: contact.id).insert(db, onConflict: .ignore) }
        }
    }

    package func forgetIndexedContact(_ id: Int) async throws {
        try await settle { db in _ = try ContactIndexRecord.deleteOne(db, key: id) }
    }

    package func indexedContacts(withAnyOf keys: [String]) async throws -> [String] {
        guard !keys.isEmpty else { return [] }
        return try await database.read { db in
            let holders = ContactKeyRecord.filter(keys.contains(ContactKeyRecord.CodingKeys.key)).select(
                ContactKeyRecord.CodingKeys.contactID)
            return try ContactIndexRecord.filter(holders.contains(ContactIndexRecord.CodingKeys.contactID))
                .select(ContactIndexRecord.CodingKeys.data, as: String.self).fetchAll(db)
        }
    }

    package func indexedContactCount() async throws -> Int {
        try await database.read { db in try ContactIndexRecord.fetchCount(db) }
    }
}
