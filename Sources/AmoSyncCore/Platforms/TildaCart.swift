import Foundation

/// A Tilda cart submission (a form with a cart block): the `payment` group — `orderid`,
/// `amount`, `products`, `promocode`, `discount`, `delivery`, `delivery_price`, `sys` and
/// `systranid` (the payment system and its transaction) — in each shape Tilda sends it: flat
/// (`payment[products][0][name]`, the default form-encoded webhook), nested (the JSON webhook),
/// or one input holding a JSON document (`payment={"orderid":…}`, as several live sites send
/// it). Products are objects (`name`, `price`, `quantity`, `amount`, `sku`, `options`) or
/// lines (`"Участие 2026=1000"`, `"Чайник x 2=2000"`). It becomes an order (the orders rules
/// apply: pipeline, categories by SKU, goods, note); the form's `contact` map names the
/// customer's inputs.
package enum TildaCart {
    /// How deep a flat key may nest (`payment[products][0][options][0][variant]` is 5): deeper
    /// keys are no part of a cart and are left out (they would cost a recursion level each).
    static let maxDepth = 8

    /// The cart's fields as one nested object, or nil when the submission has no cart.
    package static func payment(_ values: [String: JSONValue]) -> [String: JSONValue]? {
        if let nested = values["payment"]?.objectValue { return nested }
        if let document = values["payment"]?.stringValue?.trimmed, document.hasPrefix("{"),
            case .object(let parsed)? = try? JSONValue.parse(Data(document.utf8))
        {
            return parsed
        }
        var payment: [String: JSONValue] = [:]
        for (key, value) in values where key.hasPrefix("payment[") {
            let path = key.dropFirst("payment".count).split(separator: "]", maxSplits: maxDepth).map { $0.dropFirst() }
            guard path.count <= maxDepth else { continue }
            insert(value, at: path.map(String.init)[...], into: &payment)
        }
        return payment.isEmpty ? nil : payment
    }

    /// The child object is taken out of its parent while it changes, so it is changed in
    /// place: copying it for every key made a cart of many products quadratic.
    private static func insert(_ value: JSONValue, at path: ArraySlice<String>, into object: inout [String: JSONValue]) {
        guard let key = path.first else { return }
        if path.count == 1 {
            object[key] = value
            return
        }
        var child = object.removeValue(forKey: key)?.objectValue ?? [:]
        insert(value, at: path.dropFirst(), into: &child)
        object[key] = .object(child)
    }

    /// Products and options come as an object keyed "0", "1", … (flat) or as an array (JSON).
    static func list(_ value: JSONValue?) -> [JSONValue] {
        value?.arrayValue ?? (value?.objectValue ?? [:]).sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }.map(\.value)
    }

    /// amosync's order body for a cart; the `…Input`s are the form's inputs that hold the
    /// customer (its `contact` map); `fallbackID` is the order id when the cart has none. The
    /// cart's texts are read plain (`PlatformText`: product names come from the site's HTML).
    package static func order(
        _ values: [String: JSONValue], payment raw: [String: JSONValue], nameInput: String, phoneInput: String, emailInput: String,
        fallbackID: String
    ) -> JSONValue {
        let payment = PlatformText.cleaned(.object(raw)).objectValue ?? raw
        func text(_ value: JSONValue?) -> String? { value?.textValue.map { $0.trimmed }.flatMap { $0.isEmpty ? nil : $0 } }
        let items: [JSONValue] = list(payment["products"]).compactMap { product in
            if let line = product.stringValue { return Self.item(line: line) }
            guard let name = text(product["name"]) else { return nil }
            // Options the buyer picked (`options[0][option]=Цвет`, `[variant]=Белый`) belong to the name.
            let options = list(product["options"]).compactMap { option -> String? in
                guard let variant = text(option["variant"]) else { return nil }
                return text(option["option"]).map { "\($0): \(variant)" } ?? variant
            }
            var item: [String: JSONValue] = ["name": .string(options.isEmpty ? name : name + " – " + options.joined(separator: ", "))]
            item["quantity"] = product["quantity"].map(WebhookText.number)
            if let price = product["price"]?.nonNull {
                item["price"] = WebhookText.number(price)
            } else if let amount = product["amount"]?.decimalValue {
                // Only the line's amount: the unit price is amount / quantity.
                let quantity = product["quantity"]?.decimalValue ?? 1
                item["price"] = .number(JSONNumber(quantity > 0 ? (amount / quantity).rounded(2) : amount))
            }
            if let sku = text(product["sku"]) { item["sku"] = .string(sku) }
            return .object(item)
        }
        var customer: [String: JSONValue] = [:]
        for (ours, input) in [("name", nameInput), ("phone", phoneInput), ("email", emailInput)] {
            if let value = text(values[input]) { customer[ours] = .string(value) }
        }
        var order: [String: JSONValue] = [
            "id": .string(text(payment["orderid"]) ?? fallbackID), "customer": .object(customer), "items": .array(items),
            "source": "tilda",
        ]
        if let amount = payment["amount"] { order["total"] = WebhookText.number(amount) }
        if let currency = text(payment["currency"]) ?? text(values["currency"]) { order["currency"] = .string(currency) }
        if let method = paymentMethod(payment, chosen: text(values["paymentsystem"])) { order["payment"] = ["name": .string(method)] }
        if let delivery = text(payment["delivery"]) {
            var object: [String: JSONValue] = ["name": .string(delivery)]
            if let price = payment["delivery_price"] { object["cost"] = WebhookText.number(price) }
            order["delivery"] = .object(object)
        }
        // `discount` is the amount taken off; `discountvalue` the promo code's setting ("10%", or an amount).
        let discount = payment["discount"]?.numberValue != nil ? payment["discount"] : payment["discountvalue"]
        // Where the cart goes: the delivery block's address and comment.
        var address: [String: JSONValue] = [:]
        if let street = text(payment["delivery_address"]) { address["street"] = .string(street) }
        if let city = text(payment["delivery_city"]), !(text(payment["delivery_address"]) ?? "").contains(city) {
            address["city"] = .string(city)
        }
        if let comment = text(payment["delivery_comment"]) { address["comment"] = .string(comment) }
        if !address.isEmpty { order["address"] = .object(address) }
        if let coupon = WebhookText.coupon(code: payment["promocode"], amount: discount) {
            order["coupons"] = [coupon]
        }
        if let cookies = values.first(where: { $0.key.lowercased() == "cookies" })?.value.textValue { order["cookies"] = .string(cookies) }
        var utm: [String: JSONValue] = [:]
        for (key, value) in values where key.lowercased().hasPrefix("utm_") { utm[key.lowercased()] = value }
        if !utm.isEmpty { order["utm"] = .object(utm) }
        return .object(order)
    }

    /// A product sent as a line, `name=amount` (the line's amount), the name perhaps ending in
    /// the quantity (`Чайник x 2=2000`, Latin or Cyrillic x, or ×).
    static func item(line: String) -> JSONValue? {
        var name = Substring(line.trimmed)
        var amount: Decimal?
        if let equals = name.lastIndex(of: "="),
            let value = JSONValue.string(String(name[name.index(after: equals)...]).trimmed).decimalValue
        {
            amount = value
            name = name[..<equals]
        }
        var quantity: Decimal = 1
        let words = name.trimmed.split(separator: " ")
        if words.count > 2, ["x", "х", "×"].contains(words[words.count - 2].lowercased()), let count = Int(words[words.count - 1]),
            count > 0
        {
            quantity = Decimal(count)
            name = Substring(words.dropLast(2).joined(separator: " "))
        }
        let title = name.trimmed
        guard !title.isEmpty else { return nil }
        var item: [String: JSONValue] = ["name": .string(title), "quantity": .number(JSONNumber(quantity))]
        if let amount { item["price"] = .number(JSONNumber((amount / quantity).rounded(2))) }
        return .object(item)
    }

    /// How the buyer pays: the payment system they chose (`paymentsystem`) or the cart's
    /// (`sys`; `none` is no online payment), with its transaction id (`systranid`; `0` is none).
    static func paymentMethod(_ payment: [String: JSONValue], chosen: String?) -> String? {
        func text(_ key: String) -> String? { payment[key]?.textValue.map { $0.trimmed }.flatMap { $0.isEmpty ? nil : $0 } }
        let system = chosen ?? text("sys").flatMap { $0 == "none" ? nil : $0 }
        let transaction = text("systranid").flatMap { $0 == "0" ? nil : "транзакция \($0)" }
        switch (system, transaction) {
        case let (system?, transaction?): return "\(system) (\(transaction))"
        case let (system?, nil): return system
        case let (nil, transaction?): return transaction
        default: return nil
        }
    }
}
