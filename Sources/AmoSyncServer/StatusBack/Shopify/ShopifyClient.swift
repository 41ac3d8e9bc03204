import AmoSyncCore
import Foundation

/// Shopify's GraphQL Admin API (its REST API is legacy): the order read, then `close`
/// (`orderClose`), `cancel` (`orderCancel`: refunded to the original payment methods,
/// restocked, the customer not emailed, a staff note naming the stage) or `tag:TEXT`
/// (`tagsAdd`). Shopify's `userErrors` fail the job with Shopify's words.
struct ShopifyClient: ShopClient {
    let session: ShopifySession

    static let orderQuery = """
        query AmosyncOrder($id: ID!) { order(id: $id) { id closed cancelledAt tags displayFinancialStatus } }
        """
    static let closeMutation = """
        mutation AmosyncClose($input: OrderCloseInput!) { orderClose(input: $input) { order { id closed } userErrors { field message } } }
        """
    static let cancelMutation = """
        mutation AmosyncCancel($orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput!, \
        $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) { orderCancel(orderId: $orderId, reason: $reason, \
        refundMethod: $refundMethod, restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote) { job { id done } \
        orderCancelUserErrors { field message code } } }
        """
    static let tagsMutation = """
        mutation AmosyncTag($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }
        """
    /// What Shopify charges: an object is 1 point, a mutation 10.
    static let queryCost = 1.0
    static let mutationCost = 10.0

    var label: String { "POST /admin/api/\(session.api.version)/graphql.json" }

    /// `wanted` when the order already is so (closed, cancelled, tagged); else the status its
    /// webhook reports (`cancelled`, or the financial status: `paid`), which `status_map` reads.
    func currentStatus(of order: ShopOrder, wanted: String) async throws(ShopError) -> String? {
        let id = try Self.globalID(order, label: label)
        let data = try await session.run(Self.orderQuery, variables: ["id": .string(id)], cost: Self.queryCost, label: label + " order")
        guard let found = data["order"], found != .null else {
            throw ShopError(kind: .rejected, request: label + " order", status: 200, detail: "the shop has no order \(id)")
        }
        let status = ShopifyGraphQLOrder.status(found)
        let tags = (found["tags"]?.arrayValue ?? []).compactMap { $0.stringValue?.lowercased() }
        switch wanted {
        case "close" where found["closed"]?.boolValue == true, "cancel" where status == ShopifyAdapter.cancelled: return wanted
        case let tag where tag.hasPrefix("tag:") && tags.contains(String(tag.dropFirst(4)).lowercased()): return wanted
        default: return status
        }
    }

    func write(_ status: String, order: ShopOrder, change: AppliedStage) async throws(ShopError) {
        let id = try Self.globalID(order, label: label)
        let operation: String
        let data: JSONValue
        switch status {
        case "close":
            operation = "orderClose"
            data = try await session.run(
                Self.closeMutation, variables: ["input": ["id": .string(id)]], cost: Self.mutationCost, label: label + " " + operation)
        case "cancel":
            operation = "orderCancel"
            let note = "amoCRM: lead \(change.leadID) moved to stage \(change.statusID); amosync cancelled the order. \(change.leadURL)"
            data = try await session.run(
                Self.cancelMutation,
                variables: [
                    "orderId": .string(id), "reason": "OTHER", "refundMethod": ["originalPaymentMethodsRefund": true], "restock": true,
                    "notifyCustomer": false, "staffNote": .string(String(note.prefix(255))),
                ], cost: Self.mutationCost, label: label + " " + operation)
        default:
            operation = "tagsAdd"
            data = try await session.run(
                Self.tagsMutation, variables: ["id": .string(id), "tags": [.string(String(status.dropFirst(4)))]], cost: Self.mutationCost,
                label: label + " " + operation)
        }
        let payload = data[operation]
        let problems = (payload?["userErrors"]?.arrayValue ?? []) + (payload?["orderCancelUserErrors"]?.arrayValue ?? [])
        if !problems.isEmpty || payload == nil || payload == .null {
            let said = problems.compactMap { problem -> String? in
                guard let message = problem["message"]?.stringValue else { return nil }
                let field = (problem["field"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ".")
                return field.isEmpty ? message : "\(field): \(message)"
            }
            throw ShopError(
                kind: .rejected, request: label + " " + operation, status: 200,
                detail: said.isEmpty ? "Shopify answered without \(operation)" : RefererPolicy.printable(said.joined(separator: "; ")))
        }
    }

    /// Shopify's `orders/cancelled` and `orders/updated` report a cancelled order as `cancelled`;
    /// closing and tagging leave the reported status as it was.
    func reported(after status: String) -> String { status == "cancel" ? ShopifyAdapter.cancelled : status }

    /// `gid://shopify/Order/450789469`, from the order's Shopify id.
    static func globalID(_ order: ShopOrder, label: String) throws(ShopError) -> String {
        guard let id = order.platformID, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw ShopError(
                kind: .rejected, request: label, status: nil,
                detail: "order \(order.externalID) came without its Shopify id (shopify_id): it cannot be addressed in the API")
        }
        return "gid://shopify/Order/\(id)"
    }
}
