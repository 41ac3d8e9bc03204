import AmoSyncCore
import Foundation

/// Intake on PostgreSQL: the rules of `SQLiteStore+Queue`. Nodes store at once; the jobs of one
/// order wait for each other through an advisory lock on the order, taken for the whole batch
/// in one order (no two intake transactions can deadlock).
extension PostgresStore: QueueStore {
    package func enqueue(_ jobs: [NewJob]) async throws -> [EnqueueResult] {
        guard !jobs.isEmpty else { return [] }
        let now = self.now().timeIntervalSince1970
        let orders = Set(jobs.map { "\($0.mapped.source)\u{1F}\($0.mapped.externalID)" }).sorted()
        return try await write { session in
            try session.query(
                "SELECT pg_advisory_xact_lock(hashtextextended(o, 0)) FROM unnest($1::text[]) o ORDER BY o",
                [PostgresArray.text(orders)])
            return try jobs.map { try Self.insert($0, now: now, session: session) }
        }
    }

    /// A new job is one statement (the common case: its key is new); a known key takes the
    /// rules of `SQLiteStore.insert` — a duplicate, or a version that changes back.
    static func insert(_ job: NewJob, now: Double, session: PGSession) throws -> EnqueueResult {
        var job = job
        let (source, externalID) = (job.mapped.source, job.mapped.externalID)
        if job.mapped.kind == .statusBack {
            // A hint for a lead that already has a re-read waiting joins it (see SQLiteStore.insert).
            let waiting = try session.query(
                """
                UPDATE jobs SET input = $3, updated_at = $4 WHERE id = (
                  SELECT id FROM jobs WHERE source = $1 AND external_id = $2 AND kind = 'status_back' AND state = 'queued'
                  ORDER BY id LIMIT 1)
                RETURNING id
                """, values: [source, externalID, job.inputText, now])
            if let id = waiting.first?.int64("id") {
                return EnqueueResult(jobID: id, kind: .statusBack, duplicate: true, state: .queued)
            }
        }
        if let stored = try store(job, now: now, session: session) { return stored }
        guard let row = try session.query("SELECT id, kind, state FROM jobs WHERE dedupe_key = $1", [job.dedupeKey]).first else {
            return EnqueueResult(jobID: 0, kind: job.mapped.kind, duplicate: true, state: .queued)
        }
        guard job.isVersion, let latest = try latestVersion(source: source, externalID: externalID, session: session) else {
            return duplicate(row)
        }
        if (latest["dedupe_key"] ?? "").hasPrefix(job.dedupeKey) { return duplicate(latest) }
        // A change back: a key of its own, after the version it follows.
        job.dedupeKey += ":after:\(latest["id"] ?? "0")"
        if let stored = try store(job, now: now, session: session) { return stored }
        return try session.query("SELECT id, kind, state FROM jobs WHERE dedupe_key = $1", [job.dedupeKey]).first.map(duplicate)
            ?? EnqueueResult(jobID: 0, kind: job.mapped.kind, duplicate: true, state: .queued)
    }

    /// Inserts the job unless its key is known (nil then). An order whose id was seen before
    /// (not skipped) is stored as an update, decided in the same statement.
    static func store(_ job: NewJob, now: Double, session: PGSession) throws -> EnqueueResult? {
        let state: JobState = job.skipReason == nil ? .queued : .skipped
        let record = JobRecord(job, kind: job.mapped.kind, state: state, now: now)
        let values = record.insertValues
        let placeholders = (2...values.count).map { "$\($0)" }.joined(separator: ", ")
        let kind = """
            CASE WHEN $1 = 'order' AND $5 = 'queued' AND EXISTS (
              SELECT 1 FROM jobs WHERE source = $2 AND external_id = $3 AND kind = 'order' AND state <> 'skipped')
            THEN 'order_update' ELSE $1 END
            """
        let row = try session.query(
            """
            INSERT INTO jobs (\(JobRecord.insertColumns)) VALUES (\(kind), \(placeholders))
            ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, kind
            """, values: values
        ).first
        guard let row, let id = row.int64("id") else { return nil }
        return EnqueueResult(jobID: id, kind: JobKind(rawValue: row["kind"] ?? "") ?? job.mapped.kind, duplicate: false, state: state)
    }

    static func latestVersion(source: String, externalID: String, session: PGSession) throws -> PGRow? {
        try session.query(
            """
            SELECT id, kind, state, dedupe_key FROM jobs WHERE source = $1 AND external_id = $2
              AND kind IN ('order', 'order_update', 'contact') AND state <> 'skipped'
            ORDER BY id DESC LIMIT 1
            """, [source, externalID]
        ).first
    }

    static func duplicate(_ row: PGRow) -> EnqueueResult {
        EnqueueResult(
            jobID: row.int64("id") ?? 0, kind: JobKind(rawValue: row["kind"] ?? "") ?? .order, duplicate: true,
            state: JobState(rawValue: row["state"] ?? "") ?? .queued)
    }

    package func nextRunAt(lane: JobLane) async throws -> Date? {
        try await read { session in
            try session.query(
                """
                SELECT LEAST(
                  (SELECT MIN(run_at) FROM jobs WHERE state = 'queued' AND (kind IN \(QueueRules.shopKinds)) = $1),
                  (SELECT MIN(lease_until) FROM jobs WHERE state = 'running' AND (kind IN \(QueueRules.shopKinds)) = $1)) AS t
                """, values: [lane == .shop]
            ).first?.double("t").map(Date.init(timeIntervalSince1970:))
        }
    }

    package func leadID(source: String, externalID: String) async throws -> Int? {
        try await read { try Self.leadID(source: source, externalID: externalID, session: $0) }
    }

    static func leadID(source: String, externalID: String, session: PGSession) throws -> Int? {
        try session.query(
            """
            SELECT lead_id FROM jobs WHERE source = $1 AND external_id = $2 AND state = 'done' AND lead_id IS NOT NULL
            ORDER BY id LIMIT 1
            """, [source, externalID]
        ).first?.int("lead_id")
    }

    package func orders(holding leadIDs: [Int]) async throws -> [Int: OrderOwner] {
        guard !leadIDs.isEmpty else { return [:] }
        return try await read { session in
            var owners: [Int: OrderOwner] = [:]
            let rows = try session.query(
                """
                SELECT lead_id, source, external_id, input::jsonb ->> 'shopify_id' AS platform_id FROM jobs
                WHERE lead_id = ANY($1::bigint[]) ORDER BY id
                """, [PostgresArray.text(leadIDs.map(String.init))])
            for row in rows {
                guard let lead = row.int("lead_id") else { continue }
                if owners[lead] == nil { owners[lead] = OrderOwner(source: row["source"] ?? "", externalID: row["external_id"] ?? "") }
                if let id = row["platform_id"] { owners[lead]?.platformID = id }
            }
            return owners
        }
    }

    @discardableResult
    package func purge(olderThanDays days: Double) async throws -> Int {
        let cutoff = now().timeIntervalSince1970 - days * 86_400
        return try await QueueRules.purgeInChunks {
            try await write { session in
                try session.changes(
                    """
                    DELETE FROM jobs WHERE id IN (
                      SELECT id FROM jobs WHERE created_at < $1 AND state IN ('done', 'cancelled', 'skipped')
                        AND COALESCE(finished_at, updated_at) < $1 LIMIT $2)
                    """, values: [cutoff, QueueRules.purgeChunk])
            }
        }
    }
}
