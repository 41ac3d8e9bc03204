import AmoSyncCore
import Foundation

/// Where an order's status is written: a shop's API or its own backend.
protocol ShopClient: Sendable {
    /// The order's status as the shop holds it now, as far as it bears on `wanted` (the status
    /// the lead's stage asks for): `wanted` itself when the order already has it. Nil when the
    /// shop cannot be asked (its own backend), and amosync goes by what it knows.
    func currentStatus(of order: ShopOrder, wanted: String) async throws(ShopError) -> String?
    /// Sets the order's status, saying which stage of which lead asked for it.
    func write(_ status: String, order: ShopOrder, change: AppliedStage) async throws(ShopError)
    /// The status the shop's own webhook reports once `status` is written: what the ledger
    /// keeps, so that the echo does not move the lead.
    func reported(after status: String) -> String
}

extension ShopClient {
    func reported(after status: String) -> String { status }
}

/// An order as a shop's API addresses it: amosync's id (the order's number) and, where the
/// API uses another, that one (Shopify's numeric order id, `shopify_id` in the order).
struct ShopOrder: Sendable {
    var externalID: String
    var platformID: String?
}

/// The lead's stage as amoCRM holds it, which a write carries to the shop.
struct AppliedStage: Sendable {
    var leadID: Int
    var statusID: Int
    var pipelineID: Int?
    var changedAt: Date
    /// Where a person opens the lead.
    var leadURL: String
}

/// Which shop a source writes to, and its map.
struct StatusBackTarget: Sendable {
    var map: [Int: String]
    var client: any ShopClient

    /// The target of the orders of `source` (`orders` is `POST /v1/orders`, the own backend);
    /// nil when that source writes nothing back.
    static func of(source: String, config: Config, shops: ShopAPIs) async -> StatusBackTarget? {
        if let settings = config.sources[source] {
            guard !settings.statusBack.isEmpty, let client = await shops.client(source, config: config) else { return nil }
            return StatusBackTarget(map: settings.statusBack, client: client)
        }
        guard source == "orders", let own = config.orders.statusBack else { return nil }
        return StatusBackTarget(map: own.map, client: OwnBackendClient(settings: own, transport: shops.transport))
    }
}

/// The shops' APIs: the client of a source's `api` (WooCommerce REST, Shopify GraphQL), with
/// Shopify's tokens and cost buckets kept from one use to the next.
struct ShopAPIs: Sendable {
    let transport: any HTTPTransport
    let shopify: ShopifySessions

    init(transport: any HTTPTransport, clock: any TimeSource) {
        self.transport = transport
        self.shopify = ShopifySessions(transport: transport, clock: clock)
    }

    /// The client of `source`'s API; nil when it has none.
    func client(_ source: String, config: Config) async -> (any ShopClient & ShopCatalog)? {
        guard let settings = config.sources[source], let api = settings.api else { return nil }
        switch settings.type {
        case "woocommerce": return WooCommerceClient(source: source, api: api, transport: transport)
        case "shopify": return ShopifyClient(session: await shopify.session(source: source, api: api))
        default: return nil
        }
    }
}

extension HTTPTransport {
    /// Sends a request to a shop; any answer comes back, no answer is a transient `ShopError`.
    func shop(_ request: OutgoingRequest, label: String) async throws(ShopError) -> IncomingResponse {
        do { return try await send(request) } catch {
            throw ShopError(kind: .transient, request: label, status: nil, detail: "\(error)")
        }
    }
}
