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
        let value = JSONValue.object([
            "state": .string(state), "expires_at": .number(JSONNumber(expiresAt.timeIntervalSince1970.rounded())),
        ])
        try await setMeta("oauth_state", value.canonicalString)
    }

    /// True once for the state issued last, before it expires; compared in constant time. A
    /// matching state is used up in the same transaction, so a replay finds nothing.
    package func consumeOAuthState(_ presented: String) async throws -> Bool {
        let now = self.now().timeIntervalSince1970
        return try await database.write { db in
            guard let raw = try MetaRecord.fetchOne(db, key: "oauth_state")?.value, let stored = try? JSONValue.parse(Data(raw.utf8)),
                let state = stored["state"]?.stringValue, let expires = stored["expires_at"]?.doubleValue
            else { return false }
            guard Hashing.constantTimeEqual(Array(state.utf8), Array(presented.utf8)) else { return false }
            _ = try MetaRecord.deleteOne(db, key: "oauth_state")
            return now < expires
        }
    }
}
