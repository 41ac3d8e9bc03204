/// Schema migrations on PostgreSQL, each applied once, however many nodes start together: the
/// first takes a transaction-scoped advisory lock and applies what `amosync_migrations` lacks,
/// in one transaction with the record of each; the others wait for the lock and find them done.
package struct PGMigrator: Sendable {
    package struct Migration: Sendable {
        package var name: String
        package var sql: String
        package init(_ name: String, _ sql: String) {
            self.name = name
            self.sql = sql
        }
    }

    package let migrations: [Migration]
    /// The advisory lock's key (any 64-bit number no other program on the database uses).
    static let lockKey = 0x616D_6F73_796E_63  // "amosync"

    package init(_ migrations: [Migration]) { self.migrations = migrations }

    /// Applies the missing migrations; their names, in order (empty when none was missing).
    @discardableResult
    package func migrate(_ connection: PGConnection) async throws -> [String] {
        let migrations = self.migrations
        return try await connection.write { session in
            try session.query("SELECT pg_advisory_xact_lock($1)", ["\(Self.lockKey)"])
            try session.execute(
                "CREATE TABLE IF NOT EXISTS amosync_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            let done = Set(try session.query("SELECT name FROM amosync_migrations").compactMap { $0["name"] })
            var applied: [String] = []
            for migration in migrations where !done.contains(migration.name) {
                try session.execute(migration.sql)
                try session.query("INSERT INTO amosync_migrations (name) VALUES ($1)", [migration.name])
                applied.append(migration.name)
            }
            return applied
        }
    }
}
