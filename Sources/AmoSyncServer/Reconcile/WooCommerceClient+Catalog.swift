import AmoSyncCore
import Foundation

/// WooCommerce's lists: `GET /wp-json/wc/v3/orders?modified_after=…&orderby=modified&order=desc`,
/// 100 a page (its largest) with only `id`, `status` and `date_modified_gmt` (WordPress's
/// `_fields`), the orders amosync lacks then whole (`include=…`), and `GET|PUT
/// /wp-json/wc/v3/webhooks`.
extension WooCommerceClient: ShopCatalog {
    static let pageSize = 100

    func changedOrders(since: Date, after: String?) async throws(ShopError) -> ShopOrderPage {
        let page = after.flatMap(Int.init) ?? 1
        let query = [
            "modified_after=\(WooCommerceAdapter.gmtText(since))", "dates_are_gmt=true", "orderby=modified", "order=desc",
            "per_page=\(Self.pageSize)",
            "page=\(page)", "_fields=id,status,date_modified_gmt",
        ].joined(separator: "&")
        let (json, response) = try await exchange("GET", "orders", query: query, body: nil)
        guard let items = json.arrayValue else {
            throw ShopError(
                kind: .transient, request: Self.label("GET", "orders"), status: response.status, detail: "the answer is not a list")
        }
        let pages = response.header("X-WP-TotalPages").flatMap(Int.init) ?? page
        return ShopOrderPage(
            orders: items.compactMap { item in
                Mapper.identifier(item["id"]).map {
                    ListedOrder(
                        externalID: $0, platformID: nil, status: item["status"]?.stringValue,
                        modified: item["date_modified_gmt"]?.stringValue.flatMap(WooCommerceAdapter.gmtDate))
                }
            }, next: page < pages && !items.isEmpty ? "\(page + 1)" : nil, total: response.header("X-WP-Total").flatMap(Int.init))
    }

    func orders(_ listed: [ListedOrder]) async throws(ShopError) -> [JSONValue] {
        let ids = listed.map(\.externalID)
        var bodies: [JSONValue] = []
        for chunk in ids.chunks(of: Self.pageSize) {
            let include = chunk.map(Self.escaped).joined(separator: ",")
            let (json, _) = try await exchange("GET", "orders", query: "include=\(include)&per_page=\(Self.pageSize)", body: nil)
            // Only the asked ids count (a shop or proxy that drops `include` answers with others).
            let wanted = Set(chunk)
            var got = Set<String>()
            for body in json.arrayValue ?? [] {
                guard let id = Mapper.identifier(body["id"]), wanted.contains(id), got.insert(id).inserted else { continue }
                bodies.append(body)
            }
            // One by one whatever the list did not give (an order deleted meanwhile answers 404: skipped).
            for id in chunk where !got.contains(id) {
                do { bodies.append(try await call("GET", "orders/\(Self.escaped(id))", body: nil)) } catch  where error.status == 404 {
                    continue
                }
            }
        }
        return bodies
    }

    func webhooks() async throws(ShopError) -> [ShopWebhook] {
        let json = try await call("GET", "webhooks?per_page=100", body: nil)
        return (json.arrayValue ?? []).compactMap(Self.webhook)
    }

    func repair(_ topic: String, hook: ShopWebhook?, url: String?) async throws(ShopError) -> ShopWebhook? {
        guard let hook else { return nil }
        let json = try await call("PUT", "webhooks/\(Self.escaped(hook.id))", body: ["status": "active"])
        guard let enabled = Self.webhook(json) else {
            throw ShopError(kind: .transient, request: Self.label("PUT", "webhooks/1"), status: 200, detail: "the answer is not a webhook")
        }
        return enabled
    }

    static func webhook(_ json: JSONValue) -> ShopWebhook? {
        guard let id = Mapper.identifier(json["id"]), let topic = json["topic"]?.stringValue else { return nil }
        return ShopWebhook(
            id: id, topic: topic, status: json["status"]?.stringValue ?? "", deliveryURL: json["delivery_url"]?.stringValue ?? "")
    }
}
