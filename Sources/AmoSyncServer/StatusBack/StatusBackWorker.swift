import AmoAPI
import AmoSyncCore
import Foundation
import Logging
import ServiceLifecycle

/// The shop writer, a `Service` beside the delivery worker: it takes the `status_back` and
/// `reconcile` jobs (their own lane of the queue, so a slow or dead shop never holds up amoCRM
/// delivery). A stage change: the lead is read again through the one rate-limited client,
/// `StatusBackDecision` decides, the order's status is written to the shop. A reconcile pass:
/// `ReconcileRunner`.
final class StatusBackWorker: Service {
    let store: any QueueStore & LedgerStore & MetaStore & ReconcileStore
    let client: AmoClient
    let health: DeliveryHealth
    let doorbell: Doorbell
    let rules: Live<Config>
    let logger: Logger
    let clock: any TimeSource
    /// Jobs written at once (each waits for its shop, not for the others).
    let width: Int
    let idlePoll: Duration
    /// The shops' clients (Shopify's tokens and cost buckets kept from job to job).
    let shops: ShopAPIs
    let reconciles: ReconcileRunner
    /// Whether this node delivers (nil: it is the only one).
    let leadership: Leadership?

    init(
        store: any QueueStore & LedgerStore & MetaStore & ReconcileStore, client: AmoClient, health: DeliveryHealth, doorbell: Doorbell,
        rules: Live<Config>,
        transport: any HTTPTransport, logger: Logger, clock: any TimeSource, metrics: DaemonMetrics? = nil, width: Int = 8,
        idlePoll: Duration = .seconds(5), leadership: Leadership? = nil
    ) {
        self.leadership = leadership
        self.store = store
        self.client = client
        self.health = health
        self.doorbell = doorbell
        self.rules = rules
        self.logger = logger
        self.clock = clock
        self.width = width
        self.idlePoll = idlePoll
        self.shops = ShopAPIs(transport: transport, clock: clock)
        self.reconciles = ReconcileRunner(store: store, shops: shops, doorbell: doorbell, metrics: metrics, logger: logger, clock: clock)
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            // Reconcile passes run beside the loop (a pass over a big shop takes seconds to
            // minutes): the stage changes claimed meanwhile do not wait for it.
            await withTaskGroup(of: Void.self) { passes in
                while !Task.isCancelled {
                    let paused = await self.health.pauseReason != nil
                    let throttled = await self.client.limiter.pauseRemaining != nil
                    let follower = self.leadership.map { !$0.isLeader } ?? false
                    if paused || throttled || follower {
                        await self.doorbell.wait(timeout: .seconds(1))
                        continue
                    }
                    let config = self.rules.current
                    let jobs: [Job]
                    do {
                        jobs = try await self.store.claimBatch(limit: self.width, leaseFor: config.worker.leaseSeconds, lane: .shop)
                    } catch {
                        if Task.isCancelled { return }
                        self.logger.error("could not claim status_back jobs", metadata: ["error": "\(error)"])
                        await self.doorbell.wait(timeout: .seconds(1))
                        continue
                    }
                    if jobs.isEmpty {
                        await self.doorbell.wait(until: (try? await self.store.nextRunAt(lane: .shop)) ?? nil, atMost: self.idlePoll)
                        continue
                    }
                    for pass in jobs where pass.kind == .reconcile {
                        passes.addTask { await self.reconcile(pass, config: config) }
                    }
                    let writes = jobs.filter { $0.kind != .reconcile }
                    let outcomes = await withTaskGroup(of: JobOutcome?.self) { group in
                        for job in writes { group.addTask { await self.handle(job, config: config) } }
                        var outcomes: [JobOutcome] = []
                        for await outcome in group { if let outcome { outcomes.append(outcome) } }
                        return outcomes
                    }
                    do { try await self.store.finish(outcomes) } catch {
                        self.logger.error("could not record status_back outcomes", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    /// A reconcile pass with its lease renewed while it runs; given back unfinished (no attempt
    /// spent) when the daemon stops meanwhile.
    func reconcile(_ job: Job, config: Config) async {
        let lease = config.worker.leaseSeconds
        let renewal = Task {
            while !Task.isCancelled {
                try await clock.sleep(for: .seconds(lease / 3))
                _ = try await store.renew([job], leaseFor: lease)
            }
        }
        let outcome = await handle(job, config: config)
        renewal.cancel()
        do {
            if Task.isCancelled {
                try await store.release([job], runAt: nil)
            } else if let outcome {
                try await store.finish([outcome])
            }
        } catch {
            logger.error("could not record a reconcile pass", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
        }
    }

    /// One job: whose order, what the lead's stage is now, what the order is, what to write.
    /// Nil: the job was given back (delivery paused), no attempt spent.
    func handle(_ job: Job, config: Config) async -> JobOutcome? {
        let started = clock.now
        var job = job
        func outcome(
            _ resolution: JobResolution, _ outcome: Attempt.Outcome, error: String? = nil, status: Int? = nil, request: String? = nil
        )
            -> JobOutcome
        {
            let attempt = Attempt(
                at: clock.date, durationMs: (clock.now - started).milliseconds, outcome: outcome, httpStatus: status, request: request,
                error: error)
            return JobOutcome(job: job, resolution: resolution, attempt: attempt)
        }
        func done(_ note: String) -> JobOutcome {
            job.warnings.append(note)
            logger.info("status_back", metadata: ["job.id": "\(job.id)", "decision": "\(note)"])
            return outcome(.done, .done)
        }
        let policy = RetryPolicy(config.worker)
        func retry(_ error: String, status: Int?, request: String?) -> JobOutcome {
            if policy.exhausted(job.attempts) { return outcome(.failed, .failed, error: error, status: status, request: request) }
            let at = clock.date.addingTimeInterval(policy.delay(afterAttempt: job.attempts))
            return outcome(.retry(at: at, refundAttempt: false), .retry, error: error, status: status, request: request)
        }
        /// A shop's refusal fails the job with its words; anything else is tried again.
        func failure(_ error: any Error) -> JobOutcome {
            guard let error = error as? ShopError else { return retry("\(error)", status: nil, request: nil) }
            logger.warning("the shop did not take a request", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
            if error.kind == .rejected {
                return outcome(.failed, .failed, error: error.description, status: error.status, request: error.request)
            }
            return retry(error.description, status: error.status, request: error.request)
        }
        if job.kind == .reconcile {
            do { return done(try await reconciles.run(job, config: config)) } catch { return failure(error) }
        }
        guard let change = StageChange(json: job.input) else {
            return outcome(.failed, .failed, error: "the job's input is not a stage change (lead_id and status_id)")
        }
        let owner: OrderOwner?
        do { owner = try await store.orders(holding: [change.leadID])[change.leadID] } catch {
            return retry("the queue could not be read: \(error)", status: nil, request: nil)
        }
        guard let owner else { return done("lead \(change.leadID) is not one amosync delivered: nothing to write") }
        guard let target = await StatusBackTarget.of(source: owner.source, config: config, shops: shops) else {
            return done("source \(owner.source) writes no status back (no status_back for it)")
        }
        // The hint is only a hint: the lead as amoCRM holds it now decides.
        let lead: Lead
        do { lead = try await client.send(Endpoints.lead(change.leadID)) } catch let error as AmoError {
            switch error.kind {
            case .rejected where error.status == 404: return done("lead \(change.leadID) no longer exists in amoCRM")
            case .unauthorized, .accountUnavailable, .throttled:
                try? await store.release([job], runAt: nil)
                return nil
            default: return retry(error.description, status: error.status, request: error.request)
            }
        } catch {
            return retry("\(error)", status: nil, request: nil)
        }
        guard let stage = lead.statusID else { return done("amoCRM's answer for lead \(change.leadID) has no status_id") }
        do {
            // A stage status_back does not name is decided without asking the shop.
            let wanted: String
            switch StatusBackDecision.decide(stage: stage, map: target.map, current: nil, forward: config.orders.statusMap) {
            case .leave(let reason): return done("order \(owner.source)/\(owner.externalID): \(reason)")
            case .write(let status): wanted = status
            }
            let order = ShopOrder(externalID: owner.externalID, platformID: owner.platformID)
            // The shop's own word where it can be asked; else what amosync last wrote or was sent.
            var current = try await target.client.currentStatus(of: order, wanted: wanted)
            if current == nil { current = try await store.knownStatus(source: owner.source, externalID: owner.externalID) }
            switch StatusBackDecision.decide(stage: stage, map: target.map, current: current, forward: config.orders.statusMap) {
            case .leave(let reason):
                return done("order \(owner.source)/\(owner.externalID): \(reason)")
            case .write(let status):
                // Recorded before it is sent: the shop's echo can arrive before its answer.
                try await store.recordStatusWrite(
                    StatusWrite(
                        source: owner.source, externalID: owner.externalID, status: target.client.reported(after: status), stageID: stage,
                        leadID: change.leadID,
                        at: clock.date))
                let applied = AppliedStage(
                    leadID: change.leadID, statusID: stage, pipelineID: lead.pipelineID,
                    changedAt: lead.updatedAt.map { Date(timeIntervalSince1970: Double($0)) } ?? clock.date,
                    leadURL: config.amocrm.leadURL(change.leadID))
                try await target.client.write(status, order: order, change: applied)
                return done("order \(owner.source)/\(owner.externalID) set to \(status) (lead \(change.leadID) at stage \(stage))")
            }
        } catch {
            return failure(error)
        }
    }
}
