import Foundation

/// The OAuth pair on PostgreSQL, shared by every node: one row, its version bumped by each write.
/// A refresh holds a session-level advisory lock on a connection of its own: another node waits
/// for it and then finds the new pair, and a node that dies mid-refresh loses the lock with its
/// session.
extension PostgresStore: SharedTokenStore {
    static let tokensLockKey = 0x616D_6F74_6F6B  // "amotok"

    package func storedTokens() async throws -> String? {
        try await read { try $0.query("SELECT data FROM oauth_tokens WHERE account = 'amocrm'").first?["data"] }
    }

    package func tokensVersion() async throws -> Int64? {
        try await read { try $0.query("SELECT version FROM oauth_tokens WHERE account = 'amocrm'").first?.int64("version") }
    }

    package func saveTokens(_ data: String) async throws {
        try await write { session in
            try session.query(
                """
                INSERT INTO oauth_tokens (account, data, version) VALUES ('amocrm', $1, 1)
                ON CONFLICT (account) DO UPDATE SET data = EXCLUDED.data, version = oauth_tokens.version + 1
                """, [data])
        }
    }

    package func lockTokens() async throws -> @Sendable () async -> Void {
        let connection = try await PGConnection.connect(url)
        do {
            _ = try await connection.read { try $0.query("SELECT pg_advisory_lock($1)", ["\(Self.tokensLockKey)"]) }
        } catch {
            connection.close()
            throw error
        }
        return {
            _ = try? await connection.read { try $0.query("SELECT pg_advisory_unlock($1)", ["\(Self.tokensLockKey)"]) }
            connection.close()
        }
    }
}
