import Foundation
import GRDB

/// Storage of the contact index (`contact_index`, `contact_keys`) and its sync position.
extension JobStore {
    /// One contact as the index keeps it: amoCRM's JSON and its normalized match keys.
    struct IndexedContact: Sendable {
        var id: Int
        var updatedAt: Int
        var data: String
        var keys: Set<String>
    }

    /// Where the full sync stands.
    package struct IndexPosition: Sendable, Equatable {
        package var cursor = 0
        package var page = 1
        package var complete = false
        /// `updated_at` of the oldest contact, where the full sync began (progress is measured from it).
        package var origin: Int?
        /// When the full sync is expected to be done (Unix time), while it runs.
        package var etaAt: Int?

        /// How far the full sync has come, 0…1: the share of the time from the oldest
        /// contact's `updated_at` to `now` that the cursor has passed (an estimate: contacts
        /// are rarely spread evenly in time).
        /// The full sync has begun (read a page) and is not complete.
        package var syncing: Bool { !complete && origin != nil }

        /// Seconds until the estimated end of the full sync; nil when there is no estimate.
        package func secondsToGo(now: Date = Date()) -> Double? {
            etaAt.map { max(0, Double($0) - now.timeIntervalSince1970) }
        }

        package func progress(now: Date = Date()) -> Double {
            if complete { return 1 }
            guard let origin else { return 0 }
            let span = now.timeIntervalSince1970 - Double(origin)
            return span > 0 ? min(1, max(0, Double(cursor - origin) / span)) : 0
        }
    }

    package func indexPosition() async throws -> IndexPosition {
        let saved = try await database.read { db in
            try Dictionary(
                Row.fetchAll(db, sql: "SELECT key, value FROM meta WHERE key LIKE 'contact_index_%'").map {
                    ($0["key"] as String, $0["value"] as String)
                },
                uniquingKeysWith: { $1 })
        }
        return IndexPosition(
            cursor: Int(saved["contact_index_cursor"] ?? "") ?? 0, page: Int(saved["contact_index_page"] ?? "") ?? 1,
            complete: saved["contact_index_complete"] == "1", origin: saved["contact_index_origin"].flatMap { Int($0) },
            etaAt: saved["contact_index_eta_at"].flatMap { Int($0) })
    }

    /// A page of contacts and the position that moves past it, in one transaction.
    func storeIndexPage(_ contacts: [IndexedContact], position: IndexPosition) async throws {
        let values: [(String, String?)] = [
            ("contact_index_cursor", "\(position.cursor)"), ("contact_index_page", "\(position.page)"),
            ("contact_index_complete", position.complete ? "1" : "0"), ("contact_index_origin", position.origin.map { "\($0)" }),
            ("contact_index_eta_at", position.etaAt.map { "\($0)" }),
        ]
        try await settle { db in
            try Self.index(contacts, db: db)
            for (key, value) in values {
                if let value {
                    try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
                } else {
                    try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key])
                }
            }
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

    /// Stores contacts; an older copy never replaces a newer one.
    func index(_ contacts: [IndexedContact]) async throws {
        guard !contacts.isEmpty else { return }
        try await settle { db in try Self.index(contacts, db: db) }
    }

    private static func index(_ contacts: [IndexedContact], db: Database) throws {
        for contact in contacts {
            let stored = try Int.fetchOne(db, sql: "SELECT updated_at FROM contact_index WHERE contact_id = ?", arguments: [contact.id])
            if let stored, stored > contact.updatedAt { continue }
            try db.execute(
                sql: "INSERT OR REPLACE INTO contact_index (contact_id, updated_at, data) VALUES (?, ?, ?)",
                arguments: [contact.id, contact.updatedAt, contact.data])
            try db.execute(sql: "DELETE FROM contact_keys WHERE contact_id = ?", arguments: [contact.id])
            for key in contact.keys {
                try db.execute(sql: "INSERT OR IGNORE INTO contact_keys (key, contact_id) VALUES (?, ?)", arguments: [key, contact.id])
            }
        }
    }

    func forgetIndexedContact(_ id: Int) async throws {
        try await settle { db in try db.execute(sql: "DELETE FROM contact_index WHERE contact_id = ?", arguments: [id]) }
    }

    /// The stored JSON of indexed contacts holding any of `keys`.
    func indexedContacts(withAnyOf keys: [String]) async throws -> [String] {
        guard !keys.isEmpty else { return [] }
        return try await database.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT data FROM contact_index WHERE contact_id IN
                      (SELECT contact_id FROM contact_keys WHERE key IN (\(keys.map { _ in "?" }.joined(separator: ","))))
                    """, arguments: StatementArguments(keys))
        }
    }

    package func indexedContactCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM contact_index") ?? 0 }
    }
}
