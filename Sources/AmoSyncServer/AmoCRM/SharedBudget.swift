import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
import AmoSyncCore
#endif

/// One request budget per account across processes: the daemon and admin commands that call
/// amoCRM (`check`, `auth exchange`) record their requests in the shared SQLite file and count
/// each other's, so that together they stay within `requests_per_second`.
package final class SharedBudget: Sendable {
    let database: DatabasePool
    let pid = Int(ProcessInfo.processInfo.processIdentifier)

    package init(store: JobStore) { database = store.database }

    /// A request in flight is stored this far in the future (past any timeout) until answered.
    static let inFlightHorizon: Double = 300

    /// Requests of other processes that amoCRM may still count: sent and in flight, or answered
    /// within `window` seconds. A process that died mid-request (a crash, `kill -9`) stops
    /// holding its requests one window after it sent them, so that a restarted daemon does not
    /// hit the limit with its first requests; a live one holds them until it answers.
    func others(window: Double) async -> Int {
        let now = Date().timeIntervalSince1970
        let rows: [Row]
        do {
            rows = try await database.read { [pid] db in
                try Row.fetchAll(db, sql: "SELECT pid, at FROM api_requests WHERE pid <> ? AND at > ?", arguments: [pid, now - window])
            }
        } catch { rows = [] }
        return rows.filter { row in
            let at: Double = row["at"]
            if at <= now { return true }  // answered: amoCRM has counted it within the window
            let process: Int = row["pid"]
            let alive = kill(pid_t(process), 0) == 0 || errno == EPERM
            return alive || at - Self.inFlightHorizon > now - window
        }.count
    }

    /// Records a request about to be sent. Other processes count it as in flight until `release`
    /// sets the time by which it has arrived (`RateLimiter.release`).
    func record() async -> Int64? {
        try? await database.write { [pid] db in
            try db.execute(sql: "DELETE FROM api_requests WHERE at < ?", arguments: [Date().timeIntervalSince1970 - 60])
            // In flight: a time past any request timeout, corrected on release.
            try db.execute(sql: "INSERT INTO api_requests (pid, at) VALUES (?, ?)", arguments: [pid, Date().timeIntervalSince1970 + Self.inFlightHorizon])
            return db.lastInsertedRowID
        }
    }

    func release(_ id: Int64, arrivedBy: Double) async {
        try? await database.write { db in
            try db.execute(sql: "UPDATE api_requests SET at = ? WHERE id = ?", arguments: [arrivedBy, id])
        }
    }
}
