import Foundation
@testable import AmoSyncCore
@testable import TestFixtures
@testable import ShopFakes

/// The fake WooCommerce shop (and a fake Shopify shop, when given) on a loopback port, for one test.
final class RunningShop: Sendable {
    static let consumerKey = "ck_4f1a0e1b2c3d4e5f60718293a4b5c6d7e8f90123"
    static let consumerSecret = "cs_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807"
    static let webhookSecret = "wc-webhook-secret-0123456789"
    static let shopifyToken = "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"
    static let shopifyClientID = "4f1a0e1b2c3d4e5f60718293a4b5c6d7"
    static let shopifyClientSecret = "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"
    let woo: FakeWooShop
    let shopify: FakeShopifyShop?
    let port: Int
    let task: Task<Void, any Error>

    init(woo: FakeWooShop, shopify: FakeShopifyShop?, port: Int, task: Task<Void, any Error>) {
        self.woo = woo
        self.shopify = shopify
        self.port = port
        self.task = task
    }

    static func start(shopify: FakeShopifyShop? = nil) async throws -> RunningShop {
        let woo = FakeWooShop(consumerKey: consumerKey, consumerSecret: consumerSecret)
        let box = PortBox()
        let app = FakeShopServer.application(woo: woo, shopify: shopify, logger: quietLogger()) { await box.set($0) }
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        return RunningShop(woo: woo, shopify: shopify, port: await box.wait(), task: task)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `sources.woo` for a daemon that takes this shop's webhooks and writes statuses back.
    func source(statusBack: [String: String], reconcileMinutes: Int? = nil) -> JSONValue {
        var source = wooSource(statusBack: statusBack)
        if let reconcileMinutes { source.set("reconcile_minutes", .number(JSONNumber(reconcileMinutes))) }
        return source
    }

    private func wooSource(statusBack: [String: String]) -> JSONValue {
        [
            "type": "woocommerce", "secret": .string(Self.webhookSecret),
            "api": [
                "url": "https://shop.example", "base_url": .string(baseURL), "consumer_key": .string(Self.consumerKey),
                "consumer_secret": .string(Self.consumerSecret),
            ],
            "status_back": .object(statusBack.mapValues { .string($0) }),
        ]
    }

    /// `sources.shop` for this Shopify shop: the static token, or the client credentials.
    func shopifySource(
        statusBack: [String: String], clientCredentials: Bool = false, clientSecret: String = shopifyClientSecret
    )
        -> JSONValue
    {
        var api: [String: JSONValue] = ["shop": "example.myshopify.com", "base_url": .string(baseURL)]
        if clientCredentials {
            api["client_id"] = .string(Self.shopifyClientID)
            api["client_secret"] = .string(clientSecret)
        } else {
            api["access_token"] = .string(Self.shopifyToken)
        }
        return [
            // Not looked at on a schedule: the tests count Shopify's requests.
            "type": "shopify", "secret": .string(Self.webhookSecret), "api": .object(api), "reconcile_minutes": 0,
            "status_back": .object(statusBack.mapValues { .string($0) }),
        ]
    }

    deinit { task.cancel() }
}
