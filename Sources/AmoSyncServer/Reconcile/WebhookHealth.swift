import AmoSyncCore
import Foundation

/// How the webhooks that bring a source's orders to amosync stand: for each topic the source
/// needs, the shop's webhook for it whose delivery URL ends in `/v1/hooks/{source}`, if any.
struct WebhookHealth: Sendable, Equatable {
    struct Topic: Sendable, Equatable {
        var topic: String
        var hook: ShopWebhook?
        var up: Bool { hook?.status == "active" }
    }

    var topics: [Topic]

    /// The topics a source's orders come by.
    static func required(type: String) -> [String] {
        type == "shopify" ? ["orders/create", "orders/updated"] : ["order.created", "order.updated"]
    }

    static func of(_ hooks: [ShopWebhook], source: String, type: String) -> WebhookHealth {
        let ours = hooks.filter { pointsHere($0.deliveryURL, source: source) }
        return WebhookHealth(
            topics: required(type: type).map { topic in
                Topic(topic: topic, hook: ours.first { $0.topic == topic && $0.status == "active" } ?? ours.first { $0.topic == topic })
            })
    }

    static func pointsHere(_ url: String, source: String) -> Bool {
        var path = URL(string: url)?.path ?? ""
        while path.hasSuffix("/") { path.removeLast() }
        return path.hasSuffix("/v1/hooks/\(source)")
    }

    /// The topics `check --fix` repairs: switched off (`disabled`, `paused`) or missing.
    var down: [Topic] { topics.filter { !$0.up } }

    /// Where a missing subscription should deliver: where amosync's other webhooks of the source
    /// do, else `public_url` + `/v1/hooks/SOURCE`.
    func deliveryURL(source: String, publicURL: String?) -> String? {
        if let url = topics.compactMap({ $0.hook?.deliveryURL }).first { return url }
        guard var base = publicURL else { return nil }
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/v1/hooks/\(source)"
    }

    /// One line a topic, and whether it is a problem.
    func lines(source: String) -> [(text: String, problem: Bool)] {
        topics.map { entry in
            guard let hook = entry.hook else {
                let fix =
                    entry.topic.contains("/")
                    ? "`amosync check --fix` subscribes it (to where the source's other webhook delivers, else amocrm.webhook.public_url)"
                    : "add one in the shop (delivery URL https://YOUR-HOST/v1/hooks/\(source), secret sources.\(source).secret)"
                return ("sources.\(source): no webhook for \(entry.topic) points at /v1/hooks/\(source): \(fix)", true)
            }
            if entry.up { return ("sources.\(source): webhook \(hook.id) (\(entry.topic)) is active → \(hook.deliveryURL)", false) }
            return (
                "sources.\(source): webhook \(hook.id) (\(entry.topic)) is \(hook.status): the shop sends nothing; "
                    + "`amosync check --fix` turns it on again", true
            )
        }
    }
}
