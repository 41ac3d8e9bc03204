import AmoSyncCore
import Foundation

/// What a lane writes about the jobs it holds, on PostgreSQL: the rules of
/// `SQLiteStore+Progress`, each write conditional on the claim still holding the job.
extension PostgresStore {
    /// The condition every write of a lane adds: the job still runs under the claim whose
    /// owner is the parameter `owner` (`$n`).
    static func held(_ owner: String) -> String { "state = 'running' AND lease_owner IS NOT DISTINCT FROM \(owner)" }

    package func renew(_ jobs: [Job], leaseFor lease: TimeInterval) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let until = now().timeIntervalSince1970 + lease
        return try await write { session in
            var lost: Set<Int64> = []
            for job in jobs
            where try session.changes(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND \(Self.held("$3"))", values: [until, job.id, job.leaseOwner]) == 0
            {
                lost.insert(job.id)
            }
            return lost
        }
    }

    /// $1 progress, $2 lead, $3 contact, $4 note, $5 now, $6 id, $7 owner.
    static func progressValues(_ job: Job, now: Double) -> [any PGParameter] {
        [
            JobRecord.encodeJSON(job.progress), job.progress.leadID, job.progress.contactID, job.progress.noteID, now, job.id,
            job.leaseOwner,
        ]
    }

    package func saveProgress(_ jobs: [Job]) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let now = self.now().timeIntervalSince1970
        return try await write { session in
            var lost: Set<Int64> = []
            for job in jobs
            where try session.changes(
                """
                UPDATE jobs SET progress = $1, lead_id = $2, contact_id = $3, note_id = $4, updated_at = $5
                WHERE id = $6 AND \(Self.held("$7"))
                """, values: Self.progressValues(job, now: now)) == 0
            {
                lost.insert(job.id)
            }
            return lost
        }
    }

    @discardableResult
    package func finish(_ outcomes: [JobOutcome]) async throws -> Set<Int64> {
        guard !outcomes.isEmpty else { return [] }
        let now = self.now().timeIntervalSince1970
        return try await write { session in
            var lost: Set<Int64> = []
            var delivered = false
            for outcome in outcomes {
                let job = outcome.job
                // $8 plan, $9 warnings; then what the outcome uses (PostgreSQL refuses a parameter no statement names).
                var values = Self.progressValues(job, now: now) + [job.plan.json.canonicalString, JobRecord.encodeJSON(job.warnings)]
                let common = """
                    lease_until = NULL, lease_owner = NULL, updated_at = $5, progress = $1, plan = $8, warnings = $9,
                    lead_id = $2, contact_id = $3, note_id = $4
                    """
                let sql: String
                switch outcome.resolution {
                case .done:
                    sql =
                        "UPDATE jobs SET state = 'done', finished_at = $5, last_error = NULL, \(common) "
                        + "WHERE id = $6 AND \(Self.held("$7"))"
                case .retry(let at, let refund):
                    values += [outcome.attempt.error, at.timeIntervalSince1970, refund ? 1 : 0]
                    sql = """
                        UPDATE jobs SET state = 'queued', run_at = $11, last_error = COALESCE($10, last_error),
                          attempts = GREATEST(0, attempts - $12), \(common) WHERE id = $6 AND \(Self.held("$7"))
                        """
                case .failed:
                    values.append(outcome.attempt.error)
                    sql =
                        "UPDATE jobs SET state = 'failed', finished_at = $5, last_error = $10, \(common) "
                        + "WHERE id = $6 AND \(Self.held("$7"))"
                }
                guard try session.changes(sql, values: values) > 0 else {
                    lost.insert(job.id)
                    continue
                }
                if case .done = outcome.resolution {
                    if !job.kind.isShopWork { delivered = true }
                    try session.query(
                        """
                        UPDATE jobs SET run_at = $1 WHERE source = $2 AND external_id = $3 AND id > $4 AND state = 'queued' AND run_at > $1
                        """, values: [now, job.source, job.externalID, job.id])
                }
                let attempt = AttemptRecord(outcome.attempt, jobID: job.id)
                try session.query(
                    """
                    INSERT INTO job_attempts (job_id, at, duration_ms, outcome, http_status, request, error, validation_errors)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    """,
                    values: [
                        attempt.jobID, attempt.at, attempt.durationMs, attempt.outcome, attempt.httpStatus, attempt.request, attempt.error,
                        attempt.validationErrors,
                    ])
            }
            if delivered { try Self.setMeta("last_delivery_at", "\(now)", session: session) }
            return lost
        }
    }

    package func release(_ jobs: [Job], runAt: Date?) async throws {
        guard !jobs.isEmpty else { return }
        let now = self.now().timeIntervalSince1970
        let at = runAt?.timeIntervalSince1970 ?? now
        try await write { session in
            for job in jobs {
                try session.query(
                    """
                    UPDATE jobs SET state = 'queued', lease_until = NULL, lease_owner = NULL, attempts = GREATEST(0, attempts - 1),
                      run_at = $1, updated_at = $2 WHERE id = $3 AND \(Self.held("$4"))
                    """, values: [at, now, job.id, job.leaseOwner])
            }
        }
    }
}
