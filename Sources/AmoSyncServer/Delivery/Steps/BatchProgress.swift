import AmoSyncCore
import Foundation

/// What a step may do to the batch around it besides its own request: save the progress
/// of changed jobs, and retry (or give up on) a job amoCRM did not answer for.
protocol BatchProgress: Sendable {
    /// Saves the progress of changed jobs in one transaction.
    func checkpoint(_ items: [DeliveryItem]) async throws
    /// Another attempt later, or `failed` once `max_attempts` are spent.
    func retryOrFail(_ item: DeliveryItem, _ attempt: Attempt)
}

/// Progress kept in the job rows, retries by the configured policy.
struct StoredProgress: BatchProgress {
    let store: any QueueStore
    let policy: RetryPolicy
    let now: @Sendable () -> Date

    init(store: any QueueStore, policy: RetryPolicy, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.policy = policy
        self.now = now
    }

    func checkpoint(_ items: [DeliveryItem]) async throws {
        let changed = items.filter { $0.dirty && !$0.leaseLost }
        let lost = try await store.saveProgress(changed.map(\.job))
        items.first?.leases?.markLost(lost)
        for item in changed { item.dirty = false }
    }

    func retryOrFail(_ item: DeliveryItem, _ attempt: Attempt) {
        if policy.exhausted(item.job.attempts) {
            var final = attempt
            final.outcome = .failed
            final.error = "\(attempt.error ?? "failed") (attempt \(item.job.attempts) of \(policy.maxAttempts), giving up)"
            item.finish(.failed, final)
        } else {
            let delay = policy.delay(afterAttempt: item.job.attempts)
            item.finish(.retry(at: now().addingTimeInterval(delay), refundAttempt: false), attempt)
        }
    }
}

extension DeliveryItem {
    /// Gives up on this job with the attempt's error.
    func fail(_ attempt: Attempt) {
        var final = attempt
        final.outcome = .failed
        finish(.failed, final)
    }

    /// Jobs sharing any phone or email belong to one customer.
    static func customers(_ items: [DeliveryItem]) -> [[DeliveryItem]] {
        var groups: [(keys: Set<String>, items: [DeliveryItem])] = []
        for item in items {
            var keys = Set(item.contactKeys)
            var members = [item]
            groups.removeAll { group in
                guard !group.keys.isDisjoint(with: keys) else { return false }
                keys.formUnion(group.keys)
                members = group.items + members
                return true
            }
            groups.append((keys, members))
        }
        return groups.map { $0.items.sorted { $0.job.id < $1.job.id } }
    }
}
