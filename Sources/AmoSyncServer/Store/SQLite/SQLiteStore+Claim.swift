import Foundation
import GRDB
import AmoSyncCore

/// Claiming jobs for delivery: a bounded look at the due jobs, blocked ones stepping aside.
extension SQLiteStore {
    static let shopKinds = QueueRules.shopKinds

    /// A job that waits for an earlier job of its order (`j` is the job, `p` the earlier one).
    static let waits = """
        EXISTS (SELECT 1 FROM jobs p WHERE p.source = j.source AND p.external_id = j.external_id AND p.id < j.id
                AND p.state IN ('queued', 'running', 'failed'))
        """

    /// Due jobs (queued and due, or running with an expired lease) that wait for no earlier
    /// job of their order, oldest first, leased to `:owner` with an attempt counted.
    static let claim = """
        UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = :leaseUntil, lease_owner = :owner, updated_at = :now
        WHERE id IN (
          SELECT id FROM (
            SELECT id, run_at FROM (
              SELECT j.id, j.run_at FROM (SELECT id, run_at, source, external_id FROM jobs
                                          WHERE state = 'queued' AND run_at <= :now AND (kind IN \(shopKinds)) = :shop
                                          ORDER BY run_at, id LIMIT :scan) j
              WHERE NOT \(waits) LIMIT :limit)
            UNION ALL
            SELECT id, run_at FROM (
              SELECT j.id, j.run_at FROM jobs j
              WHERE j.state = 'running' AND j.lease_until < :now AND (j.kind IN \(shopKinds)) = :shop AND NOT \(waits)
              LIMIT :limit))
          ORDER BY run_at, id LIMIT :limit)
        RETURNING *
        """

    /// Due jobs in the window that wait for an earlier job of their order step aside.
    static let stepAside = """
        UPDATE jobs SET run_at = :later WHERE id IN (
          SELECT j.id FROM (SELECT id, source, external_id FROM jobs WHERE state = 'queued' AND run_at <= :now
                            AND (kind IN \(shopKinds)) = :shop ORDER BY run_at, id LIMIT :scan) j
          WHERE \(waits))
        """

    /// Leases up to `limit` ready jobs (queued and due, or running with an expired lease)
    /// and counts an attempt for each. Later jobs of an order wait for earlier ones. The claim
    /// holds the writer for a bounded time whatever the queue holds: it looks at most at the
    /// first `claimScan(limit)` due jobs (by `run_at`, through the `jobs_claim` index); when
    /// that yields less than a batch, the ones among them that wait for an earlier job of their
    /// order step aside for `blockedDelay` (their predecessor's finish wakes them at once)
    /// instead of being walked past by every claim, and the window is looked at once more.
    /// The claimed jobs share a new `leaseOwner`: only this claim can checkpoint, renew, finish
    /// or release them while its lease lasts.
    package func claimBatch(limit: Int, leaseFor lease: TimeInterval, lane: JobLane = .amocrm) async throws -> [Job] {
        let now = self.now().timeIntervalSince1970
        let owner = QueueRules.newOwner("\(ProcessInfo.processInfo.processIdentifier)")
        let scan = QueueRules.claimScan(limit)
        @Sendable func arguments(_ limit: Int) -> StatementArguments {
            ["leaseUntil": now + lease, "owner": owner, "now": now, "scan": scan, "limit": limit, "shop": lane == .shop]
        }
        // Rows are decoded after the transaction: intake waits for the writer, not for JSON decoding.
        let records = try await database.write { db in
            var claimed = try JobRecord.fetchAll(db, sql: Self.claim, arguments: arguments(limit))
            // Fewer than asked for: blocked jobs may fill the window. They step aside, and the
            // window is looked at once more (a busy queue never pays for this).
            if claimed.count < limit {
                try db.execute(
                    sql: Self.stepAside,
                    arguments: ["later": now + QueueRules.blockedDelay, "now": now, "scan": scan, "shop": lane == .shop])
                if db.changesCount > 0 {
                    claimed += try JobRecord.fetchAll(db, sql: Self.claim, arguments: arguments(limit - claimed.count))
                }
            }
            return claimed
        }
        var jobs: [Job] = []
        var unreadable: [(id: Int64, error: String)] = []
        for record in records {
            do { jobs.append(try Job(record: record)) } catch { unreadable.append((record.id ?? 0, "\(error)")) }
        }
        if !unreadable.isEmpty { try await failUnreadable(unreadable) }
        return jobs.sorted { $0.id < $1.id }
    }

    /// A claimed row that does not decode can never be delivered: it is failed with the
    /// decoding error (for `jobs show`), and the claim goes on with the others.
    func failUnreadable(_ rows: [(id: Int64, error: String)]) async throws {
        let now = self.now().timeIntervalSince1970
        try await settle { db in
            for (id, error) in rows {
                try db.execute(
                    sql: """
                        UPDATE jobs SET state = 'failed', lease_until = NULL, lease_owner = NULL, finished_at = :now,
                          updated_at = :now, last_error = :error
                        WHERE id = :id
                        """, arguments: ["now": now, "error": error, "id": id])
            }
        }
    }
}
