import AmoSyncCore
import Foundation

/// A shop asked for the orders it changed since a time (`amosync reconcile`), and for the
/// webhooks that should have brought them (`amosync check [--fix]`).
protocol ShopCatalog: Sendable {
    /// One page of the orders changed after `since`, newest change first, each only as far as
    /// amosync needs to know whether it has it; `after` is the previous page's `next`.
    func changedOrders(since: Date, after: String?) async throws(ShopError) -> ShopOrderPage
    /// These orders whole, in the shape the platform's webhook carries them.
    func orders(_ listed: [ListedOrder]) async throws(ShopError) -> [JSONValue]
    /// The shop's webhooks (all of them; `WebhookHealth` picks amosync's).
    func webhooks() async throws(ShopError) -> [ShopWebhook]
    /// Makes `topic` deliver to amosync again: a webhook the shop switched off (or staff paused)
    /// turned on (WooCommerce), a missing subscription created to `url` (Shopify). Nil when this
    /// shop cannot (WooCommerce cannot make one without its secret).
    func repair(_ topic: String, hook: ShopWebhook?, url: String?) async throws(ShopError) -> ShopWebhook?
}

struct ShopOrderPage: Sendable {
    var orders: [ListedOrder]
    /// Where the next page starts; nil: this was the last.
    var next: String?
    /// How many orders the whole listing holds, when the shop says.
    var total: Int?
}

/// An order as listed: its id and status as the order's webhook would carry them into amosync,
/// and the shop's own time of its last change.
struct ListedOrder: Sendable {
    var externalID: String
    /// The id the API reads it by, where that is not `externalID` (Shopify's order id).
    var platformID: String?
    var status: String?
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
