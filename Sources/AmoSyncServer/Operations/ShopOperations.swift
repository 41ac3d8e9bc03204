import AmoSyncCore
import Foundation

/// What the command line does with a shop's API: `amosync reconcile SOURCE` and the shop part
/// of `amosync check [--fix]`.
package struct ShopOperations: Sendable {
    let config: Config
    let shops: ShopAPIs

    package init(config: Config, transport: any HTTPTransport = URLSessionTransport()) {
        self.config = config
        self.shops = ShopAPIs(transport: transport, clock: SystemTime())
    }

    /// Why `source` cannot be reconciled, with the key to set; nil when it can.
    package func problem(reconciling source: String) -> String? {
        guard let settings = config.sources[source] else {
            return "no source named \(source) (sources: \(config.sources.keys.sorted().joined(separator: ", ")))"
        }
        guard settings.type == "woocommerce" || settings.type == "shopify" else {
            return "sources.\(source) is a \(settings.type) source: only WooCommerce and Shopify orders can be listed"
        }
        guard settings.api != nil else { return "sources.\(source).api is not set: orders are listed through the shop's API" }
        return nil
    }

    /// What a pass did: its summary line and its counts.
    package struct Report: Sendable {
        package var summary: String
        package var pages: Int
        package var listed: Int
        package var found: Int
        package var known: Int
    }

    /// One pass over `source` from `since` (else its cursor), queued into `store`; `progress`
    /// hears a line after each page.
    package func reconcile(
        _ source: String, since: Date?, store: any Store, progress: @escaping @Sendable (String) -> Void
    ) async throws -> Report {
        guard let catalog = await shops.client(source, config: config) else {
            throw ShopError(kind: .rejected, request: "reconcile", status: nil, detail: problem(reconciling: source) ?? "not supported")
        }
        let reconciler = Reconciler(source: source, config: config, catalog: catalog, store: store, clock: SystemTime())
        let outcome = try await reconciler.pass(since: since) { page in
            progress(
                "page \(page.pages): \(page.listed) listed, \(page.new) new, \(page.changed) status change(s), \(page.known) already here")
        }
        return Report(
            summary: ReconcileRunner.summary(outcome, source: source)
                + (outcome.cursor.map { "; the cursor is now \(Reconciler.format($0))" } ?? ""), pages: outcome.pages,
            listed: outcome.listed, found: outcome.found, known: outcome.known)
    }

    /// Each shop source's webhooks, a line each (problem or not); with `fix`, the switched-off ones
    /// are turned on (WooCommerce) and the missing ones subscribed (Shopify) first. A shop that
    /// cannot be asked is one problem line.
    package func checkWebhooks(fix: Bool) async -> [(text: String, problem: Bool)] {
        var lines: [(text: String, problem: Bool)] = []
        for (source, settings) in config.sources.sorted(by: { $0.key < $1.key }) where settings.api != nil {
            guard let shop = await shops.client(source, config: config) else { continue }
            do {
                var health = WebhookHealth.of(try await shop.webhooks(), source: source, type: settings.type)
                if fix, !health.down.isEmpty {
                    let url = health.deliveryURL(source: source, publicURL: config.amocrm.webhook?.publicURL)
                    for topic in health.down {
                        guard let repaired = try await shop.repair(topic.topic, hook: topic.hook, url: url) else { continue }
                        let was = topic.hook.map { "was \($0.status), now" } ?? "was missing, now subscribed to \(repaired.deliveryURL):"
                        lines.append(("sources.\(source): webhook \(repaired.id) (\(topic.topic)) \(was) \(repaired.status)", false))
                    }
                    health = WebhookHealth.of(try await shop.webhooks(), source: source, type: settings.type)
                }
                lines += health.lines(source: source)
            } catch {
                lines.append(("sources.\(source).api: the shop's webhooks cannot be read: \(error)", true))
            }
        }
        return lines
    }
}
