import CoreMetrics
import Foundation
import Prometheus
import Synchronization
import AmoSyncCore

/// The daemon's Prometheus metrics (README, "Metrics"), on a registry of its own so that
/// several daemons in one process (tests) never share counters. Event metrics go through
/// swift-metrics; queue and limiter figures are sampled when `/metrics` is scraped.
final class DaemonMetrics: DeliveryMetrics {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let sampled = Mutex<[String: Double]>([:])

    init() {
        // Families present from the start, even before anything happened.
        _ = registry.makeCounter(name: "amosync_token_refreshes_total")
        _ = registry.makeCounter(name: "amosync_ratelimit_wait_seconds_total")
        _ = registry.makeCounter(name: "amosync_ratelimit_pauses_total")
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20].map {
            .milliseconds(Int64($0 * 1000))
        }
        self.factory = factory
    }

    func intakeRequest(route: String, status: Int) {
        Counter(label: "amosync_intake_requests_total", dimensions: [("route", route), ("status", "\(status)")], factory: factory)
            .increment()
    }

    func delivery(outcome: String, count: Int = 1) {
        guard count > 0 else { return }
        Counter(label: "amosync_deliveries_total", dimensions: [("outcome", outcome)], factory: factory).increment(by: count)
    }

    func amoRequest(endpoint: String, status: Int, seconds: Double) {
        Counter(
            label: "amosync_amocrm_requests_total", dimensions: [("endpoint", endpoint), ("status", status == 0 ? "error" : "\(status)")],
            factory: factory
        ).increment()
        Timer(label: "amosync_amocrm_request_duration_seconds", factory: factory).recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Orders a reconcile pass of `source` queued (never received, or a status change missed).
    func reconciled(source: String, found: Int, at date: Date) {
        Counter(label: "amosync_reconcile_found_total", dimensions: [("source", source)], factory: factory).increment(by: found)
        registry.makeGauge(name: "amosync_reconcile_last_timestamp_seconds", labels: [("source", source)]).set(date.timeIntervalSince1970)
    }

    /// Whether the shop's webhook for `topic` is active and points at this amosync (1) or not (0).
    func shopWebhook(source: String, topic: String, up: Bool) {
        registry.makeGauge(name: "amosync_shop_webhook_up", labels: [("source", source), ("topic", topic)]).set(up ? 1.0 : 0.0)
    }

    /// Brings a monotonically growing figure read at scrape time into a counter.
    func advance(_ name: String, to total: Double) {
        let delta = sampled.withLock { values -> Double in
            let delta = total - (values[name] ?? 0)
            values[name] = max(total, values[name] ?? 0)
            return delta
        }
        if delta > 0 { registry.makeCounter(name: name).increment(by: delta) }
    }

    /// Samples the queue, the limiter, the tokens and the account's health, then renders the text format.
    func render(
        store: any AdminStore & IndexStore, limiter: RateLimiter, tokens: any AccessTokenProvider, health: DeliveryHealth?,
        leadership: Leadership? = nil
    ) async
        -> String
    {
        if let health {
            // 1 while amoCRM takes the credentials (0: delivery paused until someone authorizes again),
            // and while the account answers (0: not paid or blocked).
            registry.makeGauge(name: "amosync_credentials_ok").set(await health.credentialsProblem == nil ? 1.0 : 0.0)
            registry.makeGauge(name: "amosync_account_available").set(await health.accountProblem == nil ? 1.0 : 0.0)
        }
        // 1 on the node that delivers (always on one server; on PostgreSQL, the lease holder).
        if let leadership { registry.makeGauge(name: "amosync_delivering").set(leadership.isLeader ? 1.0 : 0.0) }
        if let stats = try? await store.stats() {
            for state in JobState.allCases {
                registry.makeGauge(name: "amosync_jobs", labels: [("state", state.rawValue)]).set(Double(stats.counts[state] ?? 0))
            }
            registry.makeGauge(name: "amosync_oldest_queued_seconds").set(stats.oldestQueuedSeconds ?? 0)
        }
        if let position = try? await store.indexPosition() {
            // The contact index's full sync: 0…1 and seconds to go (0 when complete or not yet estimated).
            let now = limiter.clock.date
            registry.makeGauge(name: "amosync_contact_index_sync_progress").set(position.progress(now: now))
            registry.makeGauge(name: "amosync_contact_index_sync_eta_seconds").set(position.secondsToGo(now: now) ?? 0)
        }
        advance("amosync_ratelimit_wait_seconds_total", to: await limiter.waitedSeconds)
        advance("amosync_ratelimit_pauses_total", to: Double(await limiter.pauses))
        registry.makeGauge(name: "amosync_ratelimit_arrival_allowance_seconds").set(await limiter.arrivalAllowance.seconds)
        var refreshes = 0
        if let manager = tokens as? TokenManager { refreshes = await manager.refreshes }
        advance("amosync_token_refreshes_total", to: Double(refreshes))
        return registry.emitToString()
    }
}
