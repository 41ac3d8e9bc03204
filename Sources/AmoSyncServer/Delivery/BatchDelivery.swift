import Foundation
import Logging
import AmoSyncCore

/// What delivery counts: outcomes per batch (the daemon's Prometheus metrics).
protocol DeliveryMetrics: Sendable {
    func delivery(outcome: String, count: Int)
}

/// Delivers a claimed batch through its steps — `FieldStep`, `ContactStep`, `LeadUpdateStep`,
/// `RotationStep`, `LeadStep`, `IncomingStep`, `ProductStep`, `NoteStep`, `TaskStep` (in
/// `Steps/`) — each sending one request for the whole batch (or none) and
/// checkpointing in the job rows, so that a crash never repeats a step that took effect.
/// This type owns what is around the steps: customer locks, leases, failures that stop the
/// batch, and recording each job's outcome.
struct BatchDelivery: Sendable {
    let client: AmoClient
    let catalog: FieldCatalog
    let store: any QueueStore & LedgerStore & SalesStore
    private(set) var config: Config
    let locks: ContactLocks
    let index: ContactIndex?
    let health: DeliveryHealth
    let metrics: (any DeliveryMetrics)?
    let logger: Logger
    let clock: any TimeSource
    private(set) var policy: RetryPolicy
    /// Users, products list and rotation turns, shared by every batch.
    let sales: SalesServices
    /// Whether this node delivers (nil: it is the only one).
    var leadership: Leadership?

    init(
        client: AmoClient, catalog: FieldCatalog, store: any QueueStore & LedgerStore & SalesStore, config: Config, locks: ContactLocks,
        index: ContactIndex?, health: DeliveryHealth, metrics: (any DeliveryMetrics)? = nil, logger: Logger,
        clock: any TimeSource = SystemTime()
    ) {
        self.clock = clock
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
        self.sales = SalesServices(client: client, store: store, clock: clock)
    }

    /// The same delivery with another version of the config (after a reload).
    func using(_ config: Config) -> BatchDelivery {
        var copy = self
        copy.config = config
        copy.policy = RetryPolicy(config.worker)
        return copy
    }

    var progress: StoredProgress {
        let clock = clock
        return StoredProgress(store: store, policy: policy) { clock.date }
    }

    /// The steps, built for the current config.
    var steps: Steps {
        let progress = self.progress
        let sender = BatchSender(client: client, index: index, progress: progress, clock: clock)
        let bodies = ContactBodies(contacts: config.contacts)
        let reader = ContactReader(client: client, index: index)
        let matcher = ContactMatcher(
            client: client, countryCode: config.contacts.defaultCountryCode, matchBy: config.contacts.matchBy, index: index)
        let leads = LeadStep(client: client, bodies: bodies, sender: sender, index: index, reader: reader, leads: store, progress: progress)
        return Steps(
            fields: FieldStep(
                catalog: catalog, autoCreateLeads: config.fields.autoCreateLeads, autoCreateContacts: config.fields.autoCreateContacts),
            contacts: ContactStep(matcher: matcher, bodies: bodies, sender: sender, index: index, reader: reader, progress: progress),
            updates: LeadUpdateStep(leads: store, sender: sender, progress: progress),
            rotation: RotationStep(sales: sales, progress: progress, logger: logger),
            leads: leads,
            incoming: IncomingStep(leads: leads, progress: progress),
            products: ProductStep(
                client: client, products: sales.products, ledger: store, settings: config.orders.products, progress: progress),
            notes: NoteStep(client: client, sender: sender, progress: progress),
            tasks: TaskStep(client: client, sender: sender, progress: progress))
    }

    struct Steps {
        let fields: FieldStep
        let contacts: ContactStep
        let updates: LeadUpdateStep
        let rotation: RotationStep
        let leads: LeadStep
        let incoming: IncomingStep
        let products: ProductStep
        let notes: NoteStep
        let tasks: TaskStep
    }

    /// Counts of what happened to a batch.
    struct Summary: Sendable, Equatable {
        var done = 0, retried = 0, failed = 0, deferred = 0
    }

    /// Delivers the jobs and records the outcome of each.
    @discardableResult
    func deliver(_ jobs: [Job]) async -> Summary {
        let leases = LeaseKeeper(
            store: store, jobs: jobs, lease: config.worker.leaseSeconds, logger: logger, clock: clock, leadership: leadership)
        let items = jobs.map { DeliveryItem(job: $0, leases: leases) }
        revalidate(items)
        return await withTaskGroup { group in
            group.addTask { await leases.keep() }
            await run(items)
            group.cancelAll()
            return await record(items)
        }
    }

    /// Plans stored by an older version pass today's validation before anything is sent: a
    /// value that fails it is dropped and named in the job's warnings (and the log); a job left
    /// with nothing to deliver fails with the reason.
    private func revalidate(_ items: [DeliveryItem]) {
        for item in items {
            let (plan, dropped) = item.job.plan.revalidated(countryCode: config.contacts.defaultCountryCode)
            guard plan != item.job.plan else { continue }
            item.job.plan = plan
            dropped.forEach(item.warn)
            logger.warning(
                "stored plan revised by today's validation", metadata: ["job.id": "\(item.job.id)", "dropped": "\(dropped.count)"])
            if plan.contact == nil, plan.lead == nil {
                item.fail(
                    Attempt(
                        at: clock.date, durationMs: 0, outcome: .failed,
                        error: "nothing valid to deliver: " + dropped.joined(separator: "; ")))
            }
        }
    }

    /// The steps, each for the whole batch; on a failure the outcome of every job still in it.
    private func run(_ items: [DeliveryItem]) async {
        let started = clock.date
        var locked: [String] = []
        do {
            locked = await lockCustomers(items)
            let steps = self.steps
            let fields = try await steps.fields.resolve(items)
            try await steps.contacts.run(items, fields)
            try await steps.updates.run(items, fields)
            try await steps.rotation.run(items)
            try await steps.leads.run(items, fields)
            try await steps.incoming.run(items, fields)
            try await steps.products.run(items)
            try await steps.notes.run(items)
            try await steps.tasks.run(items)
            let attempt = Attempt(at: started, durationMs: milliseconds(since: started), outcome: .done)
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
                    .retry(at: clock.date, refundAttempt: true),
                    Attempt(at: started, durationMs: milliseconds(since: started), outcome: .interrupted, error: "stopped by shutdown")
                )
            }
        } catch {
            await handle(
                AmoError(kind: .transient, request: "delivery", status: nil, title: nil, detail: "\(error)"), items, started: started)
        }
        await locks.unlock(locked)
    }

    func milliseconds(since date: Date) -> Int { Int(clock.date.timeIntervalSince(date) * 1000) }

    /// Applies a request failure that stopped the batch to every job still in it.
    private func handle(_ error: AmoError, _ items: [DeliveryItem], started: Date) async {
        let base = Attempt(
            at: started, durationMs: milliseconds(since: started), outcome: .retry, httpStatus: error.status,
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
                item.finish(.retry(at: clock.date.addingTimeInterval(pause.seconds), refundAttempt: true), attempt)
            }
        case .unauthorized:
            await health.credentialsFailed(error.detail)
            logger.error("amoCRM credentials do not work: delivery paused", metadata: metadata)
            pause(items, base)
        case .accountUnavailable:
            await health.accountUnavailable(error.detail)
            logger.error("the amoCRM account cannot be used now: delivery paused", metadata: metadata)
            pause(items, base)
        // A refused read (a 404 from whatever answers at the account's address) says nothing
        // wrong about the jobs: they are retried, not failed.
        case .transient, .unknownOutcome,
            .rejected where error.isRead:
            let pause = await client.limiter.backOff()
            logger.warning(
                "amoCRM request failed, will retry; delivery paused", metadata: metadata.merging(["pause_s": "\(pause.seconds)"]) { $1 })
            for item in items where item.active { progress.retryOrFail(item, base) }
        case .rejected:
            logger.warning("amoCRM rejected a request", metadata: metadata)
            for item in items where item.active { item.fail(base) }
        }
    }

    /// While the worker is paused (dead credentials, an unusable account) the jobs wait without
    /// spending an attempt, ready as soon as it is over.
    private func pause(_ items: [DeliveryItem], _ base: Attempt) {
        var attempt = base
        attempt.outcome = .paused
        for item in items where item.active { item.finish(.retry(at: clock.date.addingTimeInterval(1), refundAttempt: true), attempt) }
    }

    /// Saves outcomes; deferred jobs go back without an attempt. Jobs whose lease was lost
    /// are left to the lane that holds them now.
    private func record(_ items: [DeliveryItem]) async -> Summary {
        var outcomes = items.compactMap { item -> JobOutcome? in
            guard !item.leaseLost, let resolution = item.resolution, let attempt = item.attempt else { return nil }
            return JobOutcome(job: item.job, resolution: resolution, attempt: attempt)
        }
        let deferred = items.filter { $0.deferred && $0.resolution == nil && !$0.leaseLost }
        do {
            let lost = try await store.finish(outcomes)
            try await store.release(deferred.map(\.job), runAt: clock.date.addingTimeInterval(0.5))
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
        for outcome in outcomes {
            let (job, resolution, attempt) = (outcome.job, outcome.resolution, outcome.attempt)
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

    /// How long a batch none of whose customers is free waits for them with its jobs in hand.
    static let customerWait: Duration = .seconds(2)

    /// Reserves the customers of this batch; jobs whose customer is in another batch wait. When
    /// every job waits for a customer another lane holds (one busy customer behind the queue),
    /// the lane keeps its jobs and waits for that lane (at most `customerWait`; the leases are
    /// kept meanwhile) instead of handing them back and claiming them again: each such release
    /// and claim was a write transaction that intake queued behind. Past the wait, or for a
    /// batch with some customers free, the waiting jobs are deferred as before.
    private func lockCustomers(_ items: [DeliveryItem]) async -> [String] {
        let groups = DeliveryItem.customers(items.filter(\.needsContact))
        let allNeedContacts = items.allSatisfy(\.needsContact)
        let deadline = clock.now + Self.customerWait
        while true {
            var locked: [String] = []
            var waiting: [[DeliveryItem]] = []
            for group in groups {
                let keys = Array(Set(group.flatMap(\.contactKeys)))
                if await locks.tryLock(keys) { locked += keys } else { waiting.append(group) }
            }
            let now = clock.now
            if allNeedContacts, !groups.isEmpty, waiting.count == groups.count, now < deadline, !Task.isCancelled {
                await locks.released(limit: min(.seconds(1), deadline - now))
                continue
            }
            for group in waiting { group.forEach { $0.deferred = true } }
            return locked
        }
    }
}
