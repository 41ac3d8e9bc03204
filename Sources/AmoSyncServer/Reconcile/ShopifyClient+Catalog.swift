import AmoSyncCore
import Foundation

/// Shopify's orders through the GraphQL Admin API: `orders(query: "updated_at:>'…'", sortKey:
/// UPDATED_AT, reverse: true)`, 100 a page with only the number, status and time, cursor paging;
/// the orders amosync lacks then whole (`nodes(ids:)`, 5 a request: a query may cost at most
/// 1,000 points), in the REST resource's shape that the webhook carries.
extension ShopifyClient: ShopCatalog {
    static let changedQuery = """
        query AmosyncChanged($query: String!, $after: String) { orders(first: 100, after: $after, sortKey: UPDATED_AT, \
        reverse: true, query: $query) { pageInfo { hasNextPage endCursor } \
        nodes { legacyResourceId number updatedAt cancelledAt displayFinancialStatus } } }
        """
    static let ordersQuery = """
        query AmosyncOrders($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { \(ShopifyGraphQLOrder.fields) } } }
        """
    /// A page: 2 + 100 objects.
    static let pageCost = 102.0
    /// One whole order: itself, its customer and addresses, 50 lines with their products, 5
    /// shipping lines (Shopify's estimate: objects 1, connections 2 + their first).
    static let orderCost = 112.0
    static let wholeBatch = 5

    func changedOrders(since: Date, after: String?) async throws(ShopError) -> ShopOrderPage {
        var variables: [String: JSONValue] = ["query": .string("updated_at:>'\(Reconciler.format(since))'")]
        if let after { variables["after"] = .string(after) }
        let data = try await session.run(Self.changedQuery, variables: variables, cost: Self.pageCost, label: label + " orders")
        guard let connection = data["orders"], let nodes = connection["nodes"]?.arrayValue else {
            throw ShopError(kind: .transient, request: label + " orders", status: 200, detail: "the answer has no orders")
        }
        let listed = nodes.compactMap { node -> ListedOrder? in
            guard let id = node["legacyResourceId"]?.textValue, let number = Mapper.identifier(node["number"]) else { return nil }
            return ListedOrder(
                externalID: number, platformID: id, status: ShopifyGraphQLOrder.status(node),
                modified: node["updatedAt"]?.stringValue.flatMap(Reconciler.parse))
        }
        let more = connection["pageInfo"]?["hasNextPage"]?.boolValue == true
        return ShopOrderPage(orders: listed, next: more ? connection["pageInfo"]?["endCursor"]?.stringValue : nil, total: nil)
    }

    func orders(_ listed: [ListedOrder]) async throws(ShopError) -> [JSONValue] {
        let ids = listed.compactMap(\.platformID).map { "gid://shopify/Order/\($0)" }
        var nodes: [JSONValue] = []
        for batch in ids.chunks(of: Self.wholeBatch) {
            let data = try await session.run(
                Self.ordersQuery, variables: ["ids": .array(batch.map(JSONValue.string))], cost: Self.orderCost * Double(batch.count),
                label: label + " nodes")
            nodes += (data["nodes"]?.arrayValue ?? []).filter { $0 != .null }.map(ShopifyGraphQLOrder.restShape)
        }
        return nodes
    }
}
