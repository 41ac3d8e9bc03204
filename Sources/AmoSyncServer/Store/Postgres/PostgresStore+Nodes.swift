import Foundation

/// Nodes and the delivery lease on PostgreSQL. Times are the database's (`clock_timestamp()`),
/// so a node whose clock is off neither steals a live lease nor keeps a dead one.
extension PostgresStore: NodeStore {
    /// How long a node that stopped renewing still counts as alive (its in-flight requests too).
    static let nodeTimeout = 15.0
    static let databaseNow = "extract(epoch from clock_timestamp())"

    package var processID: Int { Int(nodeID) }

    /// What this node's claims' owners start with.
    var ownerPrefix: String { "n\(nodeID)" }

    package func shortenLeasesOfOtherNodes(to seconds: Double) async throws -> Int {
        let until = now().timeIntervalSince1970 + seconds
        let prefix = ownerPrefix + "-%"
        return try await write { session in
            try session.changes(
                "UPDATE jobs SET lease_until = $1 WHERE state = 'running' AND lease_until > $1 AND lease_owner NOT LIKE $2",
                values: [until, prefix])
        }
    }

    package func liveProcesses(among ids: Set<Int>) async -> Set<Int> {
        let rows = try? await read { session in
            try session.query(
                "SELECT id FROM nodes WHERE id = ANY($1::bigint[]) AND seen_at > \(Self.databaseNow) - $2",
                values: [PostgresArray.text(ids.map(String.init)), Self.nodeTimeout])
        }
        return Set((rows ?? []).compactMap { $0.int("id") })
    }

    package func holdLease(_ name: String, node: String, seconds: Double) async throws -> LeaseState {
        let id = nodeID
        return try await write { session in
            try session.query(
                """
                INSERT INTO nodes (id, name, seen_at) VALUES ($1, $2, \(Self.databaseNow))
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, seen_at = EXCLUDED.seen_at
                """, values: [id, node])
            try session.query("DELETE FROM nodes WHERE seen_at < \(Self.databaseNow) - 3600")
            let taken = try session.query(
                """
                INSERT INTO leases (name, holder, holder_name, until, since)
                VALUES ($1, $2, $3, \(Self.databaseNow) + $4, \(Self.databaseNow))
                ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, holder_name = EXCLUDED.holder_name, until = EXCLUDED.until,
                  since = CASE WHEN leases.holder = EXCLUDED.holder THEN leases.since ELSE EXCLUDED.since END
                WHERE leases.holder = EXCLUDED.holder OR leases.until < EXCLUDED.since
                RETURNING holder
                """, values: [name, id, node, seconds])
            if !taken.isEmpty { return LeaseState(held: true, holder: node, remaining: seconds) }
            return try Self.leaseState(name, node: id, session: session) ?? LeaseState(held: false, holder: "", remaining: 0)
        }
    }

    package func releaseLease(_ name: String) async throws {
        try await write { try $0.query("DELETE FROM leases WHERE name = $1 AND holder = $2", values: [name, self.nodeID]) }
    }

    package func leaseState(_ name: String) async throws -> LeaseState? {
        let id = nodeID
        return try await read { try Self.leaseState(name, node: id, session: $0) }
    }

    static func leaseState(_ name: String, node: Int64, session: PGSession) throws -> LeaseState? {
        try session.query(
            "SELECT holder, holder_name, until - \(databaseNow) AS remaining FROM leases WHERE name = $1", values: [name]
        ).first.map { row in
            LeaseState(held: row.int64("holder") == node, holder: row["holder_name"] ?? "", remaining: row.double("remaining") ?? 0)
        }
    }
}
