import Foundation
import Logging
import AmoSyncCore

/// Delivers a claimed batch step by step — fields, contacts, lead updates, leads, notes —
/// sending each step for the whole batch in one request, and checkpointing every finished
/// step in the job rows so that a crash never repeats a step that took effect.
struct BatchDelivery: Sendable {
    let client: AmoClient
    let catalog: FieldCatalog
    let store: JobStore
    private(set) var config: Config
    let locks: ContactLocks
    let index: ContactIndex?
    let health: DeliveryHealth
    let metrics: DaemonMetrics?
    let logger: Logger
    private(set) var policy: RetryPolicy
    static let keyField = FieldRef.name("amosync_key", type: "text")

    init(
        client: AmoClient, catalog: FieldCatalog, store: JobStore, config: Config, locks: ContactLocks,
        index: ContactIndex?, health: DeliveryHealth, metrics: DaemonMetrics? = nil, logger: Logger
    ) {
        self.metrics = metrics
        self.index = index
        self.client = client
        self.catalog = catalog
        self.store = store
        self.config = config
        self.locks = locks
        self.health = health
        self.logger = logger
        self.policy = RetryPolicy(config.worker)
    }

    /// The same delivery with another version of the config (after a reload).
    func using(_ config: Config) -> BatchDelivery {
        var copy = self
        copy.config = config
        copy.policy = RetryPolicy(config.worker)
        return copy
    }

    var matcher: ContactMatcher {
        ContactMatcher(client: client, countryCode: config.contacts.defaultCountryCode, matchBy: config.contacts.matchBy, index: index)
    }

    /// Counts of what happened to a batch.
    struct Summary: Sendable, Equatable {
        var done = 0, retried = 0, failed = 0, deferred = 0
    }

    /// Delivers the jobs and records the outcome of each.
    @discardableResult
    func deliver(_ jobs: [Job]) async -> Summary {
        let leases = LeaseKeeper(store: store, jobs: jobs, lease: config.worker.leaseSeconds, logger: logger)
        let items = jobs.map { DeliveryItem(job: $0, leases: leases) }
        return await withTaskGroup { group in
            group.addTask { await leases.keep() }
            await run(items)
            group.cancelAll()
            return await record(items)
        }
    }

    /// The steps, each for the whole batch; on a failure the outcome of every job still in it.
    private func run(_ items: [DeliveryItem]) async {
        let started = Date()
        var locked: [String] = []
        do {
            locked = await lockCustomers(items)
            let fields = try await resolveFields(items)
            try await deliverContacts(items, fields)
            try await deliverLeadUpdates(items, fields)
            try await deliverLeads(items, fields)
            try await deliverNotes(items)
            let attempt = Attempt(at: started, durationMs: Self.milliseconds(since: started), outcome: .done)
            for item in items where item.active { item.finish(.done, attempt) }
            await health.credentialsWork()
        } catch let error as AmoError {
            await handle(error, items, started: started)
        } catch is CancellationError {
            logger.info(
                "shutdown: requests cut off, jobs released without spending an attempt",
                metadata: ["jobs": "\(items.filter(\.active).count)"])
            for item in items where item.active {
                item.finish(
                    .retry(at: Date(), refundAttempt: true),
                    Attempt(at: started, durationMs: Self.milliseconds(since: started), outcome: .interrupted, error: "stopped by shutdown")
                )
            }
        } catch {
            await handle(
                AmoError(kind: .transient, request: "delivery", status: nil, title: nil, detail: "\(error)"), items, started: started)
        }
        await locks.unlock(locked)
    }

    static func milliseconds(since date: Date) -> Int { Int(Date().timeIntervalSince(date) * 1000) }

    /// Applies a request failure that stopped the batch to every job still in it.
    private func handle(_ error: AmoError, _ items: [DeliveryItem], started: Date) async {
        let base = Attempt(
            at: started, durationMs: Self.milliseconds(since: started), outcome: .retry, httpStatus: error.status,
            request: error.request, error: error.description,
            validationErrors: error.validationErrors.map { ValidationIssue(path: $0.path, code: $0.code, detail: $0.detail) })
        var metadata: Logger.Metadata = [
            "amo.request": "\(error.request)", "amo.kind": "\(error.kind)", "jobs": "\(items.filter(\.active).count)",
        ]
        if let status = error.status { metadata["amo.status"] = "\(status)" }
        if let id = error.amoRequestID { metadata["amo.request_id"] = "\(id)" }
        switch error.kind {
        case .throttled:
            let pause = await client.limiter.throttled()
            let allowance = await client.limiter.arrivalAllowance
            await health.throttled()
            logger.warning(
                "amoCRM throttled us: all delivery paused; the arrival allowance is now \(allowance.milliseconds) ms",
                metadata: metadata.merging(["pause_s": "\(pause.seconds)"]) { $1 })
            var attempt = base
            attempt.outcome = .throttled
            for item in items where item.active {
                item.finish(.retry(at: Date().addingTimeInterval(pause.seconds), refundAttempt: true), attempt)
            }
        case .unauthorized:
            await health.credentialsFailed(error.detail)
            logger.error("amoCRM credentials do not work: delivery paused", metadata: metadata)
            var attempt = base
            attempt.outcome = .paused
            // The worker pauses while credentials are dead; the jobs are ready as soon as they work.
            for item in items where item.active { item.finish(.retry(at: Date().addingTimeInterval(1), refundAttempt: true), attempt) }
        case .transient, .unknownOutcome:
            let pause = await client.limiter.backOff()
            logger.warning(
                "amoCRM request failed, will retry; delivery paused", metadata: metadata.merging(["pause_s": "\(pause.seconds)"]) { $1 })
            for item in items where item.active { retryOrFail(item, base) }
        case .rejected:
            logger.warning("amoCRM rejected a request", metadata: metadata)
            for item in items where item.active { fail(item, base) }
        }
    }

    func retryOrFail(_ item: DeliveryItem, _ attempt: Attempt) {
        if policy.exhausted(item.job.attempts) {
            var final = attempt
            final.outcome = .failed
            final.error = "\(attempt.error ?? "failed") (attempt \(item.job.attempts) of \(policy.maxAttempts), giving up)"
            item.finish(.failed, final)
        } else {
            item.finish(.retry(at: Date().addingTimeInterval(policy.delay(afterAttempt: item.job.attempts)), refundAttempt: false), attempt)
        }
    }

    func fail(_ item: DeliveryItem, _ attempt: Attempt) {
        var final = attempt
        final.outcome = .failed
        item.finish(.failed, final)
    }

    /// Saves outcomes; deferred jobs go back without an attempt. Jobs whose lease was lost
    /// are left to the lane that holds them now.
    private func record(_ items: [DeliveryItem]) async -> Summary {
        var outcomes = items.compactMap { item -> (job: Job, resolution: JobStore.Resolution, attempt: Attempt)? in
            guard !item.leaseLost, let resolution = item.resolution, let attempt = item.attempt else { return nil }
            return (item.job, resolution, attempt)
        }
        let deferred = items.filter { $0.deferred && $0.resolution == nil && !$0.leaseLost }
        do {
            let lost = try await store.finish(outcomes)
            try await store.release(deferred.map(\.job), runAt: Date().addingTimeInterval(0.5))
            items.first?.leases?.markLost(lost)
            outcomes.removeAll { lost.contains($0.job.id) }
        } catch {
            logger.error("could not record delivery outcomes; leases will expire and the jobs resume", metadata: ["error": "\(error)"])
        }
        var summary = Summary()
        summary.deferred = deferred.count
        for outcome in outcomes {
            switch outcome.resolution {
            case .done: summary.done += 1
            case .retry: summary.retried += 1
            case .failed: summary.failed += 1
            }
        }
        metrics?.delivery(outcome: "done", count: summary.done)
        metrics?.delivery(outcome: "retry", count: summary.retried)
        metrics?.delivery(outcome: "failed", count: summary.failed)
        for (job, resolution, attempt) in outcomes {
            var metadata: Logger.Metadata = ["job.id": "\(job.id)", "job.kind": "\(job.kind.rawValue)"]
            metadata[job.kind == .order || job.kind == .orderUpdate ? "order.id" : "job.external_id"] = "\(job.externalID)"
            if let lead = job.progress.leadID { metadata["amo.lead_id"] = "\(lead)" }
            switch resolution {
            case .done: logger.info("job delivered", metadata: metadata)
            case .failed:
                metadata["error"] = "\(attempt.error ?? "")"
                logger.error("job failed", metadata: metadata)
            case .retry: logger.debug("job will be retried", metadata: metadata)
            }
        }
        return summary
    }

    /// Saves the progress of changed jobs in one transaction.
    func checkpoint(_ items: [DeliveryItem]) async throws {
        let changed = items.filter { $0.dirty && !$0.leaseLost }
        let lost = try await store.saveProgress(changed.map(\.job))
        items.first?.leases?.markLost(lost)
        for item in changed { item.dirty = false }
    }

    /// Reserves the customers of this batch; jobs whose customer is in another batch wait.
    private func lockCustomers(_ items: [DeliveryItem]) async -> [String] {
        var locked: [String] = []
        for group in Self.groups(items.filter(\.needsContact)) {
            let keys = Array(Set(group.flatMap(\.contactKeys)))
            if await locks.tryLock(keys) { locked += keys } else { group.forEach { $0.deferred = true } }
        }
        return locked
    }

    /// Jobs sharing any phone or email belong to one customer.
    static func groups(_ items: [DeliveryItem]) -> [[DeliveryItem]] {
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
