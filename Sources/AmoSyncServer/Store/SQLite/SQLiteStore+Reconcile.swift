import Foundation
import GRDB
import AmoSyncCore

extension SQLiteStore {
    package func knownOrders(source: String, externalIDs: [String]) async throws -> [String: String?] {
        guard !externalIDs.isEmpty else { return [:] }
        return try await database.read { db in
            var known: [String: String?] = [:]
            // The newest version of each (through `jobs_order`): one statement for a page of 100.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT external_id, json_extract(input, '$.status') AS status FROM jobs j
                    WHERE source = ? AND external_id IN (\(databaseQuestionMarks(count: externalIDs.count)))
                      AND kind IN ('order', 'order_update') AND state <> 'skipped'
                      AND id = (SELECT MAX(id) FROM jobs k WHERE k.source = j.source AND k.external_id = j.external_id
                                AND k.kind IN ('order', 'order_update') AND k.state <> 'skipped')
                    """, arguments: StatementArguments([source] + externalIDs))
            for row in rows { known[row["external_id"]] = .some(row["status"]) }
            return known
        }
    }

    package func hasPendingJob(kind: JobKind, source: String) async throws -> Bool {
        try await database.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT 1 FROM jobs WHERE kind = ? AND source = ? AND state IN ('queued', 'running') LIMIT 1",
                arguments: [kind.rawValue, source]) ?? false
        }
    }
}
