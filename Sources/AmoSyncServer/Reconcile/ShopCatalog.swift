import AmoSyncCore
import Foundation

/// A shop asked for what it holds: the orders changed since a time, and the webhooks that
/// should have brought them (`amosync reconcile`, `amosync check`).
protocol ShopCatalog: Sendable {
    /// One page of orders changed after `since`, oldest change first, each in the shape the
    /// platform's webhook carries; `after` is the previous page's `next`.
    func changedOrders(since: Date, after: String?) async throws(ShopError) -> ShopOrderPage
    /// The shop's webhooks (all of them; `WebhookHealth` picks amosync's).
    func webhooks() async throws(ShopError) -> [ShopWebhook]
    /// Turns a webhook the platform switched off (or staff paused) on again.
    func enable(_ hook: ShopWebhook) async throws(ShopError) -> ShopWebhook
}

struct ShopOrderPage: Sendable {
    var orders: [ListedOrder]
    /// Where the next page starts; nil: this was the last.
    var next: String?
    /// How many orders the whole listing holds, when the shop says.
    var total: Int?
}

/// An order as listed, with the shop's own time of its last change.
struct ListedOrder: Sendable {
    var body: JSONValue
    var modified: Date?
}

/// A webhook as the shop keeps it.
struct ShopWebhook: Sendable, Equatable {
    var id: String
    var topic: String
    /// WooCommerce: `active`, `paused`, `disabled`; Shopify: `active` (a subscription exists).
    var status: String
    var deliveryURL: String
}
