/// Which webhook topics carry an order to deliver; for any other, why it is skipped.
enum PlatformTopic {
    /// `X-WC-Webhook-Topic`: `order.created`, `order.updated`, `order.restored` are orders
    /// (a delivery without the header is taken as one too).
    static func wooCommerce(_ topic: String?) -> String? {
        guard let topic = topic?.lowercased(), !topic.isEmpty else { return nil }
        switch topic {
        case "order.created", "order.updated", "order.restored": return nil
        case "order.deleted": return "the order was deleted in WooCommerce (order.deleted): nothing to deliver"
        default: return "webhook topic \(topic) is not an order topic: nothing to deliver"
        }
    }

    /// `X-Shopify-Topic`: `orders/create`, `orders/updated`, `orders/paid`, `orders/cancelled`,
    /// `orders/fulfilled`, `orders/partially_fulfilled` carry the order object.
    static func shopify(_ topic: String?) -> String? {
        guard let topic = topic?.lowercased(), !topic.isEmpty else { return nil }
        switch topic {
        case "orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled", "orders/partially_fulfilled":
            return nil
        case "orders/delete": return "the order was deleted in Shopify (orders/delete): nothing to deliver"
        default: return "webhook topic \(topic) does not carry an order: nothing to deliver"
        }
    }
}
