import Foundation
import Logging
import Synchronization
import AmoSyncCore

/// Keeps a batch's leases while the batch works on it — also while it waits in the limiter
/// or a pause — by renewing them every third of `lease_seconds`. A job whose lease this
/// batch no longer holds (the process stalled past its lease and another lane claimed it) is
/// marked lost: the batch sends nothing more for it and writes nothing for it.
final class LeaseKeeper: Sendable {
    let store: any QueueStore
    let jobs: [Job]
    let lease: TimeInterval
    let logger: Logger
    /// When to renew (the store's own clock says until when).
    let clock: any TimeSource
    /// On PostgreSQL: a node that no longer holds the delivery lease sends nothing more for any job.
    let leadership: Leadership?
    private let lost = Mutex<Set<Int64>>([])

    init(
        store: any QueueStore, jobs: [Job], lease: TimeInterval, logger: Logger, clock: any TimeSource = SystemTime(),
        leadership: Leadership? = nil
    ) {
        self.leadership = leadership
        self.clock = clock
        self.store = store
        self.jobs = jobs
        self.lease = lease
        self.logger = logger
    }

    /// Once this node stops holding the delivery lease, every job of the batch is lost for good
    /// (a step skipped meanwhile is never followed by the next one when the lease comes back).
    func isLost(_ id: Int64) -> Bool {
        if let leadership, !leadership.isLeader {
            let ids = jobs.map(\.id)
            lost.withLock { $0.formUnion(ids) }
            return true
        }
        return lost.withLock { $0.contains(id) }
    }

    func markLost(_ ids: Set<Int64>) {
        guard !ids.isEmpty else { return }
        let new = lost.withLock { lost in
            let new = ids.subtracting(lost)
            lost.formUnion(new)
            return new
        }
        if !new.isEmpty {
            logger.warning(
                "lease lost: another lane took these jobs over; this batch stops working on them",
                metadata: ["job.ids": "\(new.sorted())"])
        }
    }

    /// Renews until cancelled (the batch is over).
    func keep() async {
        let interval = Duration.milliseconds(Int64(max(0.2, lease / 3) * 1000))
        while true {
            do { try await clock.sleep(until: clock.now + interval) } catch { return }
            let held = jobs.filter { !isLost($0.id) }
            do { markLost(try await store.renew(held, leaseFor: lease)) } catch {
                logger.warning("could not renew leases; trying again", metadata: ["error": "\(error)"])
            }
        }
    }
}
