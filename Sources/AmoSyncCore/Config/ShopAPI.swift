import Foundation

extension Config {
    /// A shop's API (`sources.NAME.api`): WooCommerce REST v3 or Shopify's GraphQL Admin API.
    package struct ShopAPI: Sendable {
        /// WooCommerce: the shop's address (`https://shop.example`).
        package var url: String?
        package var consumerKey: String?
        package var consumerSecret: String?
        /// Shopify: `example.myshopify.com`.
        package var shop: String?
        package var accessToken: String?
        package var clientID: String?
        package var clientSecret: String?
        /// Shopify's API version.
        package var version = "2025-10"
        /// Overrides the address (a fake on loopback), as `amocrm.base_url` does.
        var baseURL: String?

        /// Where requests go: `base_url`, else the shop's own address.
        package var base: String {
            var base = baseURL ?? url ?? "https://\(shop ?? "")"
            while base.hasSuffix("/") { base.removeLast() }
            return base
        }
    }

    /// `orders.status_back`: a signed JSON POST to the shop's own backend on a mapped stage change.
    package struct OwnStatusBack: Sendable {
        package var url: String
        package var secret: String
        /// amoCRM status id → the shop's status.
        package var map: [Int: String]
    }

    /// `amocrm.webhook`: where amoCRM posts stage changes, and the key in that URL.
    package struct AmoWebhook: Sendable {
        package var publicURL: String
        package var key: String

        /// The URL registered in amoCRM: `{public_url}/v1/amocrm/events/{key}`.
        package var destination: String {
            var base = publicURL
            while base.hasSuffix("/") { base.removeLast() }
            return "\(base)/v1/amocrm/events/\(key)"
        }
    }

    /// Whether the shop's lane of the queue runs: something is written back, amoCRM's webhook is
    /// taken, or a shop is reconciled.
    package var usesShopLane: Bool { writesStatusBack || amocrm.webhook != nil || sources.values.contains { $0.reconciles } }

    /// Whether any stage change is written back anywhere.
    package var writesStatusBack: Bool {
        orders.statusBack != nil || sources.values.contains { !$0.statusBack.isEmpty }
    }
}

/// Printed without its keys and tokens, like the rest of the config.
extension Config.ShopAPI: CustomStringConvertible, CustomDebugStringConvertible {
    package var description: String { "ShopAPI(\(base), secrets redacted)" }
    package var debugDescription: String { description }
}

extension Config.OwnStatusBack: CustomStringConvertible, CustomDebugStringConvertible {
    package var description: String { "OwnStatusBack(\(url), secret redacted)" }
    package var debugDescription: String { description }
}
