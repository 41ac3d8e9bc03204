import Foundation
import GRDB
import AmoSyncCore

/// Small shared state between the daemon and admin commands (credential problems, the OAuth
/// state, the last delivery).
extension SQLiteStore {
    package func setMeta(_ key: String, _ value: String?) async throws {
        try await settle { db in try Self.setMeta(key, value, db: db) }
    }

    static func setMeta(_ key: String, _ value: String?, db: Database) throws {
        if let value { try MetaRecord(key: key, value: value).upsert(db) } else { _ = try MetaRecord.deleteOne(db, key: key) }
    }

    package func meta(_ key: String) async throws -> String? {
        try await database.read { db in try MetaRecord.fetchOne(db, key: key)?.value }
    }

    package func checkWritable() async throws {
        try await database.write { db in try db.execute(sql: "UPDATE meta SET value = value WHERE 0") }
    }

    /// Remembers the `state` of a new `auth url` link until `expiresAt`, replacing any earlier one.
    package func issueOAuthState(_ state: String, expiresAt: Date) async throws {
        try await setMeta(OAuthStateRecord.key, OAuthStateRecord.value(state, expiresAt: expiresAt))
    }

    /// True once for the state issued last, before it expires; compared in constant time. A
    /// matching state is used up in the same transaction, so a replay finds nothing.
    package func consumeOAuthState(_ presented: String) async throws -> Bool {
        let now = self.now().timeIntervalSince1970
        return try await database.write { db in
            guard let raw = try MetaRecord.fetchOne(db, key: OAuthStateRecord.key)?.value,
                let good = OAuthStateRecord.check(raw, presented: presented, now: now)
            else { return false }
            _ = try MetaRecord.deleteOne(db, key: OAuthStateRecord.key)
            return good
        }
    }
}
