import Foundation
import GRDB
#if canImport(Glibc)
    import Glibc
#endif

/// The shared request budget (`api_requests`): every process's requests to the account.
extension SQLiteStore {
    package var processID: Int { Int(ProcessInfo.processInfo.processIdentifier) }

    /// Processes on this machine: the ones `kill(pid, 0)` finds.
    package func liveProcesses(among ids: Set<Int>) async -> Set<Int> {
        ids.filter { kill(pid_t($0), 0) == 0 || errno == EPERM }
    }

    /// Other processes' requests stored after `since` (in flight ones are stored in the future).
    package func requests(notOf pid: Int, since: Double) async throws -> [(pid: Int, at: Double)] {
        try await database.read { db in
            try RequestRecord.filter(RequestRecord.CodingKeys.pid != pid && RequestRecord.CodingKeys.at > since).fetchAll(db)
                .map { ($0.pid, $0.at) }
        }
    }

    /// Records a request of `pid`, forgetting rows older than a minute; returns its row.
    package func recordRequest(pid: Int, at: Double) async throws -> Int64 {
        let horizon = now().timeIntervalSince1970 - 60
        return try await settle { db in
            try RequestRecord.filter(RequestRecord.CodingKeys.at < horizon).deleteAll(db)
            // The row's id (a `PersistableRecord` copy does not carry it: before, every request was
            // recorded with id 0, so `setRequestTime` never moved an in-flight request to its time).
            try RequestRecord(pid: pid, at: at).insert(db)
            return db.lastInsertedRowID
        }
    }

    package func setRequestTime(_ id: Int64, to at: Double) async throws {
        try await settle { db in
            try db.execute(sql: "UPDATE api_requests SET at = :at WHERE id = :id", arguments: ["at": at, "id": id])
        }
    }
}
