import Foundation
import AmoSyncCore

/// What the rest of the daemon learns from deliveries and background work: credentials, the
/// account's availability, throttling, failing background services. Problems that pause
/// delivery are also written to the database, so `stats` and `auth status` (other processes)
/// can report them.
actor DeliveryHealth {
    private(set) var credentialsProblem: String?
    /// 402 (not paid) or a JSON 403 (blocked): delivery pauses until a request works again.
    private(set) var accountProblem: String?
    /// Background services that failed and are being started again, with the last error.
    private(set) var backgroundProblems: [String: String] = [:]
    private(set) var lastThrottleAt: Date?
    private(set) var throttlePauses = 0
    let store: (any MetaStore)?
    let clock: any TimeSource

    init(store: (any MetaStore)? = nil, clock: any TimeSource = SystemTime()) {
        self.store = store
        self.clock = clock
    }

    /// Why delivery is paused now (nil: it is not).
    var pauseReason: String? { credentialsProblem ?? accountProblem }

    func credentialsFailed(_ reason: String) async {
        guard credentialsProblem != reason else { return }
        credentialsProblem = reason
        try? await store?.setMeta("auth_problem", reason)
    }

    func credentialsWork() async {
        await accountWorks()
        guard credentialsProblem != nil else { return }
        credentialsProblem = nil
        try? await store?.setMeta("auth_problem", nil)
    }

    func accountUnavailable(_ reason: String) async {
        guard accountProblem != reason else { return }
        accountProblem = reason
        try? await store?.setMeta("account_problem", reason)
    }

    func accountWorks() async {
        guard accountProblem != nil else { return }
        accountProblem = nil
        try? await store?.setMeta("account_problem", nil)
    }

    func backgroundFailed(_ service: String, _ error: String) async {
        guard backgroundProblems[service] != error else { return }
        backgroundProblems[service] = error
        try? await store?.setMeta("background_problems", backgroundSummary)
    }

    func backgroundWorks(_ service: String) async {
        guard backgroundProblems.removeValue(forKey: service) != nil else { return }
        try? await store?.setMeta("background_problems", backgroundProblems.isEmpty ? nil : backgroundSummary)
    }

    /// `contact index: HTTP 404 …; delivery worker: …`, for `stats`.
    private var backgroundSummary: String {
        backgroundProblems.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
    }

    func throttled() async {
        let now = clock.date
        lastThrottleAt = now
        throttlePauses += 1
        try? await store?.setMeta("throttle_pauses", "\(throttlePauses)")
        try? await store?.setMeta("last_throttle_at", "\(now.timeIntervalSince1970)")
    }
}
