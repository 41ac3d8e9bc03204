import Foundation

/// One job inside a batch while it is delivered; lives only inside one batch's task.
final class DeliveryItem {
    var job: Job
    var resolution: JobStore.Resolution?
    var attempt: Attempt?
    /// Put back without an attempt (its customer is being created by another batch).
    var deferred = false
    var dirty = false
    /// A new contact to create together with the lead (`leads/complex`).
    var newContact: [String: JSONValue]?

    init(job: Job) { self.job = job }

    var active: Bool { resolution == nil && !deferred }
    var plan: DeliveryPlan { job.plan }

    var contactKeys: [String] { (plan.contact?.phones ?? []) + (plan.contact?.emails ?? []) }

    func warn(_ text: String) {
        if !job.warnings.contains(text) { job.warnings.append(text) }
    }

    func update(_ change: (inout JobProgress) -> Void) {
        change(&job.progress)
        dirty = true
    }

    func finish(_ resolution: JobStore.Resolution, _ attempt: Attempt) {
        guard self.resolution == nil else { return }
        self.resolution = resolution
        self.attempt = attempt
    }
}

/// What the rest of the daemon learns from deliveries: credentials, throttling, last success.
/// Credential problems are also written to the database, so `stats` and `auth status`
/// (other processes) can report them.
public actor DeliveryHealth {
    public private(set) var credentialsProblem: String?
    public private(set) var lastThrottleAt: Date?
    public private(set) var throttlePauses = 0
    let store: JobStore?

    public init(store: JobStore? = nil) { self.store = store }

    public func credentialsFailed(_ reason: String) {
        guard credentialsProblem != reason else { return }
        credentialsProblem = reason
        try? store?.setMeta("auth_problem", reason)
    }

    public func credentialsWork() {
        guard credentialsProblem != nil else { return }
        credentialsProblem = nil
        try? store?.setMeta("auth_problem", nil)
    }
    public func throttled() {
        lastThrottleAt = Date()
        throttlePauses += 1
        try? store?.setMeta("throttle_pauses", "\(throttlePauses)")
        try? store?.setMeta("last_throttle_at", "\(Date().timeIntervalSince1970)")
    }
}
