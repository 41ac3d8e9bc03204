import AmoSyncCore
import Foundation

/// The GraphQL operations the fake knows, found by their root field, with their variables
/// checked as Shopify's schema types them.
extension FakeShopifyShop {
    static let cancelReasons: Set<String> = ["CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"]

    func graphQL(_ query: String, variables: [String: JSONValue]) -> JSONValue {
        guard let field = Self.rootField(query) else { return Self.failure("syntax error, unexpected end of file") }
        let mutation = query.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("mutation")
        let requested: Double
        switch (field, mutation) {
        case ("order", false): requested = 1
        case ("webhookSubscriptions", false): requested = 102
        case ("orders", false): requested = 2 + Double(Self.argument("first", in: query).flatMap(Int.init) ?? 50)
        case ("nodes", false): requested = 112 * Double(variables["ids"]?.arrayValue?.count ?? 0)
        case ("orderClose", true), ("orderCancel", true), ("tagsAdd", true), ("webhookSubscriptionCreate", true): requested = 10
        default: return Self.failure("Field '\(field)' doesn't exist on type '\(mutation ? "Mutation" : "QueryRoot")'")
        }
        if let problem = Self.invalidVariable(field, variables) {
            return Self.failure("Variable $\(problem.name) of type \(problem.type) was provided invalid value")
        }
        // A single query may cost at most 1,000 points, whatever the bucket holds.
        guard requested <= 1000 else {
            counts.maxCostExceeded += 1
            return [
                "errors": [
                    [
                        "message": .string("Query cost is \(Int(requested)), which exceeds the single query max cost limit (1000)."),
                        "extensions": ["code": "MAX_COST_EXCEEDED", "cost": .number(JSONNumber(requested)), "maxCost": 1000],
                    ]
                ]
            ]
        }
        refill()
        guard available >= requested else {
            counts.throttled += 1
            return [
                "errors": [
                    [
                        "message": "Throttled",
                        "extensions": ["code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"],
                    ]
                ],
                "extensions": cost(requested: requested, actual: nil),
            ]
        }
        available -= requested
        let data: JSONValue
        var actual = requested
        switch field {
        case "webhookSubscriptions":
            data = ["webhookSubscriptions": ["nodes": .array(subscriptions.map(Self.subscriptionNode))]]
            actual = Double(2 + subscriptions.count)
            available += requested - actual
        case "webhookSubscriptionCreate": data = ["webhookSubscriptionCreate": subscribe(variables)]
        case "orders":
            let connection = ordersConnection(query, variables: variables)
            data = ["orders": connection]
            actual = 2 + Double(connection["nodes"]?.arrayValue?.count ?? 0)
            available += requested - actual
        case "nodes":
            // Charged as requested, refunded to what came back (Shopify's `actualQueryCost`): an
            // order, its customer and 2 addresses, 2 + 2 a line (with its product), 2 + 1 a shipping line.
            let found = nodes(variables["ids"]?.arrayValue ?? [])
            data = ["nodes": found]
            actual = (found.arrayValue ?? []).reduce(1) { total, node in
                let lines = Double(node["lineItems"]?["nodes"]?.arrayValue?.count ?? 0)
                let shipping = Double(node["shippingLines"]?["nodes"]?.arrayValue?.count ?? 0)
                return total + (node == .null ? 0 : 4 + 2 + 2 * lines + 2 + shipping)
            }
            available += requested - actual
        case "order": data = ["order": orderNode(variables["id"]?.stringValue)]
        case "orderClose": data = ["orderClose": close(variables["input"]?["id"]?.stringValue)]
        case "orderCancel": data = ["orderCancel": cancel(variables)]
        default: data = ["tagsAdd": addTags(variables["id"]?.stringValue, variables["tags"]?.arrayValue ?? [])]
        }
        return ["data": data, "extensions": cost(requested: requested, actual: actual)]
    }

    /// The first field inside the operation's selection: `orderClose` in `mutation X($input: …) { orderClose(…) {…} }`.
    static func rootField(_ query: String) -> String? {
        guard let brace = query.firstIndex(of: "{") else { return nil }
        let name = query[query.index(after: brace)...].drop { $0.isWhitespace }.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return name.isEmpty ? nil : String(name)
    }

    /// The first variable a field needs and did not get in its type.
    static func invalidVariable(_ field: String, _ variables: [String: JSONValue]) -> (name: String, type: String)? {
        func id(_ value: JSONValue?) -> Bool { value?.stringValue?.hasPrefix("gid://shopify/") == true }
        switch field {
        case "order": return id(variables["id"]) ? nil : ("id", "ID!")
        case "webhookSubscriptions", "orders": return nil
        case "nodes":
            return variables["ids"]?.arrayValue?.allSatisfy({ id($0) }) == true ? nil : ("ids", "[ID!]!")
        case "webhookSubscriptionCreate":
            if !webhookTopics.contains(variables["topic"]?.stringValue ?? "") { return ("topic", "WebhookSubscriptionTopic!") }
            return variables["webhookSubscription"]?["uri"]?.stringValue == nil ? ("webhookSubscription", "WebhookSubscriptionInput!") : nil
        case "orderClose": return id(variables["input"]?["id"]) ? nil : ("input", "OrderCloseInput!")
        case "tagsAdd":
            if !id(variables["id"]) { return ("id", "ID!") }
            let tags = variables["tags"]?.arrayValue
            return tags.map { $0.allSatisfy { $0.stringValue != nil } } == true ? nil : ("tags", "[String!]!")
        default:
            if !id(variables["orderId"]) { return ("orderId", "ID!") }
            if !Self.cancelReasons.contains(variables["reason"]?.stringValue ?? "") { return ("reason", "OrderCancelReason!") }
            if variables["restock"]?.boolValue == nil { return ("restock", "Boolean!") }
            if variables["refundMethod"]?.objectValue == nil, variables["refund"]?.boolValue == nil {
                return ("refundMethod", "OrderCancelRefundMethodInput!")
            }
            return nil
        }
    }

    static let webhookTopics: Set<String> = ["ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "ORDERS_DELETE", "ORDERS_PAID"]

    static func subscriptionNode(_ subscription: (id: Int, topic: String, uri: URL)) -> JSONValue {
        [
            "id": .string("gid://shopify/WebhookSubscription/\(subscription.id)"),
            "topic": .string(subscription.topic.replacingOccurrences(of: "/", with: "_").uppercased()),
            "uri": .string(subscription.uri.absoluteString),
        ]
    }

    /// `webhookSubscriptionCreate`: an https address (Shopify refuses plain http), once a topic.
    func subscribe(_ variables: [String: JSONValue]) -> JSONValue {
        let topic = (variables["topic"]?.stringValue ?? "").lowercased().replacingOccurrences(of: "_", with: "/")
        let uri = variables["webhookSubscription"]?["uri"]?.stringValue ?? ""
        func refused(_ message: String) -> JSONValue {
            [
                "webhookSubscription": .null,
                "userErrors": [["field": ["webhookSubscription", "callbackUrl"], "message": .string(message)]],
            ]
        }
        guard let url = URL(string: uri), url.scheme == "https", url.host != nil else {
            return refused("Address protocol \(URL(string: uri)?.scheme ?? "") is not supported")
        }
        guard !subscriptions.contains(where: { $0.topic == topic && $0.uri == url }) else {
            return refused("Address for this topic has already been taken")
        }
        lastSubscription += 1
        let subscription = (id: lastSubscription, topic: topic, uri: url)
        subscriptions.append(subscription)
        return ["webhookSubscription": Self.subscriptionNode(subscription), "userErrors": []]
    }

    static func failure(_ message: String) -> JSONValue {
        ["errors": [["message": .string(message), "locations": [["line": 1, "column": 1]]]]]
    }

    static func number(_ gid: String?) -> Int? {
        gid.flatMap { $0.hasPrefix("gid://shopify/Order/") ? Int($0.dropFirst("gid://shopify/Order/".count)) : nil }
    }

    func orderNode(_ gid: String?) -> JSONValue {
        guard let id = Self.number(gid), let order = orders[id] else { return .null }
        return [
            "id": .string("gid://shopify/Order/\(id)"), "closed": .bool(order["closed_at"] != .null),
            "closedAt": order["closed_at"] ?? .null, "cancelledAt": order["cancelled_at"] ?? .null,
            "tags": .array(Self.tags(order["tags"]?.stringValue).map(JSONValue.string)),
            "displayFinancialStatus": .string(order["financial_status"]?.stringValue?.uppercased() ?? "PENDING"),
        ]
    }

    func close(_ gid: String?) -> JSONValue {
        guard let id = Self.number(gid), orders[id] != nil else {
            return ["order": .null, "userErrors": [["field": ["id"], "message": "Order does not exist"]]]
        }
        if orders[id]?["closed_at"] == .null {
            counts.closes += 1
            change(id) { $0["closed_at"] = .string(Self.time(Date())) }
        }
        return ["order": ["id": .string("gid://shopify/Order/\(id)"), "closed": true], "userErrors": []]
    }

    func cancel(_ variables: [String: JSONValue]) -> JSONValue {
        guard let id = Self.number(variables["orderId"]?.stringValue), let order = orders[id] else {
            return [
                "job": .null, "orderCancelUserErrors": [["field": ["orderId"], "message": "Order does not exist", "code": "NOT_FOUND"]],
            ]
        }
        guard order["cancelled_at"] == .null else {
            return [
                "job": .null,
                "orderCancelUserErrors": [["field": ["orderId"], "message": "Order has already been cancelled", "code": "INVALID"]],
            ]
        }
        counts.cancels += 1
        if let note = variables["staffNote"]?.stringValue { staffNotes[id, default: []].append(note) }
        let refund = variables["refundMethod"]?["originalPaymentMethodsRefund"]?.boolValue ?? variables["refund"]?.boolValue ?? false
        change(id, topics: ["orders/cancelled", "orders/updated"]) { order in
            let now = Self.time(Date())
            order["cancelled_at"] = .string(now)
            order["closed_at"] = .string(now)
            order["cancel_reason"] = .string(variables["reason"]?.stringValue?.lowercased() ?? "other")
            if refund, order["financial_status"] == "paid" { order["financial_status"] = "refunded" }
        }
        return ["job": ["id": .string("gid://shopify/Job/\(UUID().uuidString.lowercased())"), "done": false], "orderCancelUserErrors": []]
    }

    func addTags(_ gid: String?, _ tags: [JSONValue]) -> JSONValue {
        guard let id = Self.number(gid), orders[id] != nil else {
            return ["node": .null, "userErrors": [["field": ["id"], "message": "Order does not exist"]]]
        }
        var current = Self.tags(orders[id]?["tags"]?.stringValue)
        let new = tags.compactMap(\.stringValue).filter { tag in !current.contains { $0.lowercased() == tag.lowercased() } }
        if !new.isEmpty {
            counts.tagsAdded += 1
            current += new
            change(id) { $0["tags"] = .string(current.joined(separator: ", ")) }
        }
        return ["node": ["id": .string("gid://shopify/Order/\(id)")], "userErrors": []]
    }

    /// Changes an order and tells the webhook (`orders/updated`, or the topics given).
    func change(_ id: Int, topics: [String] = ["orders/updated"], _ edit: (inout [String: JSONValue]) -> Void) {
        guard case .object(var order) = orders[id] else { return }
        edit(&order)
        order["updated_at"] = .string(Self.time(Date()))
        orders[id] = .object(order)
        for topic in topics { deliver(topic, .object(order)) }
    }

    static func time(_ date: Date) -> String { FakeWooShop.timestamp(date) + "Z" }

    /// An order in the REST resource's documented shape, as `orders/create` carries it.
    static func order(
        id: Int, number: Int, name: String, phone: String, email: String, financialStatus: String, at date: Date
    ) -> JSONValue {
        let time = time(date)
        let names = name.split(separator: " ", maxSplits: 1).map(String.init)
        let address: JSONValue = [
            "first_name": .string(names.first ?? name), "last_name": .string(names.count > 1 ? names[1] : ""), "address1": "Lenina 5",
            "address2": "", "city": "Perm", "province": "", "country": "Russia", "zip": "614000", "phone": .string(phone),
            "country_code": "RU", "province_code": .null, "company": .null, "name": .string(name),
        ]
        return [
            "id": .number(JSONNumber(id)), "admin_graphql_api_id": .string("gid://shopify/Order/\(id)"), "app_id": 580111,
            "browser_ip": "203.0.113.7", "buyer_accepts_marketing": false, "cancel_reason": .null, "cancelled_at": .null,
            "closed_at": .null, "confirmed": true, "contact_email": .string(email), "created_at": .string(time), "currency": "RUB",
            "email": .string(email), "financial_status": .string(financialStatus), "fulfillment_status": .null, "gateway": "manual",
            "landing_site": "/?utm_source=newsletter", "name": .string("#\(number)"), "note": .null, "note_attributes": [],
            "number": .number(JSONNumber(number - 1000)), "order_number": .number(JSONNumber(number)), "payment_gateway_names": ["manual"],
            "phone": .string(phone), "presentment_currency": "RUB", "processed_at": .string(time), "referring_site": "",
            "source_name": "web", "subtotal_price": "5100.00", "tags": "", "taxes_included": false, "test": false,
            "total_discounts": "0.00", "total_price": "5490.00", "total_tax": "0.00", "updated_at": .string(time),
            "billing_address": address, "shipping_address": address,
            "customer": [
                "id": .number(JSONNumber(id + 7_000_000)), "email": .string(email), "first_name": .string(names.first ?? name),
                "last_name": .string(names.count > 1 ? names[1] : ""), "phone": .string(phone), "currency": "RUB",
            ],
            "line_items": [
                [
                    "id": .number(JSONNumber(id * 10)), "name": "Kettle - Steel", "title": "Kettle", "variant_title": "Steel",
                    "price": "5100.00", "quantity": 1, "sku": "K-77", "product_id": 632_910_392, "variant_id": 39_072_856,
                    "properties": [], "requires_shipping": true, "taxable": true, "total_discount": "0.00", "vendor": .null,
                ]
            ],
            "shipping_lines": [["id": .number(JSONNumber(id * 10 + 1)), "title": "Courier", "price": "390.00", "code": "courier"]],
        ]
    }
}
