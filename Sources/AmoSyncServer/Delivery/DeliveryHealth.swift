import Foundation
import AmoSyncCore

/// What the rest of the daemon learns from deliveries: credentials, throttling, last success.
/// Credential problems are also written to the database, so `stats` and `auth status`
/// (other processes) can report them.
actor DeliveryHealth {
    private(set) var credentialsProblem: String?
    private(set) var lastThrottleAt: Date?
    private(set) var throttlePauses = 0
    let store: JobStore?

    init(store: JobStore? = nil) { self.store = store }

    func credentialsFailed(_ reason: String) async {
        guard credentialsProblem != reason else { return }
        credentialsProblem = reason
        try? await store?.setMeta("auth_problem", reason)
    }

    func credentialsWork() async {
        guard credentialsProblem != nil else { return }
        credentialsProblem = nil
        try? await store?.setMeta("auth_problem", nil)
    }
    func throttled() async {
        lastThrottleAt = Date()
        throttlePauses += 1
        try? await store?.setMeta("throttle_pauses", "\(throttlePauses)")
        try? await store?.setMeta("last_throttle_at", "\(Date().timeIntervalSince1970)")
    }
}
