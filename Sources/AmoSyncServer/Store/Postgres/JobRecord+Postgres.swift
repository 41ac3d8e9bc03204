import Foundation

extension JobRecord {
    /// A row of `jobs` as PostgreSQL's text format gives it (`SELECT *`).
    init(pg row: PGRow) {
        self.init(
            id: row.int64("id"), kind: row["kind"] ?? "", source: row["source"] ?? "", externalID: row["external_id"] ?? "",
            dedupeKey: row["dedupe_key"] ?? "", state: row["state"] ?? "", input: row["input"] ?? "", plan: row["plan"] ?? "",
            progress: row["progress"] ?? "{}", warnings: row["warnings"] ?? "[]", attempts: row.int("attempts") ?? 0,
            runAt: row.double("run_at") ?? 0, leaseUntil: row.double("lease_until"), leaseOwner: row["lease_owner"],
            createdAt: row.double("created_at") ?? 0, updatedAt: row.double("updated_at") ?? 0, finishedAt: row.double("finished_at"),
            lastError: row["last_error"], search: row["search"] ?? "", leadID: row.int("lead_id"), contactID: row.int("contact_id"),
            noteID: row.int("note_id"))
    }

    /// The values of a new row, in the order of `insertColumns`.
    var insertValues: [any PGParameter] {
        [
            kind, source, externalID, dedupeKey, state, input, plan, progress, warnings, attempts, runAt, createdAt, updatedAt, finishedAt,
            lastError, search,
        ]
    }

    static let insertColumns = """
        kind, source, external_id, dedupe_key, state, input, plan, progress, warnings, attempts, run_at, created_at, updated_at,
        finished_at, last_error, search
        """
}

extension AttemptRecord {
    init(pg row: PGRow) {
        self.init(
            id: row.int64("id"), jobID: row.int64("job_id") ?? 0, at: row.double("at") ?? 0, durationMs: row.int("duration_ms") ?? 0,
            outcome: row["outcome"] ?? "retry", httpStatus: row.int("http_status"), request: row["request"], error: row["error"],
            validationErrors: row["validation_errors"] ?? "[]")
    }
}
