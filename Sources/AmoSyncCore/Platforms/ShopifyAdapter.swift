import Foundation

/// A Shopify `orders/create` (or `orders/updated`) webhook translated into amosync's order body.
/// Every text is read plain (`PlatformText`).
package enum ShopifyAdapter {
    /// The status of a cancelled order (the financial status of any other).
    package static let cancelled = "cancelled"

    package static func order(_ body: JSONValue) throws(MappingError) -> JSONValue {
        let shop = PlatformText.cleaned(body)
        guard case .object = shop, let shopifyID = Mapper.identifier(shop["id"]) else {
            throw MappingError(path: "id", problem: "a Shopify order with an id was expected")
        }
        let id = Mapper.identifier(shop["order_number"]) ?? shopifyID
        let customer = shop["customer"]?.objectValue ?? [:]
        let billing = shop["billing_address"]?.objectValue ?? [:]
        let shipping = shop["shipping_address"]?.objectValue ?? [:]
        let text = WebhookText.field
        let name = [text(customer, "first_name") ?? text(billing, "first_name"), text(customer, "last_name") ?? text(billing, "last_name")]
            .compactMap { $0 }.joined(separator: " ")
        var person: [String: JSONValue] = [:]
        if !name.isEmpty { person["name"] = .string(name) }
        if let phone = shop["phone"]?.textValue.flatMap({ $0.isEmpty ? nil : $0 }) ?? text(customer, "phone") ?? text(shipping, "phone")
            ?? text(billing, "phone")
        {
            person["phone"] = .string(phone)
        }
        if let email = shop["email"]?.textValue.flatMap({ $0.isEmpty ? nil : $0 }) ?? text(customer, "email") {
            person["email"] = .string(email)
        }
        let place = shipping.isEmpty ? billing : shipping
        let address = WebhookText.address(
            place, fields: [("city", "city"), ("postcode", "zip"), ("country", "country"), ("state", "province")],
            streetLines: ["address1", "address2"])
        let items: [JSONValue] = (shop["line_items"]?.arrayValue ?? []).map { line in
            // `name` is the title with the variant the buyer picked ("Example T-Shirt - Small").
            let name = line["name"]?.textValue.flatMap { $0.trimmed.isEmpty ? nil : $0 } ?? line["title"]?.textValue ?? ""
            var item: [String: JSONValue] = ["name": .string(name + properties(line))]
            item["quantity"] = line["quantity"].map(WebhookText.number)
            item["price"] = line["price"].map(WebhookText.number)
            if let product = Mapper.identifier(line["product_id"]) { item["id"] = .string(product) }
            if let sku = line["sku"]?.textValue, !sku.isEmpty { item["sku"] = .string(sku) }
            return .object(item)
        }
        var order: [String: JSONValue] = [
            "id": .string(id), "shopify_id": .string(shopifyID), "customer": .object(person),
            "items": .array(items), "source": "shopify",
        ]
        if !address.isEmpty { order["address"] = .object(address) }
        if let country = text(shipping, "country_code") ?? text(billing, "country_code") ?? text(customer, "country_code") {
            person["country"] = .string(country)
            order["customer"] = .object(person)
        }
        order["total"] = shop["total_price"].map(WebhookText.number)
        if let paid = customerTotal(shop) { order["customer_total"] = paid }
        if let discount = shop["total_discounts"]?.decimalValue, discount > 0 { order["discount"] = .number(JSONNumber(discount)) }
        let coupons = (shop["discount_codes"]?.arrayValue ?? []).compactMap { WebhookText.coupon(code: $0["code"], amount: $0["amount"]) }
        if !coupons.isEmpty { order["coupons"] = .array(coupons) }
        let gateways = (shop["payment_gateway_names"]?.arrayValue ?? []).compactMap { $0.textValue }.filter { !$0.isEmpty }
        if let payment = gateways.isEmpty ? text(shop.objectValue ?? [:], "gateway") : gateways.joined(separator: ", ") {
            order["payment"] = ["name": .string(payment)]
        }
        for (ours, theirs) in [
            ("currency", "currency"), ("status", "financial_status"), ("fulfillment_status", "fulfillment_status"),
            ("created_at", "created_at"), ("tags", "tags"), ("referring_site", "referring_site"),
        ] {
            if let value = shop[theirs]?.textValue, !value.isEmpty { order[ours] = .string(value) }
        }
        // A cancellation (orders/cancelled, or an update carrying cancelled_at) is the status `cancelled`.
        if shop["cancelled_at"]?.textValue?.isEmpty == false { order["status"] = .string(cancelled) }
        if let note = shop["note"]?.textValue, !note.trimmed.isEmpty { order["comment"] = .string(note) }
        let shippingLines = shop["shipping_lines"]?.arrayValue ?? []
        if !shippingLines.isEmpty {
            order["delivery"] = [
                "name": .string(shippingLines.compactMap { $0["title"]?.textValue }.joined(separator: ", ")),
                "cost": WebhookText.sum(shippingLines, "price"),
            ]
        }
        var utm: [String: JSONValue] = [:]
        if let landing = shop["landing_site"]?.textValue, let query = landing.split(separator: "?", maxSplits: 1).dropFirst().first {
            for (key, value) in BodyDecoder.parseURLEncoded(String(query))
            where key.hasPrefix("utm_") || ["gclid", "yclid", "fbclid"].contains(key) {
                utm[key] = .string(value)
            }
        }
        var attributes: [String: JSONValue] = [:]
        for attribute in shop["note_attributes"]?.arrayValue ?? [] {
            guard let key = attribute["name"]?.textValue, let value = attribute["value"]?.textValue else { continue }
            attributes[key] = .string(value)
            if key.lowercased().hasPrefix("utm_") || ["gclid", "yclid", "_ga"].contains(key.lowercased()) {
                utm[key.lowercased()] = .string(value)
            }
        }
        if !attributes.isEmpty { order["attributes"] = .object(attributes) }
        if !utm.isEmpty { order["utm"] = .object(utm) }
        return .object(order)
    }

    /// A line's custom properties as the admin shows them (`Engraving: Anna`); Shopify hides
    /// those whose name starts with `_`.
    static func properties(_ line: JSONValue) -> String {
        let shown = (line["properties"]?.arrayValue ?? []).compactMap { property -> String? in
            guard let name = property["name"]?.textValue?.trimmed, !name.isEmpty, !name.hasPrefix("_"),
                let value = property["value"]?.textValue?.trimmed, !value.isEmpty
            else { return nil }
            return "\(name): \(value)"
        }
        return shown.isEmpty ? "" : " – " + shown.joined(separator: ", ")
    }

    /// What the customer was charged in their own currency, when the shop sells in another
    /// (`presentment_currency`, `total_price_set.presentment_money`): a shop in EUR whose
    /// customer paid £142.32. The lead's price stays the shop's amount.
    static func customerTotal(_ shop: JSONValue) -> JSONValue? {
        guard let money = shop.value(at: "total_price_set.presentment_money"),
            let currency = money["currency_code"]?.textValue ?? shop["presentment_currency"]?.textValue,
            let amount = money["amount"]?.numberValue,
            currency.uppercased() != (shop["currency"]?.textValue ?? "").uppercased()
        else { return nil }
        return ["amount": .number(amount), "currency": .string(currency)]
    }
}
