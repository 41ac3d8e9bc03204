import AmoSyncCore
import Foundation

/// The shop's webhooks as WooCommerce keeps them: one a topic, `active`, `paused` or
/// `disabled`, delivered one at a time in the order things happened; a webhook is disabled after
/// 5 failed deliveries in a row and what happens meanwhile is never delivered. Listed and changed
/// through `/wp-json/wc/v3/webhooks` (the secret is write-only).
extension FakeWooShop {
    struct Hook: Sendable {
        var id: Int
        var topic: String
        var url: URL
        var secret: String
        var status = "active"
        var failures = 0
        var created: Date

        var json: JSONValue {
            let time = FakeWooShop.timestamp(created)
            let parts = topic.split(separator: ".").map(String.init)
            return [
                "id": .number(JSONNumber(id)), "name": .string("amosync \(topic)"), "status": .string(status), "topic": .string(topic),
                "resource": .string(parts.first ?? ""), "event": .string(parts.last ?? ""),
                "hooks": .array([.string(parts.last == "created" ? "woocommerce_new_order" : "woocommerce_update_order")]),
                "delivery_url": .string(url.absoluteString), "date_created": .string(time), "date_created_gmt": .string(time),
                "date_modified": .string(time), "date_modified_gmt": .string(time),
            ]
        }
    }

    /// Points the shop's order webhooks (`order.created`, `order.updated`) at `url`, active.
    package func subscribe(_ url: URL, secret: String) {
        hooks.removeAll { $0.topic == "order.created" || $0.topic == "order.updated" }
        for topic in ["order.created", "order.updated"] {
            hooks.append(Hook(id: 7 + hooks.count, topic: topic, url: url, secret: secret, created: Date()))
        }
    }

    /// The status of the webhook for `topic` (nil: none).
    package func hookStatus(_ topic: String) -> String? { hooks.first { $0.topic == topic }?.status }

    /// Staff (or WooCommerce) set the webhook for `topic` to `status`.
    package func setHookStatus(_ topic: String, _ status: String) {
        for index in hooks.indices where hooks[index].topic == topic { hooks[index].status = status }
    }

    /// Staff delete the webhook for `topic` in WooCommerce's settings.
    package func deleteHook(_ topic: String) { hooks.removeAll { $0.topic == topic } }

    /// `GET /webhooks`, `GET|PUT /webhooks/{id}`.
    func webhooks(method: String, id: String?, body: Data, query: [String: String]) -> (status: Int, body: JSONValue) {
        guard let id else {
            guard method == "GET" else {
                return (404, Self.error("rest_no_route", "No route was found matching the URL and request method.", 404))
            }
            counts.webhookReads += 1
            let status = query["status"] ?? "all"
            return (200, .array(hooks.filter { status == "all" || $0.status == status }.map(\.json)))
        }
        guard let index = hooks.firstIndex(where: { "\($0.id)" == id }) else {
            return (404, Self.error("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404))
        }
        switch method {
        case "GET": return (200, hooks[index].json)
        case "PUT", "POST", "PATCH":
            if let status = (try? JSONValue.parse(body))?["status"]?.stringValue {
                guard ["active", "paused", "disabled"].contains(status) else {
                    return (
                        400,
                        [
                            "code": "rest_invalid_param", "message": "Invalid parameter(s): status",
                            "data": ["status": 400, "params": ["status": "status is not one of active, paused, disabled."]],
                        ]
                    )
                }
                hooks[index].status = status
                if status == "active" { hooks[index].failures = 0 }
            }
            return (200, hooks[index].json)
        default: return (404, Self.error("rest_no_route", "No route was found matching the URL and request method.", 404))
        }
    }

    func deliver(_ topic: String, _ order: JSONValue) {
        guard let hook = hooks.first(where: { $0.topic == topic && $0.status == "active" }) else { return }
        outbox.append((hook.id, order.canonicalData))
        if !delivering {
            delivering = true
            Task { await self.drain() }
        }
    }

    private func drain() async {
        while !outbox.isEmpty {
            let (id, body) = outbox.removeFirst()
            guard let hook = hooks.first(where: { $0.id == id }), hook.status == "active" else { continue }
            let status = await HookDelivery.post(
                body, to: hook.url,
                headers: [
                    "X-WC-Webhook-Topic": hook.topic, "X-WC-Webhook-Resource": "order",
                    "X-WC-Webhook-Event": String(hook.topic.split(separator: ".").last ?? ""),
                    "X-WC-Webhook-Source": "https://shop.example/", "X-WC-Webhook-ID": "\(hook.id)",
                    "X-WC-Webhook-Signature": Hashing.hmacBase64(body, secret: hook.secret),
                ])
            guard let index = hooks.firstIndex(where: { $0.id == id }) else { continue }
            if (200..<300).contains(status) {
                counts.webhooksDelivered += 1
                hooks[index].failures = 0
            } else {
                counts.webhooksFailed += 1
                hooks[index].failures += 1
                if hooks[index].failures >= 5 { hooks[index].status = "disabled" }
            }
        }
        delivering = false
    }

    /// Deliveries not yet made.
    package var pendingDeliveries: Int { outbox.count + (delivering ? 1 : 0) }
}
