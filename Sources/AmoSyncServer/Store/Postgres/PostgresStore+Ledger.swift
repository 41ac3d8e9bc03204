import AmoSyncCore
import Foundation

/// The way back to the shop and reconciliation on PostgreSQL: the rules of `SQLiteStore+Ledger`
/// and `+Reconcile`.
extension PostgresStore: LedgerStore, ReconcileStore {
    package func statusWrite(source: String, externalID: String) async throws -> StatusWrite? {
        try await read { try Self.statusWrite(source: source, externalID: externalID, session: $0) }
    }

    static func statusWrite(source: String, externalID: String, session: PGSession) throws -> StatusWrite? {
        try session.query("SELECT * FROM status_writes WHERE source = $1 AND external_id = $2", [source, externalID]).first.map { row in
            StatusWrite(
                source: row["source"] ?? "", externalID: row["external_id"] ?? "", status: row["status"] ?? "",
                stageID: row.int("stage_id") ?? 0, leadID: row.int("lead_id") ?? 0, at: Date(timeIntervalSince1970: row.double("at") ?? 0))
        }
    }

    /// The order's newest version before job `before` (nil: of all).
    static func version(source: String, externalID: String, before: Int64?, session: PGSession) throws -> PGRow? {
        try session.query(
            """
            SELECT input::jsonb ->> 'status' AS status, created_at, plan, state FROM jobs
            WHERE source = $1 AND external_id = $2 AND kind IN ('order', 'order_update') AND state <> 'skipped' AND id < $3
            ORDER BY id DESC LIMIT 1
            """, values: [source, externalID, before ?? Int64.max]
        ).first
    }

    package func knownStatus(source: String, externalID: String) async throws -> String? {
        try await read { session in
            let reported = try Self.version(source: source, externalID: externalID, before: nil, session: session)
            guard let written = try Self.statusWrite(source: source, externalID: externalID, session: session),
                written.at.timeIntervalSince1970 >= reported?.double("created_at") ?? 0
            else { return reported?["status"] }
            return written.status
        }
    }

    package func updateContext(_ jobs: [Job]) async throws -> [Int64: UpdateContext] {
        try await read { session in
            var context: [Int64: UpdateContext] = [:]
            for job in jobs {
                let previous = try Self.version(source: job.source, externalID: job.externalID, before: job.id, session: session)
                let delivered = previous.flatMap { $0["state"] == JobState.done.rawValue ? $0["plan"] : nil }
                let plan = try delivered.map { try DeliveryPlan(json: JSONValue.parse(Data($0.utf8))) }
                context[job.id] = UpdateContext(
                    leadID: try Self.leadID(source: job.source, externalID: job.externalID, session: session),
                    previousStatus: previous?["status"], previousLead: plan?.lead,
                    written: try Self.statusWrite(source: job.source, externalID: job.externalID, session: session),
                    previousProducts: plan?.sales?.products)
            }
            return context
        }
    }

    package func recordStatusWrite(_ write: StatusWrite) async throws {
        try await self.write { session in
            try session.query(
                """
                INSERT INTO status_writes (source, external_id, status, stage_id, lead_id, at) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (source, external_id) DO UPDATE SET status = $3, stage_id = $4, lead_id = $5, at = $6
                """, values: [write.source, write.externalID, write.status, write.stageID, write.leadID, write.at.timeIntervalSince1970])
        }
    }

    package func forgetStatusWrite(source: String, externalID: String) async throws {
        try await write { try $0.query("DELETE FROM status_writes WHERE source = $1 AND external_id = $2", [source, externalID]) }
    }

    package func hasStatusBack(lead: Int, status: Int, since: Date) async throws -> Bool {
        try await read { session in
            try !session.query(
                """
                SELECT 1 FROM jobs WHERE source = $1 AND external_id = $2 AND kind = 'status_back' AND updated_at >= $3
                  AND input::jsonb ->> 'status_id' = $4 LIMIT 1
                """,
                values: [StatusBackJob.source, StatusBackJob.externalID(lead: lead), since.timeIntervalSince1970, "\(status)"]
            ).isEmpty
        }
    }

    package func knownOrders(source: String, externalIDs: [String]) async throws -> [String: String?] {
        guard !externalIDs.isEmpty else { return [:] }
        return try await read { session in
            var known: [String: String?] = [:]
            let rows = try session.query(
                """
                SELECT external_id, input::jsonb ->> 'status' AS status FROM jobs j
                WHERE source = $1 AND external_id = ANY($2::text[]) AND kind IN ('order', 'order_update') AND state <> 'skipped'
                  AND id = (SELECT MAX(id) FROM jobs k WHERE k.source = j.source AND k.external_id = j.external_id
                            AND k.kind IN ('order', 'order_update') AND k.state <> 'skipped')
                """, values: [source, PostgresArray.text(externalIDs)])
            for row in rows { known[row["external_id"] ?? ""] = .some(row["status"]) }
            return known
        }
    }

    package func hasPendingJob(kind: JobKind, source: String) async throws -> Bool {
        try await read { session in
            try !session.query(
                "SELECT 1 FROM jobs WHERE kind = $1 AND source = $2 AND state IN ('queued', 'running') LIMIT 1", [kind.rawValue, source]
            ).isEmpty
        }
    }
}
