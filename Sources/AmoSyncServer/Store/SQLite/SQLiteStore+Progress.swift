import Foundation
import GRDB

/// What a lane writes about the jobs it holds: lease renewals, checkpoints, outcomes, releases —
/// each conditional on the claim still holding the job.
extension SQLiteStore {
    /// Extends the leases of jobs a lane still works on. Returns the ids whose lease this
    /// claim no longer holds (expired and claimed by another lane, or finished by it).
    package func renew(_ jobs: [Job], leaseFor lease: TimeInterval) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let now = self.now().timeIntervalSince1970
        return try await settle { db in
            var lost: Set<Int64> = []
            for job in jobs {
                try db.execute(
                    sql: "UPDATE jobs SET lease_until = :until WHERE id = :id AND \(Self.held)",
                    arguments: ["until": now + lease, "id": job.id, "owner": job.leaseOwner])
                if db.changesCount == 0 { lost.insert(job.id) }
            }
            return lost
        }
    }

    /// Checkpoints finished steps of several jobs in one transaction. Returns the ids whose
    /// lease was lost: their progress is not written (the new holder's is).
    package func saveProgress(_ jobs: [Job]) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let now = self.now().timeIntervalSince1970
        let rows = jobs.map { Self.progressArguments($0, now: now) }
        return try await settle { db in
            var lost: Set<Int64> = []
            for (id, arguments) in rows {
                try db.execute(
                    sql: """
                        UPDATE jobs SET progress = :progress, lead_id = :lead, contact_id = :contact, note_id = :note, updated_at = :now
                        WHERE id = :id AND \(Self.held)
                        """, arguments: arguments)
                if db.changesCount == 0 { lost.insert(id) }
            }
            return lost
        }
    }

    /// A job's progress and the ids it produced, as named arguments.
    static func progressArguments(_ job: Job, now: Double) -> (Int64, StatementArguments) {
        (
            job.id,
            [
                "progress": JobRecord.encodeJSON(job.progress), "lead": job.progress.leadID, "contact": job.progress.contactID,
                "note": job.progress.noteID, "now": now, "id": job.id, "owner": job.leaseOwner,
            ]
        )
    }

    /// Records the end of an attempt for several jobs in one transaction. Jobs whose lease
    /// was lost are left to their new holder; their ids are returned.
    @discardableResult
    package func finish(_ outcomes: [JobOutcome]) async throws -> Set<Int64> {
        guard !outcomes.isEmpty else { return [] }
        let now = self.now().timeIntervalSince1970
        let encoded = outcomes.map { outcome -> (JobOutcome, StatementArguments) in
            var arguments = Self.progressArguments(outcome.job, now: now).1
            arguments += [
                "plan": outcome.job.plan.json.canonicalString, "warnings": JobRecord.encodeJSON(outcome.job.warnings),
                "error": outcome.attempt.error,
            ]
            return (outcome, arguments)
        }
        return try await settle { db in
            var lost: Set<Int64> = []
            var delivered = false
            for (outcome, arguments) in encoded {
                let job = outcome.job
                let common = """
                    lease_until = NULL, lease_owner = NULL, updated_at = :now, progress = :progress, plan = :plan, warnings = :warnings,
                    lead_id = :lead, contact_id = :contact, note_id = :note
                    """
                switch outcome.resolution {
                case .done:
                    try db.execute(
                        sql:
                            "UPDATE jobs SET state = 'done', finished_at = :now, last_error = NULL, \(common) "
                            + "WHERE id = :id AND \(Self.held)",
                        arguments: arguments)
                case .retry(let at, let refund):
                    var retry = arguments
                    retry += ["runAt": at.timeIntervalSince1970, "refund": refund ? 1 : 0]
                    try db.execute(
                        sql: """
                            UPDATE jobs SET state = 'queued', run_at = :runAt, last_error = COALESCE(:error, last_error),
                              attempts = MAX(0, attempts - :refund), \(common) WHERE id = :id AND \(Self.held)
                            """, arguments: retry)
                case .failed:
                    try db.execute(
                        sql:
                            "UPDATE jobs SET state = 'failed', finished_at = :now, last_error = :error, \(common) "
                            + "WHERE id = :id AND \(Self.held)",
                        arguments: arguments)
                }
                guard db.changesCount > 0 else {
                    lost.insert(job.id)
                    continue
                }
                if case .done = outcome.resolution {
                    // A status written back to a shop is no delivery to amoCRM (`stats`' last delivery).
                    if !job.kind.isShopWork { delivered = true }
                    // The next job of this order (stepped aside by a claim while this one ran) is due now.
                    try db.execute(
                        sql: """
                            UPDATE jobs SET run_at = :now WHERE source = :source AND external_id = :external AND id > :id
                              AND state = 'queued' AND run_at > :now
                            """, arguments: ["now": now, "source": job.source, "external": job.externalID, "id": job.id])
                }
                try AttemptRecord(outcome.attempt, jobID: job.id).insert(db)
            }
            if delivered { try MetaRecord(key: "last_delivery_at", value: "\(now)").upsert(db) }
            return lost
        }
    }

    /// Gives leased jobs back without spending their attempt (shutdown, a customer locked by
    /// another batch); only jobs this claim still holds.
    package func release(_ jobs: [Job], runAt: Date? = nil) async throws {
        guard !jobs.isEmpty else { return }
        let now = self.now().timeIntervalSince1970
        let at = runAt?.timeIntervalSince1970 ?? now
        let held = jobs.map { ($0.id, $0.leaseOwner) }
        try await settle { db in
            for (id, owner) in held {
                try db.execute(
                    sql: """
                        UPDATE jobs SET state = 'queued', lease_until = NULL, lease_owner = NULL, attempts = MAX(0, attempts - 1),
                          run_at = :at, updated_at = :now WHERE id = :id AND \(Self.held)
                        """, arguments: ["at": at, "now": now, "id": id, "owner": owner])
            }
        }
    }
}
