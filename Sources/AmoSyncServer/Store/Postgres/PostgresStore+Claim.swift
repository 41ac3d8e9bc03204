import AmoSyncCore
import Foundation

/// Claiming on PostgreSQL: the rules of `SQLiteStore+Claim` (a bounded look at the due jobs,
/// jobs that wait for an earlier job of their order stepping aside), with the rows taken
/// `FOR UPDATE SKIP LOCKED`: two claims at once (lanes, or nodes during a hand-over) never
/// take one job, and neither waits for the other. The row's state is checked again once locked.
extension PostgresStore {
    static let waits = """
        EXISTS (SELECT 1 FROM jobs p WHERE p.source = j.source AND p.external_id = j.external_id AND p.id < j.id
                AND p.state IN ('queued', 'running', 'failed'))
        """

    /// $1 lease until, $2 owner, $3 now, $4 scan, $5 limit, $6 shop lane.
    static let claim = """
        WITH due AS (
          SELECT id, run_at FROM (
            SELECT j.id, j.run_at FROM (SELECT id, run_at, source, external_id FROM jobs
                                        WHERE state = 'queued' AND run_at <= $3 AND (kind IN \(QueueRules.shopKinds)) = $6
                                        ORDER BY run_at, id LIMIT $4) j
            WHERE NOT \(waits) LIMIT $5) q
          UNION ALL
          SELECT id, run_at FROM (
            SELECT j.id, j.run_at FROM jobs j
            WHERE j.state = 'running' AND j.lease_until < $3 AND (j.kind IN \(QueueRules.shopKinds)) = $6 AND NOT \(waits)
            LIMIT $5) r
          ORDER BY run_at, id LIMIT $5),
        locked AS (
          SELECT id FROM jobs WHERE id IN (SELECT id FROM due)
            AND ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until < $3))
          FOR UPDATE SKIP LOCKED)
        UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1, lease_owner = $2, updated_at = $3
        WHERE id IN (SELECT id FROM locked)
        RETURNING *
        """

    /// $1 later, $2 now, $3 scan, $4 shop lane.
    static let stepAside = """
        UPDATE jobs SET run_at = $1 WHERE id IN (
          SELECT j.id FROM (SELECT id, source, external_id FROM jobs WHERE state = 'queued' AND run_at <= $2
                            AND (kind IN \(QueueRules.shopKinds)) = $4 ORDER BY run_at, id LIMIT $3) j
          WHERE \(waits))
        """

    package func claimBatch(limit: Int, leaseFor lease: TimeInterval, lane: JobLane) async throws -> [Job] {
        let now = self.now().timeIntervalSince1970
        let owner = QueueRules.newOwner(ownerPrefix)
        let scan = QueueRules.claimScan(limit)
        let shop = lane == .shop
        let rows = try await write { session in
            var claimed = try session.query(Self.claim, values: [now + lease, owner, now, scan, limit, shop])
            if claimed.count < limit,
                try session.changes(Self.stepAside, values: [now + QueueRules.blockedDelay, now, scan, shop]) > 0
            {
                claimed += try session.query(Self.claim, values: [now + lease, owner, now, scan, limit - claimed.count, shop])
            }
            return claimed
        }
        var jobs: [Job] = []
        var unreadable: [(id: Int64, error: String)] = []
        for row in rows {
            let record = JobRecord(pg: row)
            do { jobs.append(try Job(record: record)) } catch { unreadable.append((record.id ?? 0, "\(error)")) }
        }
        if !unreadable.isEmpty {
            let failed = unreadable
            try await write { session in
                for (id, error) in failed {
                    try session.query(
                        """
                        UPDATE jobs SET state = 'failed', lease_until = NULL, lease_owner = NULL, finished_at = $1, updated_at = $1,
                          last_error = $2 WHERE id = $3
                        """, values: [now, error, id])
                }
            }
        }
        return jobs.sorted { $0.id < $1.id }
    }
}
