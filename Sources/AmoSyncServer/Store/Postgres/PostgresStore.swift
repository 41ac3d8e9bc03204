import AmoSyncCore
import Foundation

/// The queue's store on PostgreSQL (`database.url`), for several nodes on one queue: the same
/// protocols and rules as `SQLiteStore`, tested by the same tests (`StoreContractTests`). Every
/// method is one transaction (`synchronous_commit` on: committed is on disk); claims take rows
/// with `FOR UPDATE SKIP LOCKED`, and the jobs of one order are stored one at a time across
/// nodes (a transaction-scoped advisory lock on the order). Like `SQLiteStore`, it owns every
/// SQL statement on its database: each concern is a file of its own in this folder.
package final class PostgresStore: Sendable {
    let pool: PGPool
    let now: @Sendable () -> Date
    /// For connections of their own (a lock held across a request); never printed.
    let url: String
    package let name: String
    /// This process among the nodes (the budget's rows, the lease): random, never a pid.
    let nodeID = Int64.random(in: 1...(1 << 52))

    private init(pool: PGPool, url: String, now: @escaping @Sendable () -> Date) {
        self.pool = pool
        self.url = url
        self.name = Config.redacted(url)
        self.now = now
    }

    /// Connects (`connections` at once) and brings the schema up to date.
    package static func open(
        url: String, connections: Int = 4, now: @escaping @Sendable () -> Date = Date.init
    ) async throws
        -> PostgresStore
    {
        let pool = try await PGPool.open(url, size: connections)
        try await pool.with { try await PGMigrator(PostgresSchema.migrations).migrate($0) }
        return PostgresStore(pool: pool, url: url, now: now)
    }

    /// A read; one that meets a connection the server dropped since its last use (a restart,
    /// an outage) runs again on the connection opened anew.
    func read<T: Sendable>(_ body: @escaping @Sendable (PGSession) throws -> T) async throws -> T {
        try await pool.with { connection in
            do { return try await connection.read(body) } catch let error as PGError where error.kind == .connection {
                return try await connection.read(body)
            }
        }
    }

    /// One transaction. A deadlock or serialization failure (another node's transaction won)
    /// rolls it back whole, and it runs again, up to three times.
    func write<T: Sendable>(_ body: @escaping @Sendable (PGSession) throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do { return try await pool.with { try await $0.write(body) } } catch let error as PGError
                where attempt < 3 && (error.sqlState == "40P01" || error.sqlState == "40001")
            {
                attempt += 1
            }
        }
    }
}
