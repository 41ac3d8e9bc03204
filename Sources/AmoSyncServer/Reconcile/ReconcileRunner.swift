import AmoSyncCore
import Foundation
import Logging
import Synchronization

/// Runs `reconcile` jobs in the shop's lane: the source's webhooks looked at (a warning logged
/// once each time one changes, `amosync_shop_webhook_up`), then a `Reconciler` pass.
final class ReconcileRunner: Sendable {
    let store: any QueueStore & MetaStore & ReconcileStore
    let shops: ShopAPIs
    let doorbell: Doorbell
    let metrics: DaemonMetrics?
    let logger: Logger
    let clock: any TimeSource
    /// The webhooks as last seen, per source.
    private let seen = Mutex<[String: WebhookHealth]>([:])

    init(
        store: any QueueStore & MetaStore & ReconcileStore, shops: ShopAPIs, doorbell: Doorbell,
        metrics: DaemonMetrics?, logger: Logger, clock: any TimeSource
    ) {
        self.store = store
        self.shops = shops
        self.doorbell = doorbell
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
    }

    /// The pass's summary for the job.
    func run(_ job: Job, config: Config) async throws -> String {
        let source = job.source
        guard let settings = config.sources[source], let shop = await shops.client(source, config: config) else {
            return "source \(source) has no shop API: nothing to reconcile"
        }
        // The webhooks are looked at first; a shop that will not show them (a key without the right)
        // still has its orders listed.
        let webhooks: String
        do {
            let health = WebhookHealth.of(try await shop.webhooks(), source: source, type: settings.type)
            note(health, source: source)
            webhooks = "webhooks: " + health.topics.map { "\($0.topic) \($0.hook?.status ?? "missing")" }.joined(separator: ", ")
        } catch {
            logger.warning("the shop's webhooks cannot be read", metadata: ["source": "\(source)", "error": "\(error)"])
            webhooks = "webhooks cannot be read: \(error)"
        }
        let reconciler = Reconciler(source: source, config: config, catalog: shop, store: store, clock: clock)
        let outcome = try await reconciler.pass { [doorbell] page in
            if page.found > 0 { await doorbell.ring() }
        }
        metrics?.reconciled(source: source, found: outcome.found, at: clock.date)
        if outcome.found > 0 {
            logger.warning(
                "reconciliation found orders no webhook brought",
                metadata: ["source": "\(source)", "new": "\(outcome.new)", "changed": "\(outcome.changed)"])
        }
        return Self.summary(outcome, source: source) + "; " + webhooks
    }

    /// Logs a webhook's change once (and how it stands at the first look when it is down).
    func note(_ health: WebhookHealth, source: String) {
        let before = seen.withLock { seen in
            defer { seen[source] = health }
            return seen[source]
        }
        for topic in health.topics {
            metrics?.shopWebhook(source: source, topic: topic.topic, up: topic.up)
            let earlier = before?.topics.first { $0.topic == topic.topic }
            // The first look says only what is down; later looks say what changed.
            let changed = before == nil ? !topic.up : earlier?.hook?.status != topic.hook?.status
            guard changed else { continue }
            let metadata: Logger.Metadata = [
                "source": "\(source)", "topic": "\(topic.topic)", "status": "\(topic.hook?.status ?? "missing")",
            ]
            if topic.up {
                logger.info("the shop's webhook is active again", metadata: metadata)
            } else {
                logger.warning("the shop's webhook is not active: its orders come only by reconciliation", metadata: metadata)
            }
        }
    }

    static func summary(_ outcome: Reconciler.Outcome, source: String) -> String {
        "\(source): \(outcome.listed) orders changed since \(Reconciler.format(outcome.since)) listed in \(outcome.pages) page(s): "
            + "\(outcome.new) new and \(outcome.changed) status change(s) queued, \(outcome.known) already here"
            + (outcome.unmappable > 0 ? ", \(outcome.unmappable) that cannot be delivered" : "")
    }
}
