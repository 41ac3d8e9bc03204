import AmoSyncCore
import Foundation

/// Orders as Shopify's GraphQL Admin API lists them: `orders(first:, after:, sortKey: UPDATED_AT,
/// reverse:, query: "updated_at:>'…'")` with cursor paging, and `nodes(ids:)` — each order built
/// from the REST resource the fake keeps, in GraphQL's names.
extension FakeShopifyShop {
    /// `orders`: newest change first with `reverse: true`, after the cursor, filtered by the
    /// `updated_at:>'…'` term of `query`.
    func ordersConnection(_ query: String, variables: [String: JSONValue]) -> JSONValue {
        let first = Self.argument("first", in: query).flatMap(Int.init) ?? 50
        let reverse = Self.argument("reverse", in: query) == "true"
        var after: String?
        if let filter = variables["query"]?.stringValue, let range = filter.range(of: "updated_at:>") {
            after = filter[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")).replacingOccurrences(
                of: "Z", with: "")
        }
        var keyed = orders.compactMap { id, order -> (key: String, order: JSONValue)? in
            let updated = (order["updated_at"]?.stringValue ?? "").replacingOccurrences(of: "Z", with: "")
            if let after, updated <= String(after.prefix(19)) { return nil }
            return (updated + "|" + String(format: "%012d", id), order)
        }
        keyed.sort { reverse ? $0.key > $1.key : $0.key < $1.key }
        if let cursor = variables["after"]?.stringValue.flatMap({ Data(base64Encoded: $0) }).map({ String(decoding: $0, as: UTF8.self) }) {
            keyed.removeAll { reverse ? $0.key >= cursor : $0.key <= cursor }
        }
        let page = keyed.prefix(first)
        let end = page.last.map { Data($0.key.utf8).base64EncodedString() }
        return [
            "pageInfo": ["hasNextPage": .bool(keyed.count > first), "endCursor": end.map(JSONValue.string) ?? .null],
            "nodes": .array(page.map { Self.node($0.order) }),
        ]
    }

    /// `nodes(ids:)`: the orders among them (null for an id that is not one).
    func nodes(_ ids: [JSONValue]) -> JSONValue {
        .array(ids.map { id in Self.number(id.stringValue).flatMap { orders[$0] }.map(Self.node) ?? .null })
    }

    /// An inline argument of the root field: `first: 100` → "100".
    static func argument(_ name: String, in query: String) -> String? {
        guard let range = query.range(of: "\(name):") else { return nil }
        let rest = query[range.upperBound...].drop { $0 == " " }
        let value = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return value.isEmpty ? nil : String(value)
    }

    /// The REST order in GraphQL's names and shapes.
    static func node(_ order: JSONValue) -> JSONValue {
        func money(_ amount: JSONValue?) -> JSONValue {
            ["shopMoney": ["amount": amount ?? "0.00", "currencyCode": order["currency"] ?? .null]]
        }
        /// REST's `{"shop_money": {"amount", "currency_code"}, "presentment_money": …}` as a MoneyBag.
        func bag(_ set: JSONValue?) -> JSONValue? {
            guard let set, set != .null else { return nil }
            func side(_ rest: String) -> JSONValue {
                ["amount": set[rest]?["amount"] ?? .null, "currencyCode": set[rest]?["currency_code"] ?? .null]
            }
            return ["shopMoney": side("shop_money"), "presentmentMoney": side("presentment_money")]
        }
        func address(_ place: JSONValue?) -> JSONValue {
            guard let place, place != .null else { return .null }
            return [
                "firstName": place["first_name"] ?? .null, "lastName": place["last_name"] ?? .null, "company": place["company"] ?? .null,
                "phone": place["phone"] ?? .null, "address1": place["address1"] ?? .null, "address2": place["address2"] ?? .null,
                "city": place["city"] ?? .null, "zip": place["zip"] ?? .null, "province": place["province"] ?? .null,
                "country": place["country"] ?? .null, "countryCodeV2": place["country_code"] ?? .null,
            ]
        }
        let customer = order["customer"] ?? .null
        var lines: [JSONValue] = []
        for line in order["line_items"]?.arrayValue ?? [] {
            var item: [String: JSONValue] = ["name": line["name"] ?? .null, "title": line["title"] ?? .null]
            item["variantTitle"] = line["variant_title"] ?? .null
            item["quantity"] = line["quantity"] ?? .null
            item["sku"] = line["sku"] ?? .null
            item["originalUnitPriceSet"] = money(line["price"])
            item["product"] = ["legacyResourceId": .string(line["product_id"]?.textValue ?? "")]
            item["customAttributes"] = .array(
                (line["properties"]?.arrayValue ?? []).map { ["key": $0["name"] ?? .null, "value": $0["value"] ?? .null] })
            lines.append(.object(item))
        }
        var node: [String: JSONValue] = [
            "id": .string("gid://shopify/Order/\(order["id"]?.textValue ?? "")"), "legacyResourceId": .string(order["id"]?.textValue ?? ""),
            "number": order["order_number"] ?? .null, "name": order["name"] ?? .null, "email": order["email"] ?? .null,
            "phone": order["phone"] ?? .null, "note": order["note"] ?? .null,
            "tags": .array(tags(order["tags"]?.stringValue).map(JSONValue.string)), "createdAt": order["created_at"] ?? .null,
            "updatedAt": order["updated_at"] ?? .null, "cancelledAt": order["cancelled_at"] ?? .null,
            "closedAt": order["closed_at"] ?? .null,
            "displayFinancialStatus": .string((order["financial_status"]?.stringValue ?? "pending").uppercased()),
            "displayFulfillmentStatus": .string((order["fulfillment_status"]?.stringValue ?? "unfulfilled").uppercased()),
            "currencyCode": order["currency"] ?? .null, "presentmentCurrencyCode": order["presentment_currency"] ?? .null,
            "paymentGatewayNames": order["payment_gateway_names"] ?? [], "discountCodes": [],
            "totalPriceSet": bag(order["total_price_set"]) ?? money(order["total_price"]),
            "totalDiscountsSet": money(order["total_discounts"]),
            "billingAddress": address(order["billing_address"]), "shippingAddress": address(order["shipping_address"]),
            "customAttributes": .array(
                (order["note_attributes"]?.arrayValue ?? []).map { ["key": $0["name"] ?? .null, "value": $0["value"] ?? .null] }),
            "lineItems": ["nodes": .array(lines)],
        ]
        node["customer"] =
            customer == .null
            ? .null
            : [
                "legacyResourceId": .string(customer["id"]?.textValue ?? ""), "firstName": customer["first_name"] ?? .null,
                "lastName": customer["last_name"] ?? .null, "defaultEmailAddress": ["emailAddress": customer["email"] ?? .null],
                "defaultPhoneNumber": ["phoneNumber": customer["phone"] ?? .null],
            ]
        node["shippingLines"] = [
            "nodes": .array(
                (order["shipping_lines"]?.arrayValue ?? []).map { ["title": $0["title"] ?? .null, "originalPriceSet": money($0["price"])] })
        ]
        return .object(node)
    }
}
