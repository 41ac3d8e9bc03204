import AmoAPI
import Foundation
import AmoSyncCore

/// One job inside a batch while it is delivered; lives only inside one batch's task.
final class DeliveryItem {
    var job: Job
    var resolution: JobResolution?
    var attempt: Attempt?
    /// Put back without an attempt (its customer is being created by another batch).
    var deferred = false
    var dirty = false
    /// A new contact to create together with the lead (`leads/complex`).
    var newContact: Contact?

    /// The batch's leases: a job another lane took over is no longer this batch's to deliver.
    let leases: LeaseKeeper?

    init(job: Job, leases: LeaseKeeper? = nil) {
        self.job = job
        self.leases = leases
    }

    var leaseLost: Bool { leases?.isLost(job.id) ?? false }
    var active: Bool { resolution == nil && !deferred && !leaseLost }
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

    func finish(_ resolution: JobResolution, _ attempt: Attempt) {
        guard self.resolution == nil else { return }
        self.resolution = resolution
        self.attempt = attempt
    }
}
