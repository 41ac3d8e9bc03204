import Foundation

/// A WooCommerce order webhook (REST API v3 order) translated into amosync's order body. Every
/// text is read plain (`PlatformText`): WooCommerce escapes titles, fees, coupons and meta for HTML.
package enum WooCommerceAdapter {
    package static func order(_ body: JSONValue) throws(MappingError) -> JSONValue {
        let woo = PlatformText.cleaned(body)
        guard case .object = woo, let id = Mapper.identifier(woo["id"]) else {
            throw MappingError(path: "id", problem: "a WooCommerce order with an id was expected")
        }
        let billing = woo["billing"]?.objectValue ?? [:]
        let shipping = woo["shipping"]?.objectValue ?? [:]
        let text = WebhookText.field
        let name = [text(billing, "first_name"), text(billing, "last_name")].compactMap { $0 }.joined(separator: " ")
        var customer: [String: JSONValue] = [:]
        if !name.isEmpty { customer["name"] = .string(name) }
        if let phone = text(billing, "phone") ?? text(shipping, "phone") { customer["phone"] = .string(phone) }
        if let email = text(billing, "email") { customer["email"] = .string(email) }
        if let company = text(billing, "company") { customer["company"] = .string(company) }
        if let country = text(billing, "country") ?? text(shipping, "country") { customer["country"] = .string(country) }
        let place = text(shipping, "city") != nil ? shipping : billing
        let address = WebhookText.address(
            place, fields: [("city", "city"), ("postcode", "postcode"), ("state", "state"), ("country", "country")],
            streetLines: ["address_1", "address_2"])
        // Line `total`s and `price` leave the tax out; a store whose prices include tax showed the
        // customer `total + total_tax` (10.50 + 2.00 for a 12.50 mug), so that is the price.
        let grossPrices = woo["prices_include_tax"] == true
        let items: [JSONValue] = (woo["line_items"]?.arrayValue ?? []).map { line in
            var item: [String: JSONValue] = ["name": .string(itemName(line))]
            item["quantity"] = line["quantity"].map(WebhookText.number)
            if let product = Mapper.identifier(line["product_id"]) { item["id"] = .string(product) }
            if let sku = line["sku"]?.textValue, !sku.isEmpty { item["sku"] = .string(sku) }
            // `price` is the unit price; older stores send only the line `total`.
            if grossPrices, let total = line["total"]?.decimalValue, let tax = line["total_tax"]?.decimalValue {
                let quantity = line["quantity"]?.decimalValue ?? 1
                item["price"] = .number(JSONNumber(quantity > 0 ? ((total + tax) / quantity).rounded(2) : total + tax))
            } else if let price = line["price"]?.nonNull {
                item["price"] = WebhookText.number(price)
            } else if let total = line["total"]?.decimalValue {
                let quantity = line["quantity"]?.decimalValue ?? 1
                item["price"] = .number(JSONNumber(quantity > 0 ? (total / quantity).rounded(2) : total))
            }
            return .object(item)
        }
        var order: [String: JSONValue] = [
            "id": .string(id), "customer": .object(customer), "items": .array(items), "source": "woocommerce",
        ]
        if !address.isEmpty { order["address"] = .object(address) }
        if let number = Mapper.identifier(woo["number"]) { order["number"] = .string(number) }
        for key in ["status", "currency", "date_created"] {
            if let value = text(woo.objectValue ?? [:], key) { order[key] = .string(value) }
        }
        order["total"] = woo["total"].map(WebhookText.number)
        if let discount = woo["discount_total"]?.decimalValue, discount > 0 { order["discount"] = .number(JSONNumber(discount)) }
        if let note = woo["customer_note"]?.textValue, !note.trimmed.isEmpty { order["comment"] = .string(note) }
        if let method = text(woo.objectValue ?? [:], "payment_method_title") { order["payment"] = ["name": .string(method)] }
        let shippingLines = woo["shipping_lines"]?.arrayValue ?? []
        if !shippingLines.isEmpty {
            order["delivery"] = [
                "name": .string(shippingLines.compactMap { $0["method_title"]?.textValue }.joined(separator: ", ")),
                "cost": grossPrices ? WebhookText.sum(shippingLines, "total", "total_tax") : WebhookText.sum(shippingLines, "total"),
            ]
        }
        let coupons = (woo["coupon_lines"]?.arrayValue ?? []).compactMap { WebhookText.coupon(code: $0["code"], amount: $0["discount"]) }
        if !coupons.isEmpty { order["coupons"] = .array(coupons) }
        let fees = (woo["fee_lines"]?.arrayValue ?? []).compactMap { line -> JSONValue? in
            guard let name = line["name"]?.textValue, !name.isEmpty else { return nil }
            var fee: [String: JSONValue] = ["name": .string(name)]
            if let amount = line["total"]?.numberValue { fee["amount"] = .number(amount) }
            return .object(fee)
        }
        if !fees.isEmpty { order["fees"] = .array(fees) }
        // Refunds made so far (a partly refunded order is still `processing` or `completed`).
        let refunds = (woo["refunds"]?.arrayValue ?? []).compactMap { refund -> JSONValue? in
            guard let amount = refund["total"]?.decimalValue, amount != 0 else { return nil }
            var entry: [String: JSONValue] = ["amount": .number(JSONNumber(abs(amount)))]
            if let reason = refund["reason"]?.textValue?.trimmed, !reason.isEmpty { entry["reason"] = .string(reason) }
            return .object(entry)
        }
        if !refunds.isEmpty { order["refunds"] = .array(refunds) }
        var utm: [String: JSONValue] = [:]
        for meta in woo["meta_data"]?.arrayValue ?? [] {
            guard var key = meta["key"]?.textValue?.lowercased(), let value = meta["value"]?.textValue, !value.isEmpty else { continue }
            if key.hasPrefix("_wc_order_attribution_utm_") { key = "utm_" + key.dropFirst("_wc_order_attribution_utm_".count) }
            if key.hasPrefix("utm_") || ["gclid", "yclid", "_ga"].contains(key) { utm[key] = .string(value) }
        }
        if !utm.isEmpty { order["utm"] = .object(utm) }
        return .object(order)
    }

    /// The line's name with what the buyer picked that the name does not already say: a
    /// variation's attributes (`pa_color` → `Color: Blue`) and other visible item meta
    /// (WooCommerce hides keys that start with `_`). Newer stores send `display_key` and
    /// `display_value`; older ones only `key` and `value`.
    static func itemName(_ line: JSONValue) -> String {
        let name = line["name"]?.textValue?.trimmed ?? ""
        let picked = (line["meta_data"]?.arrayValue ?? []).compactMap { meta -> String? in
            guard let key = meta["key"]?.textValue, !key.hasPrefix("_"),
                let value = (meta["display_value"] ?? meta["value"])?.textValue?.trimmed, !value.isEmpty,
                !name.localizedCaseInsensitiveContains(value)
            else { return nil }
            let label = meta["display_key"]?.textValue?.trimmed ?? attributeLabel(key)
            return label.isEmpty ? value : "\(label): \(value)"
        }
        return picked.isEmpty ? name : name + " – " + picked.joined(separator: ", ")
    }

    /// `pa_color` → `Color`, `size` → `Size` (an attribute's slug when no label came with it).
    static func attributeLabel(_ key: String) -> String {
        let slug = key.hasPrefix("pa_") ? String(key.dropFirst(3)) : key
        let words = slug.split(whereSeparator: { $0 == "_" || $0 == "-" }).joined(separator: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    /// WooCommerce's `*_gmt` times (and what `modified_after` takes with `dates_are_gmt`):
    /// `2026-12-03T10:15:00`, GMT, no zone.
    package static func gmtText(_ date: Date) -> String { gmtFormatter().string(from: date) }

    /// A `*_gmt` time; a zone or fractions after the seconds are not read.
    package static func gmtDate(_ text: String) -> Date? { gmtFormatter().date(from: String(text.prefix(19))) }

    static func gmtFormatter() -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        return formatter
    }
}
