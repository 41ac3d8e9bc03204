import Foundation
import GRDB
import AmoSyncCore

extension JobStore {
    /// Throws unless a write transaction can be taken (for `/readyz`).
    func checkWritable() async throws {
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
    func consumeOAuthState(_ presented: String) async throws -> Bool {
        let now = self.now().timeIntervalSince1970
        return try await database.write { db in
            guard let raw = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'oauth_state'"),
                let stored = try? JSONValue.parse(Data(raw.utf8)), let state = stored["state"]?.stringValue,
                let expires = stored["expires_at"]?.doubleValue
            else { return false }
            guard Hashing.constantTimeEqual(Array(state.utf8), Array(presented.utf8)) else { return false }
            try db.execute(sql: "DELETE FROM meta WHERE key = 'oauth_state'")
            return now < expires
        }
    }
}
