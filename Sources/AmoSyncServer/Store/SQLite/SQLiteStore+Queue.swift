import Foundation
import GRDB
import AmoSyncCore

/// Intake: new jobs, in one transaction for a group of requests.
extension SQLiteStore {
    package func enqueue(_ jobs: [NewJob]) async throws -> [EnqueueResult] {
        let now = self.now().timeIntervalSince1970
        return try await settle { db in try jobs.map { try Self.insert($0, now: now, db: db) } }
    }

    func enqueue(_ job: NewJob) async throws -> EnqueueResult { try await enqueue([job])[0] }

    /// A known dedupe key is a duplicate; a changed order (its id seen with other content) is an
    /// update. A version of an order is a duplicate of the order's latest version only: content
    /// seen before but not last (processing → on-hold → processing) is a change back, an update.
    static func insert(_ job: NewJob, now: Double, db: Database) throws -> EnqueueResult {
        var job = job
        // Cached statements: intake runs these thousands of times a second.
        let existing = try db.cachedStatement(sql: "SELECT id, kind, state FROM jobs WHERE dedupe_key = :key")
        if let row = try Row.fetchOne(existing, arguments: ["key": job.dedupeKey]) {
            guard job.isVersion, let latest = try latestVersion(of: job, db: db) else { return duplicate(row) }
            // The same content as the latest version (found by its key's prefix: a change back
            // carries one of its own): a resend.
            if (latest["dedupe_key"] as String).hasPrefix(job.dedupeKey) { return duplicate(latest) }
            // A change back: a key of its own, after the version it follows.
            job.dedupeKey += ":after:\(latest["id"] as Int64)"
        }
        var kind = job.mapped.kind
        if kind == .statusBack {
            // A hint for a lead that already has a re-read waiting adds nothing: that one reads
            // the lead as it will be then. A burst of moves costs one amoCRM request.
            let waiting = try db.cachedStatement(
                sql: """
                    SELECT id FROM jobs WHERE source = :source AND external_id = :id AND kind = 'status_back' AND state = 'queued'
                    ORDER BY id LIMIT 1
                    """)
            if let id = try Int64.fetchOne(waiting, arguments: ["source": job.mapped.source, "id": job.mapped.externalID]) {
                // It carries the newest hint (what `jobs show` and the event poll see).
                try db.execute(
                    sql: "UPDATE jobs SET input = :input, updated_at = :now WHERE id = :id",
                    arguments: ["input": job.inputText, "now": now, "id": id])
                return EnqueueResult(jobID: id, kind: .statusBack, duplicate: true, state: .queued)
            }
        }
        if kind == .order, job.skipReason == nil {
            let earlier = try db.cachedStatement(
                sql: """
                    SELECT 1 FROM jobs WHERE source = :source AND external_id = :id AND kind = 'order' AND state <> 'skipped' LIMIT 1
                    """)
            if try Bool.fetchOne(earlier, arguments: ["source": job.mapped.source, "id": job.mapped.externalID]) == true {
                kind = .orderUpdate
            }
        }
        let state: JobState = job.skipReason == nil ? .queued : .skipped
        let record = JobRecord(job, kind: kind, state: state, now: now)
        try record.insert(db)
        return EnqueueResult(jobID: db.lastInsertedRowID, kind: kind, duplicate: false, state: state)
    }

    /// The newest stored version of the order (or site user) `job` is a version of.
    static func latestVersion(of job: NewJob, db: Database) throws -> Row? {
        let latest = try db.cachedStatement(
            sql: """
                SELECT id, kind, state, dedupe_key FROM jobs WHERE source = :source AND external_id = :id
                  AND kind IN ('order', 'order_update', 'contact') AND state <> 'skipped'
                ORDER BY id DESC LIMIT 1
                """)
        return try Row.fetchOne(latest, arguments: ["source": job.mapped.source, "id": job.mapped.externalID])
    }

    static func duplicate(_ row: Row) -> EnqueueResult {
        EnqueueResult(
            jobID: row["id"], kind: JobKind(rawValue: row["kind"]) ?? .order, duplicate: true,
            state: JobState(rawValue: row["state"]) ?? .queued)
    }

    package func nextRunAt(lane: JobLane = .amocrm) async throws -> Date? {
        try await database.read { db in
            try Double.fetchOne(
                db,
                sql: """
                    SELECT MIN(t) FROM (
                      SELECT MIN(run_at) AS t FROM jobs WHERE state = 'queued' AND (kind IN \(Self.shopKinds)) = :shop
                      UNION ALL SELECT MIN(lease_until) FROM jobs WHERE state = 'running' AND (kind IN \(Self.shopKinds)) = :shop)
                    """, arguments: ["shop": lane == .shop]
            ).map(Date.init(timeIntervalSince1970:))
        }
    }

    package func leadID(source: String, externalID: String) async throws -> Int? {
        try await database.read { db in try Self.leadID(source: source, externalID: externalID, db: db) }
    }

    static func leadID(source: String, externalID: String, db: Database) throws -> Int? {
        try JobRecord.filter(JobRecord.CodingKeys.source == source && JobRecord.CodingKeys.externalID == externalID)
            .filter(JobRecord.CodingKeys.state == JobState.done.rawValue && JobRecord.CodingKeys.leadID != nil)
            .order(JobRecord.CodingKeys.id).select(JobRecord.CodingKeys.leadID, as: Int.self).fetchOne(db)
    }

    package func orders(holding leadIDs: [Int]) async throws -> [Int: OrderOwner] {
        guard !leadIDs.isEmpty else { return [:] }
        return try await database.read { db in
            var owners: [Int: OrderOwner] = [:]
            // Only the columns it needs (not every version's input), through `jobs_lead`.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT lead_id, source, external_id, CAST(json_extract(input, '$.shopify_id') AS TEXT) AS platform_id FROM jobs
                    WHERE lead_id IN (\(databaseQuestionMarks(count: leadIDs.count))) ORDER BY id
                    """, arguments: StatementArguments(leadIDs))
            for row in rows {
                let lead: Int = row["lead_id"]
                if owners[lead] == nil { owners[lead] = OrderOwner(source: row["source"], externalID: row["external_id"]) }
                if let id: String = row["platform_id"] { owners[lead]?.platformID = id }
            }
            return owners
        }
    }

    /// Deletes done, cancelled and skipped jobs finished more than `days` ago; returns how many.
    /// At most `purgeChunk` jobs (and their attempts) go per transaction, found through the
    /// `created_at` index (a job finished before the cutoff was created before it): intake
    /// never waits behind a purge of a million jobs.
    @discardableResult
    package func purge(olderThanDays days: Double) async throws -> Int {
        let cutoff = now().timeIntervalSince1970 - days * 86_400
        return try await QueueRules.purgeInChunks {
            try await database.write { db in
                try db.execute(
                    sql: """
                        DELETE FROM jobs WHERE id IN (
                          SELECT id FROM jobs WHERE created_at < :cutoff AND state IN ('done', 'cancelled', 'skipped')
                            AND COALESCE(finished_at, updated_at) < :cutoff LIMIT :chunk)
                        """, arguments: ["cutoff": cutoff, "chunk": QueueRules.purgeChunk])
                return db.changesCount
            }
        }
    }
}
