import Foundation

/// An order as Shopify's GraphQL Admin API gives it (`ShopifyGraphQLOrder.fields`), in the shape
/// of its REST resource — the shape of the `orders/create` webhook — so that `ShopifyAdapter`
/// reads an order found by reconciliation exactly as it reads one a webhook brought.
package enum ShopifyGraphQLOrder {
    /// The fields read, on `... on Order`.
    package static let fields = """
        legacyResourceId number name email phone note tags createdAt updatedAt cancelledAt closedAt \
        displayFinancialStatus displayFulfillmentStatus currencyCode presentmentCurrencyCode paymentGatewayNames discountCodes \
        totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } } \
        totalDiscountsSet { shopMoney { amount } } \
        customer { legacyResourceId firstName lastName defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } } \
        billingAddress { \(address) } shippingAddress { \(address) } customAttributes { key value } \
        lineItems(first: 50) { nodes { name title quantity sku variantTitle originalUnitPriceSet { shopMoney { amount } } \
        product { legacyResourceId } customAttributes { key value } } } \
        shippingLines(first: 5) { nodes { title originalPriceSet { shopMoney { amount } } } }
        """
    static let address = "firstName lastName company phone address1 address2 city zip province country countryCodeV2"

    /// The status the order's webhook carries into amosync (`ShopifyAdapter`): `cancelled`, else
    /// the financial status (`PAID` → `paid`), from a node with `cancelledAt` and `displayFinancialStatus`.
    package static func status(_ node: JSONValue) -> String? {
        if let cancelled = node["cancelledAt"], cancelled != .null { return ShopifyAdapter.cancelled }
        return node["displayFinancialStatus"]?.stringValue?.lowercased()
    }

    /// The REST resource's fields `ShopifyAdapter` reads, from the GraphQL node.
    package static func restShape(_ node: JSONValue) -> JSONValue {
        func money(_ set: JSONValue?, _ side: String = "shopMoney") -> JSONValue { set?[side]?["amount"] ?? .null }
        func pairs(_ list: JSONValue?) -> JSONValue {
            .array((list?.arrayValue ?? []).map { ["name": $0["key"] ?? .null, "value": $0["value"] ?? .null] })
        }
        var order: [String: JSONValue] = [
            "id": node["legacyResourceId"] ?? .null,
            "admin_graphql_api_id": .string("gid://shopify/Order/\(node["legacyResourceId"]?.textValue ?? "")"),
            "order_number": node["number"] ?? .null, "name": node["name"] ?? .null, "email": node["email"] ?? .null,
            "phone": node["phone"] ?? .null, "note": node["note"] ?? .null,
            "tags": .string((node["tags"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")),
            "created_at": node["createdAt"] ?? .null, "updated_at": node["updatedAt"] ?? .null,
            "cancelled_at": node["cancelledAt"] ?? .null, "closed_at": node["closedAt"] ?? .null,
            "financial_status": node["displayFinancialStatus"]?.stringValue.map { .string($0.lowercased()) } ?? .null,
            "currency": node["currencyCode"] ?? .null, "presentment_currency": node["presentmentCurrencyCode"] ?? .null,
            "total_price": money(node["totalPriceSet"]), "total_discounts": money(node["totalDiscountsSet"]),
            "total_price_set": [
                "shop_money": ["amount": money(node["totalPriceSet"]), "currency_code": node["currencyCode"] ?? .null],
                "presentment_money": [
                    "amount": money(node["totalPriceSet"], "presentmentMoney"),
                    "currency_code": node["totalPriceSet"]?["presentmentMoney"]?["currencyCode"] ?? .null,
                ],
            ],
            "payment_gateway_names": node["paymentGatewayNames"] ?? [],
            "discount_codes": .array((node["discountCodes"]?.arrayValue ?? []).map { ["code": $0] }),
            "note_attributes": pairs(node["customAttributes"]),
        ]
        if let fulfillment = node["displayFulfillmentStatus"]?.stringValue, fulfillment != "UNFULFILLED" {
            order["fulfillment_status"] = .string(fulfillment.lowercased())
        }
        if let customer = node["customer"], customer != .null {
            order["customer"] = [
                "id": customer["legacyResourceId"] ?? .null, "first_name": customer["firstName"] ?? .null,
                "last_name": customer["lastName"] ?? .null, "email": customer["defaultEmailAddress"]?["emailAddress"] ?? .null,
                "phone": customer["defaultPhoneNumber"]?["phoneNumber"] ?? .null,
            ]
        }
        for (rest, graph) in [("billing_address", "billingAddress"), ("shipping_address", "shippingAddress")] {
            guard let place = node[graph], place != .null else { continue }
            order[rest] = [
                "first_name": place["firstName"] ?? .null, "last_name": place["lastName"] ?? .null, "company": place["company"] ?? .null,
                "phone": place["phone"] ?? .null, "address1": place["address1"] ?? .null, "address2": place["address2"] ?? .null,
                "city": place["city"] ?? .null, "zip": place["zip"] ?? .null, "province": place["province"] ?? .null,
                "country": place["country"] ?? .null, "country_code": place["countryCodeV2"] ?? .null,
            ]
        }
        var lines: [JSONValue] = []
        for line in node["lineItems"]?["nodes"]?.arrayValue ?? [] {
            var item: [String: JSONValue] = ["name": line["name"] ?? .null, "title": line["title"] ?? .null]
            item["variant_title"] = line["variantTitle"] ?? .null
            item["quantity"] = line["quantity"] ?? .null
            item["sku"] = line["sku"] ?? .null
            item["price"] = money(line["originalUnitPriceSet"])
            item["product_id"] = line["product"]?["legacyResourceId"] ?? .null
            item["properties"] = pairs(line["customAttributes"])
            lines.append(.object(item))
        }
        order["line_items"] = .array(lines)
        var shipping: [JSONValue] = []
        for line in node["shippingLines"]?["nodes"]?.arrayValue ?? [] {
            shipping.append(.object(["title": line["title"] ?? .null, "price": money(line["originalPriceSet"])]))
        }
        order["shipping_lines"] = .array(shipping)
        return .object(order)
    }
}
