import Foundation

/// What `amosync check` asks of a PostgreSQL queue, without changing it (no migration runs).
package struct PostgresReport: Sendable {
    /// `server_version_num` (`150018` for 15.18) and the version as the server names it.
    package var version: Int
    package var versionText: String
    /// Migrations this amosync knows and the database lacks (applied by the first node that starts).
    package var missing: [String]
    /// Migrations the database has that this amosync does not know (a newer amosync ran on it).
    package var unknown: [String]
    /// The database's clock minus this machine's, in seconds.
    package var clockSkew: Double
    /// Who holds each delivery lease.
    package var leases: [(name: String, holder: String, remaining: Double)]
    /// Nodes seen within the last minute.
    package var liveNodes: [String]
}

extension PostgresStore {
    /// Connects once (the error names the server, never the password) and reads what `check` reports.
    package static func inspect(url: String) async throws -> PostgresReport {
        let connection = try await PGConnection.connect(url)
        defer { connection.close() }
        let known = PostgresSchema.migrations.map(\.name)
        return try await connection.read { session in
            let sent = Date().timeIntervalSince1970
            let row = try session.query(
                """
                SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text,
                  extract(epoch from clock_timestamp()) AS now, to_regclass('amosync_migrations') IS NOT NULL AS migrated,
                  to_regclass('leases') IS NOT NULL AS leases
                """
            ).first
            let received = Date().timeIntervalSince1970
            let applied =
                row?.bool("migrated") == true ? Set(try session.query("SELECT name FROM amosync_migrations").compactMap { $0["name"] }) : []
            var leases: [(String, String, Double)] = []
            var nodes: [String] = []
            if row?.bool("leases") == true {
                leases = try session.query("SELECT name, holder_name, until - \(databaseNow) AS remaining FROM leases ORDER BY name")
                    .map { ($0["name"] ?? "", $0["holder_name"] ?? "", $0.double("remaining") ?? 0) }
                nodes = try session.query("SELECT name FROM nodes WHERE seen_at > \(databaseNow) - 60 ORDER BY name").compactMap {
                    $0["name"]
                }
            }
            return PostgresReport(
                version: row?.int("num") ?? 0, versionText: row?["text"] ?? "?", missing: known.filter { !applied.contains($0) },
                unknown: applied.subtracting(known).sorted(), clockSkew: (row?.double("now") ?? sent) - (sent + received) / 2,
                leases: leases, liveNodes: nodes)
        }
    }
}
