import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The queue worker, a `Service`: `concurrency` lanes each claim a batch and deliver it.
/// On graceful shutdown it stops claiming, lets in-flight batches finish for up to
/// `shutdownGrace`, then cancels them (their jobs are released, no attempt spent).
public final class DeliveryWorker: Service {
    let store: JobStore
    let delivery: BatchDelivery
    let health: DeliveryHealth
    let doorbell: Doorbell
    let config: Config.Worker
    let logger: Logger
    let shutdownGrace: Duration
    let idlePoll: Duration
    let authProbeInterval: Duration
    /// Delivered jobs (with customers' personal data) are deleted after this many days.
    let retentionDays: Int
    let heartbeat: (@Sendable () -> Void)?
    private let stopping = Atomic<Bool>(false)

    public init(store: JobStore, delivery: BatchDelivery, health: DeliveryHealth, doorbell: Doorbell, config: Config.Worker,
                logger: Logger, shutdownGrace: Duration = .seconds(7), idlePoll: Duration = .seconds(1),
                authProbeInterval: Duration = .seconds(10), retentionDays: Int = 30, heartbeat: (@Sendable () -> Void)? = nil) {
        self.authProbeInterval = authProbeInterval
        self.retentionDays = retentionDays
        self.store = store
        self.delivery = delivery
        self.health = health
        self.doorbell = doorbell
        self.config = config
        self.logger = logger
        self.shutdownGrace = shutdownGrace
        self.idlePoll = idlePoll
        self.heartbeat = heartbeat
    }

    public func run() async throws {
        let lanes = Task {
            await withTaskGroup(of: Void.self) { group in
                for lane in 0..<config.concurrency { group.addTask { await self.lane(lane) } }
            }
        }
        await withGracefulShutdownHandler {
            // The lanes run in a task of their own (so that the grace period can cancel them);
            // cancelling this service (a sibling failed to start) must reach them too.
            await withTaskCancellationHandler { await lanes.value } onCancel: { lanes.cancel() }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.doorbell.ring()
            let grace = self.shutdownGrace
            Task {
                try? await Task.sleep(for: grace)
                lanes.cancel()
            }
        }
        logger.info("worker stopped")
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    private func lane(_ number: Int) async {
        var lastAuthLog: ContinuousClock.Instant?
        var lastProbe: ContinuousClock.Instant?
        var lastPurge: ContinuousClock.Instant?
        while !isStopping, !Task.isCancelled {
            heartbeat?()
            if number == 0, lastPurge.map({ ContinuousClock.now - $0 > .seconds(3600) }) ?? true {
                lastPurge = .now
                if let purged = try? await store.purge(olderThanDays: Double(retentionDays)), purged > 0 {
                    logger.info("old delivered jobs deleted (retention_days)", metadata: ["count": "\(purged)", "retention_days": "\(retentionDays)"])
                }
            }
            if let problem = await health.credentialsProblem {
                // Paused: jobs stay queued. Lane 0 tries again every `authProbeInterval` and logs once a minute.
                if number == 0, lastAuthLog.map({ ContinuousClock.now - $0 > .seconds(60) }) ?? true {
                    logger.error("delivery paused: amoCRM credentials do not work; jobs stay queued and spend no attempts",
                                 metadata: ["reason": "\(problem)"])
                    lastAuthLog = .now
                }
                if number != 0 || lastProbe.map({ ContinuousClock.now - $0 < authProbeInterval }) ?? false {
                    try? await Task.sleep(for: .milliseconds(500))
                    continue
                }
                lastProbe = .now
            }
            // A throttle or outage pause: claim nothing until it is over.
            if let pause = await delivery.client.limiter.pauseRemaining {
                try? await Task.sleep(for: min(pause, .seconds(1)))
                continue
            }
            let jobs: [Job]
            do {
                jobs = try await store.claimBatch(limit: config.batchSize, leaseFor: config.leaseSeconds)
            } catch {
                logger.error("could not claim jobs", metadata: ["error": "\(error)"])
                await doorbell.wait(timeout: .seconds(1))
                continue
            }
            if jobs.isEmpty {
                let next = await (try? store.nextRunAt()) ?? nil
                let wait = next.map { min(idlePoll.seconds, max(0.02, $0.timeIntervalSinceNow)) } ?? idlePoll.seconds
                await doorbell.wait(timeout: .milliseconds(Int64(wait * 1000)))
                continue
            }
            await delivery.deliver(jobs)
        }
    }
}
