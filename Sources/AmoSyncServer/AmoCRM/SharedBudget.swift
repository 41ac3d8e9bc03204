import AmoSyncCore
import Foundation

/// One request budget per account across processes: the daemon and admin commands that call
/// amoCRM (`check`, `auth exchange`) record their requests in the queue's database and count
/// each other's, so that together they stay within `requests_per_second` — on PostgreSQL, the
/// processes of every node.
package final class SharedBudget: Sendable {
    let store: any BudgetStore
    let pid: Int
    let clock: any TimeSource

    package init(store: any BudgetStore, clock: any TimeSource = SystemTime()) {
        self.store = store
        self.clock = clock
        pid = store.processID
    }

    /// A request in flight is stored this far in the future (past any timeout) until answered.
    static let inFlightHorizon: Double = 300

    /// Requests of other processes that amoCRM may still count: sent and in flight, or answered
    /// within `window` seconds. A process that died mid-request (a crash, `kill -9`) holds its
    /// requests until they must have arrived (`allowance` after they were sent, as the limiter
    /// assumes of its own) and one window more, so that a restarted daemon does not hit the limit
    /// with its first requests; a live one holds them until it answers.
    func others(window: Double, allowance: Double) async -> Int {
        let now = clock.date.timeIntervalSince1970
        let rows = (try? await store.requests(notOf: pid, since: now - window)) ?? []
        let inFlight = Set(rows.filter { $0.at > now }.map(\.pid))
        let alive = inFlight.isEmpty ? [] : await store.liveProcesses(among: inFlight)
        return rows.filter { (process, at) in
            if at <= now { return true }  // answered: amoCRM has counted it within the window
            return alive.contains(process) || at - Self.inFlightHorizon + allowance > now - window
        }.count
    }

    /// Records a request about to be sent. Other processes count it as in flight until `release`
    /// sets the time by which it has arrived (`RateLimiter.release`).
    func record() async -> Int64? {
        // In flight: a time past any request timeout, corrected on release.
        try? await store.recordRequest(pid: pid, at: clock.date.timeIntervalSince1970 + Self.inFlightHorizon)
    }

    func release(_ id: Int64, arrivedBy: Double) async {
        try? await store.setRequestTime(id, to: arrivedBy)
    }
}
