import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import AmoSyncCore

/// The queue worker, a `Service`: `worker.concurrency` lanes, child tasks of `run`, each
/// claim a batch and deliver it. On graceful shutdown the lanes stop claiming; batches still
/// running after `shutdownGrace` are cancelled (their jobs are released, no attempt spent).
/// A reload that changes `worker.concurrency` adds or retires lanes.
final class DeliveryWorker: Service {
    /// The largest batch while the contact index's first full sync runs.
    static let syncingBatchLimit = 16
    let store: any QueueStore
    let delivery: BatchDelivery
    let health: DeliveryHealth
    let doorbell: Doorbell
    /// The current config: worker limits and delivery rules, read once per batch.
    let rules: Live<Config>
    let logger: Logger
    let shutdownGrace: Duration
    /// The longest an idle lane 0 waits without a ring (jobs queued by other processes, due retries).
    let idlePoll: Duration
    let authProbeInterval: Duration
    let heartbeat: (@Sendable () -> Void)?
    let clock: any TimeSource
    /// Whether this node delivers (nil: it is the only one).
    let leadership: Leadership?
    private let stopping = Atomic<Bool>(false)
    /// Rung by `reconfigure()`: the lane count may have changed.
    private let reconfigured = Doorbell()

    init(
        store: any QueueStore, delivery: BatchDelivery, health: DeliveryHealth, doorbell: Doorbell, rules: Live<Config>,
        logger: Logger, shutdownGrace: Duration = .seconds(7), idlePoll: Duration = .seconds(5),
        authProbeInterval: Duration = .seconds(10), heartbeat: (@Sendable () -> Void)? = nil, clock: any TimeSource = SystemTime(),
        leadership: Leadership? = nil
    ) {
        self.leadership = leadership
        self.clock = clock
        self.authProbeInterval = authProbeInterval
        self.store = store
        self.delivery = delivery
        self.health = health
        self.doorbell = doorbell
        self.rules = rules
        self.logger = logger
        self.shutdownGrace = shutdownGrace
        self.idlePoll = idlePoll
        self.heartbeat = heartbeat
    }

    /// What ended one of `run`'s child tasks.
    private enum Event: Sendable {
        case laneEnded(Int)
        case graceOver
        case reconfigured
        case shutdownWatchEnded
    }

    func run() async throws {
        await withTaskGroup(of: Event.self) { group in
            var lanes: Set<Int> = []
            func staff() {
                guard !isStopping else { return }
                for number in 0..<rules.current.worker.concurrency where !lanes.contains(number) {
                    lanes.insert(number)
                    group.addTask {
                        await self.lane(number); return .laneEnded(number)
                    }
                }
            }
            staff()
            group.addTask {
                await self.watchReconfiguration(); return .reconfigured
            }
            group.addTask {
                // Graceful shutdown: stop claiming, then cut off what still runs after the grace.
                do { try await gracefulShutdown() } catch { return .shutdownWatchEnded }
                self.stopping.store(true, ordering: .relaxed)
                self.doorbell.ring()
                self.reconfigured.ring()
                do { try await self.clock.sleep(for: self.shutdownGrace) } catch { return .shutdownWatchEnded }
                return .graceOver
            }
            while let event = await group.next() {
                switch event {
                case .laneEnded(let number):
                    lanes.remove(number)
                    if lanes.isEmpty, isStopping { group.cancelAll() }  // the watchers are all that is left
                case .graceOver:
                    logger.info("shutdown grace is over: cutting off the batches still running")
                    group.cancelAll()
                case .reconfigured:
                    staff()
                    if !isStopping, !Task.isCancelled {
                        group.addTask {
                            await self.watchReconfiguration(); return .reconfigured
                        }
                    }
                case .shutdownWatchEnded:
                    break
                }
            }
        }
        logger.info("worker stopped")
    }

    /// A reload changed the config: lanes are added, or the ones beyond `concurrency` retire
    /// after their batch.
    func reconfigure() {
        reconfigured.ring()
        doorbell.ring()
    }

    private func watchReconfiguration() async {
        await reconfigured.wait(timeout: .seconds(86_400))
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    private func lane(_ number: Int) async {
        var lastAuthLog: ContinuousClock.Instant?
        var lastProbe: ContinuousClock.Instant?
        var lastPurge: ContinuousClock.Instant?
        var ramp = 1
        while !isStopping, !Task.isCancelled {
            let config = rules.current
            guard number < config.worker.concurrency else { return }  // retired by a reload
            heartbeat?()
            if number == 0, lastPurge.map({ clock.now - $0 > .seconds(3600) }) ?? true {
                lastPurge = clock.now
                if let purged = try? await store.purge(olderThanDays: Double(config.retentionDays)), purged > 0 {
                    logger.info(
                        "old delivered jobs deleted (retention_days)",
                        metadata: ["count": "\(purged)", "retention_days": "\(config.retentionDays)"])
                }
            }
            if let problem = await health.pauseReason {
                // Paused: jobs stay queued. Lane 0 tries again every `authProbeInterval` and logs once a minute.
                if number == 0, lastAuthLog.map({ clock.now - $0 > .seconds(60) }) ?? true {
                    logger.error(
                        "delivery paused: amoCRM credentials or the account do not work; jobs stay queued and spend no attempts",
                        metadata: ["reason": "\(problem)"])
                    lastAuthLog = clock.now
                }
                if number != 0 || lastProbe.map({ clock.now - $0 < authProbeInterval }) ?? false {
                    await doorbell.wait(timeout: .milliseconds(500))
                    continue
                }
                lastProbe = clock.now
            }
            // Another node delivers (PostgreSQL): this one takes orders and waits for the lease.
            if let leadership, !leadership.isLeader {
                await doorbell.wait(timeout: .seconds(1))
                continue
            }
            // A throttle or outage pause: claim nothing until it is over.
            if let pause = await delivery.client.limiter.pauseRemaining {
                try? await clock.sleep(for: min(pause, .seconds(1)))
                continue
            }
            var limit = config.worker.batchSize
            if delivery.index?.isSyncing == true {
                // The contact index's first full sync runs: customers are searched for, two
                // requests each. One lane, batches of 1, 2, 4 … 16: the first order goes within
                // seconds instead of after fifty customers' searches, and lanes do not queue
                // their searches behind each other.
                guard number == 0 else {
                    await doorbell.wait(timeout: .seconds(1))
                    continue
                }
                limit = min(limit, ramp)
                ramp = min(Self.syncingBatchLimit, ramp * 2)
            }
            let jobs: [Job]
            do {
                jobs = try await store.claimBatch(limit: limit, leaseFor: config.worker.leaseSeconds, lane: .amocrm)
            } catch {
                if Task.isCancelled { return }
                logger.error("could not claim jobs", metadata: ["error": "\(error)"])
                await doorbell.wait(timeout: .seconds(1))
                continue
            }
            if jobs.isEmpty {
                await idle(number)
                continue
            }
            // A full batch: there is probably more, wake the idle lanes.
            if jobs.count == limit { doorbell.ring() }
            // A batch whose customers another lane holds waits for that lane inside `deliver`
            // (`BatchDelivery.customerWait`); what it hands back is due again shortly.
            await delivery.using(config).deliver(jobs)
        }
    }

    /// Waits for intake's ring. Lane 0 also wakes when the next retry is due, and every
    /// `idlePoll` for jobs that other processes queued (`jobs retry`); the other lanes wait
    /// for a ring only, so an idle daemon hardly wakes.
    private func idle(_ number: Int) async {
        guard number == 0 else {
            await doorbell.wait(timeout: .seconds(3600))
            return
        }
        await doorbell.wait(until: (try? await store.nextRunAt(lane: .amocrm)) ?? nil, atMost: idlePoll)
    }
}
