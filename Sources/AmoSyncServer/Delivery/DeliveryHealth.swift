import Foundation
import AmoSyncCore

/// What the rest of the daemon learns from deliveries: credentials, throttling, last success.
/// Credential problems are also written to the database, so `stats` and `auth status`
/// (other processes) can report them.
package actor DeliveryHealth {
    package private(set) var credentialsProblem: String?
    package private(set) var lastThrottleAt: Date?
    package private(set) var throttlePauses = 0
    let store: JobStore?

    package init(store: JobStore? = nil) { self.store = store }

    package func credentialsFailed(_ reason: String) async {
        guard credentialsProblem != reason else { return }
        credentialsProblem = reason
        try? await store?.setMeta("auth_problem", reason)
    }

    package func credentialsWork() async {
        guard credentialsProblem != nil else { return }
        credentialsProblem = nil
        try? await store?.setMeta("auth_problem", nil)
    }
    package func throttled() async {
        lastThrottleAt = Date()
        throttlePauses += 1
        try? await store?.setMeta("throttle_pauses", "\(throttlePauses)")
        try? await store?.setMeta("last_throttle_at", "\(Date().timeIntervalSince1970)")
    }
}
