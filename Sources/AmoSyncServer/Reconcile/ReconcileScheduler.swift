import AmoSyncCore
import Foundation
import Logging
import ServiceLifecycle

/// Queues a `reconcile` job for each source with a shop API every `reconcile_minutes` (the
/// first at start: what the shop took while amosync was down is found at once), never a second
/// one while one is queued or running (a shop that is down does not pile them up).
final class ReconcileScheduler: Service {
    let store: any QueueStore & MetaStore & ReconcileStore
    let rules: Live<Config>
    let doorbell: Doorbell
    let clock: any TimeSource
    let logger: Logger
    /// How often it looks whether a pass is due.
    let tick: Duration

    init(
        store: any QueueStore & MetaStore & ReconcileStore, rules: Live<Config>, doorbell: Doorbell, clock: any TimeSource,
        logger: Logger = Logger(label: "amosync", factory: { _ in SwiftLogNoOpLogHandler() }), tick: Duration = .seconds(15)
    ) {
        self.logger = logger
        self.store = store
        self.rules = rules
        self.doorbell = doorbell
        self.clock = clock
        self.tick = tick
    }

    static func scheduledKey(_ source: String) -> String { "reconcile_scheduled:\(source)" }

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            // At start every source is owed a pass: the shop took orders while amosync was down.
            var owed = Set(self.rules.current.sources.filter { $0.value.reconciles }.keys)
            while !Task.isCancelled {
                owed.subtract(try await self.queueDue(owed: owed))
                try await self.clock.sleep(for: self.tick)
            }
        }
    }

    /// Queues the passes that are due, and those `owed` whatever their period; returns their
    /// sources.
    @discardableResult
    func queueDue(owed: Set<String> = []) async throws -> [String] {
        var queued: [String] = []
        let now = clock.date.timeIntervalSince1970
        for (source, settings) in rules.current.sources.sorted(by: { $0.key < $1.key }) where settings.reconciles {
            let last = try await store.meta(Self.scheduledKey(source)).flatMap(Double.init)
            if !owed.contains(source), let last, now - last < Double(settings.reconcileMinutes * 60) { continue }
            if try await store.hasPendingJob(kind: .reconcile, source: source) {
                logger.debug("a reconcile pass waits already", metadata: ["source": "\(source)"])
                continue
            }
            logger.info("reconcile pass queued", metadata: ["source": "\(source)"])
            // Named by the time it was queued, to the millisecond: one job a pass, shown in `jobs list`.
            let slot = clock.date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
            _ = try await store.enqueue([.reconcile(source: source, slot: slot)])
            try await store.setMeta(Self.scheduledKey(source), "\(now)")
            queued.append(source)
        }
        if !queued.isEmpty { await doorbell.ring() }
        return queued
    }
}
