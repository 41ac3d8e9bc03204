import Foundation
import GRDB
import AmoSyncCore

/// The way back to the shop: the ledger of amosync's own writes, and what the shop last said.
extension SQLiteStore {
    package func statusWrite(source: String, externalID: String) async throws -> StatusWrite? {
        try await database.read { db in try Self.statusWrite(source: source, externalID: externalID, db: db) }
    }

    static func statusWrite(source: String, externalID: String, db: Database) throws -> StatusWrite? {
        try Row.fetchOne(
            db, sql: "SELECT * FROM status_writes WHERE source = :source AND external_id = :id",
            arguments: ["source": source, "id": externalID]
        ).map { row in
            StatusWrite(
                source: row["source"], externalID: row["external_id"], status: row["status"], stageID: row["stage_id"],
                leadID: row["lead_id"], at: Date(timeIntervalSince1970: row["at"]))
        }
    }

    /// The order's newest version before job `before` (all versions: nil): its status, when it
    /// came, its plan and state.
    static func version(source: String, externalID: String, before: Int64?, db: Database) throws -> Row? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT json_extract(input, '$.status') AS status, created_at, plan, state FROM jobs
                WHERE source = :source AND external_id = :id AND kind IN ('order', 'order_update') AND state <> 'skipped'
                  AND id < :before
                ORDER BY id DESC LIMIT 1
                """, arguments: ["source": source, "id": externalID, "before": before ?? Int64.max])
    }

    package func knownStatus(source: String, externalID: String) async throws -> String? {
        try await database.read { db in
            let reported = try Self.version(source: source, externalID: externalID, before: nil, db: db)
            guard let written = try Self.statusWrite(source: source, externalID: externalID, db: db),
                written.at.timeIntervalSince1970 >= reported?["created_at"] ?? 0
            else { return reported?["status"] }
            return written.status
        }
    }

    package func updateContext(_ jobs: [Job]) async throws -> [Int64: UpdateContext] {
        try await database.read { db in
            var context: [Int64: UpdateContext] = [:]
            for job in jobs {
                let previous = try Self.version(source: job.source, externalID: job.externalID, before: job.id, db: db)
                let delivered = previous.flatMap { $0["state"] == JobState.done.rawValue ? $0["plan"] as String? : nil }
                let plan = try delivered.map { try DeliveryPlan(json: JSONValue.parse(Data($0.utf8))) }
                context[job.id] = UpdateContext(
                    leadID: try Self.leadID(source: job.source, externalID: job.externalID, db: db), previousStatus: previous?["status"],
                    previousLead: plan?.lead, written: try Self.statusWrite(source: job.source, externalID: job.externalID, db: db),
                    previousProducts: plan?.sales?.products)
            }
            return context
        }
    }

    package func recordStatusWrite(_ write: StatusWrite) async throws {
        try await settle { db in
            try db.execute(
                sql: """
                    INSERT INTO status_writes (source, external_id, status, stage_id, lead_id, at)
                    VALUES (:source, :id, :status, :stage, :lead, :at)
                    ON CONFLICT (source, external_id) DO UPDATE SET status = :status, stage_id = :stage, lead_id = :lead, at = :at
                    """,
                arguments: [
                    "source": write.source, "id": write.externalID, "status": write.status, "stage": write.stageID, "lead": write.leadID,
                    "at": write.at.timeIntervalSince1970,
                ])
        }
    }

    package func forgetStatusWrite(source: String, externalID: String) async throws {
        try await settle { db in
            try db.execute(
                sql: "DELETE FROM status_writes WHERE source = :source AND external_id = :id",
                arguments: ["source": source, "id": externalID])
        }
    }

    package func hasStatusBack(lead: Int, status: Int, since: Date) async throws -> Bool {
        try await database.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT 1 FROM jobs WHERE source = :source AND external_id = :id AND kind = 'status_back' AND updated_at >= :since
                      AND json_extract(input, '$.status_id') = :status
                    LIMIT 1
                    """,
                arguments: [
                    "source": StatusBackJob.source, "id": StatusBackJob.externalID(lead: lead), "since": since.timeIntervalSince1970,
                    "status": status,
                ]) ?? false
        }
    }
}
