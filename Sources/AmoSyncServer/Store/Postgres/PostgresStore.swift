import Foundation

/// The queue's store on PostgreSQL (#30, being built): the store protocols one by one, each
/// tested against SQLite and PostgreSQL by the same tests (`StoreContractTests`). So far the
/// small shared state (`MetaStore`), the request budget (`BudgetStore`) and rotation turns and
/// the products index (`SalesStore`); the jobs follow.
package final class PostgresStore: Sendable {
    let pool: PGPool
    let now: @Sendable () -> Date

    private init(pool: PGPool, now: @escaping @Sendable () -> Date) {
        self.pool = pool
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
        return PostgresStore(pool: pool, now: now)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (PGSession) throws -> T) async throws -> T {
        try await pool.with { try await $0.read(body) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (PGSession) throws -> T) async throws -> T {
        try await pool.with { try await $0.write(body) }
    }
}

/// The schema on PostgreSQL, migration by migration.
enum PostgresSchema {
    static let migrations: [PGMigrator.Migration] = [
        .init(
            "pg1-meta-budget-products",
            """
            CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
            CREATE TABLE api_requests (id bigserial PRIMARY KEY, pid bigint NOT NULL, at double precision NOT NULL);
            CREATE INDEX api_requests_at ON api_requests (at);
            CREATE TABLE product_index (
              catalog_id bigint NOT NULL,
              sku text NOT NULL,
              element_id bigint NOT NULL,
              PRIMARY KEY (catalog_id, sku)
            );
            """)
    ]
}
