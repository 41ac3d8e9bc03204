import Foundation
import GRDB

/// The shared request budget (`api_requests`): every process's requests to the account.
extension JobStore {
    /// Other processes' requests stored after `since` (in flight ones are stored in the future).
    func requests(notOf pid: Int, since: Double) async throws -> [(pid: Int, at: Double)] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT pid, at FROM api_requests WHERE pid <> ? AND at > ?", arguments: [pid, since])
                .map { (pid: $0["pid"], at: $0["at"]) }
        }
    }

    /// Records a request of `pid`, forgetting rows older than a minute; returns its row.
    func recordRequest(pid: Int, at: Double) async throws -> Int64 {
        try await settle { db in
            try db.execute(sql: "DELETE FROM api_requests WHERE at < ?", arguments: [Date().timeIntervalSince1970 - 60])
            try db.execute(sql: "INSERT INTO api_requests (pid, at) VALUES (?, ?)", arguments: [pid, at])
            return db.lastInsertedRowID
        }
    }

    func setRequestTime(_ id: Int64, to at: Double) async throws {
        try await settle { db in try db.execute(sql: "UPDATE api_requests SET at = ? WHERE id = ?", arguments: [at, id]) }
    }
}
