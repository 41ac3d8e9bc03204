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

    /// Still to find or create its customer's contact (order updates reuse the first job's).
    var needsContact: Bool { active && job.kind != .orderUpdate && plan.contact != nil && job.progress.contactID == nil }

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
