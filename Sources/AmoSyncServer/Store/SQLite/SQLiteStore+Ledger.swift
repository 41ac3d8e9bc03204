import Foundation
import GRDB

/// The way back to the shop: the ledger of amosync's own writes, and what the shop last said.
extension SQLiteStore {
    package func statusWrite(source: String, externalID: String) async throws -> StatusWrite? {
        try await database.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM status_writes WHERE source = :source AND external_id = :id",
                arguments: ["source": source, "id": externalID]
            ).map { row in
                StatusWrite(
                    source: row["source"], externalID: row["external_id"], status: row["status"], stageID: row["stage_id"],
                    leadID: row["lead_id"], at: Date(timeIntervalSince1970: row["at"]))
            }
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

    package func reportedStatus(source: String, externalID: String) async throws -> String? {
        try await database.read { db in
            try String.fetchOne(
                db,
                sql: """
                    SELECT json_extract(input, '$.status') FROM jobs
                    WHERE source = :source AND external_id = :id AND kind IN ('order', 'order_update') AND state <> 'skipped'
                    ORDER BY id DESC LIMIT 1
                    """, arguments: ["source": source, "id": externalID])
        }
    }

    package func hasStatusBack(lead: Int, status: Int, since: Date) async throws -> Bool {
        try await database.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT 1 FROM jobs WHERE source = 'amocrm' AND external_id = :id AND kind = 'status_back' AND updated_at >= :since
                      AND json_extract(input, '$.status_id') = :status
                    LIMIT 1
                    """, arguments: ["id": "lead:\(lead)", "since": since.timeIntervalSince1970, "status": status]) ?? false
        }
    }
}
