import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// One request budget per account across processes: the daemon and admin commands that call
/// amoCRM (`check`, `auth exchange`) record their requests in the shared SQLite file and count
/// each other's, so that together they stay within `requests_per_second`.
public final class SharedBudget: Sendable {
    let database: DatabasePool
    let pid = Int(ProcessInfo.processInfo.processIdentifier)

    public init(store: JobStore) { database = store.database }

    /// Requests of other live processes sent, in flight, or answered within `window` seconds.
    func others(window: Double) -> Int {
        let since = Date().timeIntervalSince1970 - window
        let pids = (try? database.read { db in
            try Int.fetchAll(db, sql: "SELECT pid FROM api_requests WHERE pid <> ? AND at > ?", arguments: [pid, since])
        }) ?? []
        // A process that died mid-request holds nothing.
        return pids.filter { kill(pid_t($0), 0) == 0 || errno == EPERM }.count
    }

    /// Records a request about to be sent. Other processes count it as in flight until `release`
    /// sets the time by which it has arrived (`RateLimiter.release`).
    func record() -> Int64? {
        try? database.write { db in
            try db.execute(sql: "DELETE FROM api_requests WHERE at < ?", arguments: [Date().timeIntervalSince1970 - 60])
            // In flight: a time past any request timeout, corrected on release.
            try db.execute(sql: "INSERT INTO api_requests (pid, at) VALUES (?, ?)", arguments: [pid, Date().timeIntervalSince1970 + 300])
            return db.lastInsertedRowID
        }
    }

    func release(_ id: Int64, arrivedBy: Double) {
        try? database.write { db in
            try db.execute(sql: "UPDATE api_requests SET at = ? WHERE id = ?", arguments: [arrivedBy, id])
        }
    }
}
