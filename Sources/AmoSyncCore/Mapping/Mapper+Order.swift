import Foundation

extension Mapper {
    /// Maps an order body (README, "Intake API") to a plan; throws 422 details on bad input.
    /// `requireContact: false` (platform webhooks: a POS sale, a guest order without phone or
    /// email) makes a lead without a contact, with a warning, instead of a problem.
    package func mapOrder(_ input: JSONValue, source: String = "orders", requireContact: Bool = true) throws(MappingError) -> MappedJob {
        guard case .object = input else { throw MappingError(path: "", problem: "expected a JSON object") }
        var problems: [MappingError.Detail] = []
        let id = Self.identifier(input["id"])
        if id == nil { problems.append(.init(path: "id", problem: "required: a non-empty string or number")) }

        let customer = input["customer"]
        if let customer, !customer.isNull, customer.objectValue == nil {
            problems.append(.init(path: "customer", problem: "expected an object"))
        }
        let phone = Self.text(customer?["phone"])
        let email = Self.text(customer?["email"])
        // The customer's country picks the phone's calling code (default_country_code otherwise).
        let country = Self.text(customer?["country"]) ?? Self.text(input.value(at: "address.country"))
        var keys = contactKeys(
            phone: phone, email: email, phonePath: "customer.phone", emailPath: "customer.email", country: country)
        var warnings: [String] = []
        let noContact = keys.phones.isEmpty && keys.emails.isEmpty
        if noContact, !requireContact {
            warnings += keys.invalid.map { "\($0.path): \($0.problem), value dropped" }
            warnings.append("the order has no usable phone or email: the lead is created without a contact")
            keys.invalid = []
        } else if noContact {
            problems.append(contentsOf: keys.invalid)
            if keys.invalid.isEmpty {
                problems.append(.init(path: "customer", problem: "required: customer.phone or customer.email"))
            }
        } else {
            warnings += keys.invalid.map { "\($0.path): \($0.problem), value dropped" }
            keys.invalid = []
        }

        let items = parseItems(input, problems: &problems)
        let total = Self.amount(input["total"], path: "total", range: Self.moneyRange, problems: &problems)
        let delivery = Self.amount(input.value(at: "delivery.cost"), path: "delivery.cost", range: Self.moneyRange, problems: &problems)
        if items.isEmpty, input["total"]?.nonNull == nil, problems.allSatisfy({ !$0.path.hasPrefix("items") }) {
            problems.append(.init(path: "items", problem: "required: at least one item, or a total"))
        }
        for path in ["responsible_user_id"] {
            if let value = input[path], !value.isNull, value.intValue == nil {
                problems.append(.init(path: path, problem: "expected an integer user id"))
            }
        }
        let leadOverrides: [FieldValue]
        let contactOverrides: [FieldValue]
        do {
            leadOverrides = try overrides(input.value(at: "amocrm.lead"), path: "amocrm.lead")
            contactOverrides = try overrides(input.value(at: "amocrm.contact"), path: "amocrm.contact")
        } catch {
            throw MappingError(problems + error.details)
        }
        guard problems.isEmpty, let id else { throw MappingError(problems) }

        let currency = Self.text(input["currency"]).flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed }
        let goods = items.map { $0.line(currency: currency) }.joined(separator: "\n")
        let routing = route(items: items, orderResponsible: input["responsible_user_id"]?.intValue, status: input["status"]?.textValue)
        var trackingInput = (input["cookies"]?.stringValue).map(Self.cookieTracking) ?? [:]
        trackingInput.merge(input["utm"]?.objectValue ?? [:]) { $1 }  // explicit values win over cookies
        let tracking = tracking(from: trackingInput)
        var extras = OrderExtras(input, currency: currency)
        extras.unreadablePhone = phone.map { !$0.trimmed.isEmpty } == true && keys.phones.isEmpty
        var computed = ["goods": goods]
        if !extras.coupons.isEmpty { computed["coupons"] = extras.coupons.joined(separator: ", ") }
        if !extras.fees.isEmpty { computed["fees"] = extras.fees.joined(separator: ", ") }
        let lead = LeadPlan(
            name: Template.render(config.orders.leadName, with: input),
            price: price(total: total, items: items, delivery: delivery),
            pipelineID: routing.pipelineID, statusID: routing.statusID, responsibleUserID: routing.responsibleUserID,
            fields: fieldValues(config.orders.leadFields, from: input, computed: computed) + trackingFields(tracking) + leadOverrides,
            tags: config.orders.tags,
            mappedStatusID: (input["status"]?.textValue).flatMap { config.orders.statusMap[$0] })
        let contact =
            noContact
            ? nil
            : ContactPlan(
                name: Self.text(customer?["name"]).map { $0.trimmed }.flatMap { $0.isEmpty ? nil : $0 },
                phones: keys.phones, emails: keys.emails,
                fields: fieldValues(config.orders.contactFields, from: input, computed: computed) + contactOverrides,
                unmatchedPhones: extras.unreadablePhone ? phone.map { [$0.trimmed] } : nil)
        let note =
            config.orders.note ? orderNote(id: id, input: input, goods: goods, extras: extras, currency: currency, tracking: tracking) : nil
        var plan = DeliveryPlan(key: "\(source):\(id)", contact: contact, lead: lead, note: note, warnings: warnings)
        applySales(toOrder: &plan, input: input, source: source, id: id, items: items, routing: routing)
        return MappedJob(kind: .order, source: source, externalID: id, plan: plan, searchKeys: [id] + keys.phones + keys.emails)
    }

    package static func identifier(_ value: JSONValue?) -> String? {
        guard let text = value?.textValue?.trimmed, !text.isEmpty, value?.boolValue == nil else { return nil }
        return text
    }

    struct Item {
        var name: String
        var sku: String?
        var price: Decimal
        var quantity: Decimal
        var categories: [Int]
        var sum: Decimal { price * quantity }
        /// `Mug (M1) 19.99 × 2 = 39.98 USD`; without a currency the numbers print as sent.
        func line(currency: String?) -> String {
            let label = sku.map { "\(name) (\($0))" } ?? name
            let each = Money.amount(price, currency: currency)
            return "\(label) \(each) × \(JSONValue.format(quantity)) = \(Money.format(sum.rounded(2), currency: currency))"
        }
    }

    private func parseItems(_ input: JSONValue, problems: inout [MappingError.Detail]) -> [Item] {
        guard let raw = input["items"], !raw.isNull else { return [] }
        guard case .array(let list) = raw else {
            problems.append(.init(path: "items", problem: "expected an array"))
            return []
        }
        var items: [Item] = []
        for (index, entry) in list.enumerated() {
            let path = "items.\(index)"
            guard case .object = entry else {
                problems.append(.init(path: path, problem: "expected an object"))
                continue
            }
            guard let name = Self.text(entry["name"]), !name.trimmed.isEmpty else {
                problems.append(.init(path: "\(path).name", problem: "required"))
                continue
            }
            let price = Self.amount(entry["price"], path: "\(path).price", range: Self.itemPriceRange, problems: &problems)
            let quantity = Self.amount(entry["quantity"], path: "\(path).quantity", range: Self.quantityRange, problems: &problems)
            var categories: [Int] = []
            if let raw = entry["categories"], !raw.isNull {
                if case .array(let ids) = raw, ids.allSatisfy({ $0.intValue != nil || Int($0.stringValue ?? "") != nil }) {
                    categories = ids.compactMap { $0.intValue ?? Int($0.stringValue ?? "") }
                } else {
                    problems.append(.init(path: "\(path).categories", problem: "expected an array of category ids"))
                }
            }
            if categories.isEmpty {
                let productID = Self.identifier(entry["id"]) ?? Self.identifier(entry["product_id"])
                let sku = Self.text(entry["sku"])
                categories = productID.flatMap { config.catalogProducts[$0] } ?? sku.flatMap { config.catalogSKUs[$0] } ?? []
            }
            items.append(
                Item(
                    name: name.trimmed,
                    sku: Self.text(entry["sku"]).flatMap { $0.isEmpty ? nil : $0 },
                    price: price ?? 0, quantity: quantity ?? 1, categories: categories))
        }
        return items
    }

    struct Routing: Equatable {
        var pipelineID: Int?
        var statusID: Int?
        var responsibleUserID: Int?
        /// A category rule or the order itself named the user (rotation does not apply).
        var named = false
    }

    /// Items in order, each item's categories nearest first: the first configured category decides.
    func route(items: [Item], orderResponsible: Int?, status: String?) -> Routing {
        let orders = config.orders
        let rule = items.lazy.flatMap(\.categories).compactMap { orders.categories[$0] }.first
        var routing = Routing(pipelineID: rule?.pipelineID ?? orders.pipelineID, statusID: rule?.statusID ?? orders.statusID)
        if let mapped = status.flatMap({ orders.statusMap[$0] }) { routing.statusID = mapped }
        if let categoryUser = rule?.responsibleUserID, orders.categoryResponsibleWins || orderResponsible == nil {
            routing.responsibleUserID = categoryUser
            routing.named = true
        } else {
            routing.named = orderResponsible != nil
            routing.responsibleUserID = orderResponsible ?? orders.responsibleUserID
        }
        return routing
    }

    /// Money an order may carry, in its currency's units; amoCRM's budget is a whole number.
    static let moneyRange = Decimal(0)...Decimal(1_000_000_000_000)
    /// An item's price may be negative (a discount line).
    static let itemPriceRange = Decimal(-1_000_000_000_000)...Decimal(1_000_000_000_000)
    static let quantityRange = Decimal(0)...Decimal(1_000_000)

    /// A number (or numeric string) within `range`, exact; nil when absent. Anything else,
    /// `"nan"`, `1e19` or `1e400` among them, is a problem naming the field.
    static func amount(_ value: JSONValue?, path: String, range: ClosedRange<Decimal>, problems: inout [MappingError.Detail]) -> Decimal? {
        guard let value = value?.nonNull else { return nil }
        guard let number = value.decimalValue else {
            problems.append(.init(path: path, problem: "expected a number"))
            return nil
        }
        guard range.contains(number) else {
            problems.append(
                .init(path: path, problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(value.textValue ?? "")"))
            return nil
        }
        return number
    }

    /// `total` rounded; without it, items plus delivery (never below 0). Inputs are bounded,
    /// so the result always fits an `Int`.
    func price(total: Decimal?, items: [Item], delivery: Decimal?) -> Int? {
        let amount = total ?? max(0, items.reduce(Decimal(0)) { $0 + $1.sum } + (delivery ?? 0))
        return amount.rounded().exactInt
    }

    /// The note, one fact a line; a line with nothing to say is left out.
    private func orderNote(
        id: String, input: JSONValue, goods: String, extras: OrderExtras, currency: String?, tracking: [(key: String, value: String)]
    ) -> String {
        func money(_ value: JSONValue?) -> String? {
            guard let value = value?.nonNull else { return nil }
            return value.decimalValue.map { Money.format($0, currency: currency) } ?? value.textValue
        }
        func text(_ path: String) -> String? { input.value(at: path)?.textValue.map { $0.trimmed }.flatMap { $0.isEmpty ? nil : $0 } }
        var lines = ["Заказ #\(id)"]
        if !goods.isEmpty { lines += ["Товары:", goods] }
        if let name = text("delivery.name") {
            lines.append("Доставка: \(name)\(money(input.value(at: "delivery.cost")).map { " (\($0))" } ?? "")")
        }
        if !extras.fees.isEmpty { lines.append("Сборы: " + extras.fees.joined(separator: ", ")) }
        if !extras.coupons.isEmpty { lines.append("Купоны: " + extras.coupons.joined(separator: ", ")) }
        if !extras.refunds.isEmpty { lines.append("Возвраты: " + extras.refunds.joined(separator: ", ")) }
        if let discount = input["discount"]?.decimalValue, discount > 0 {
            lines.append("Скидка: \(Money.format(discount, currency: currency))")
        }
        if let payment = text("payment.name") { lines.append("Оплата: \(payment)") }
        if let phone = text("customer.phone"), extras.unreadablePhone { lines.append("Телефон (не распознан): \(phone)") }
        let address = ["city", "street", "building", "room"].compactMap { text("address.\($0)") }
        if !address.isEmpty {
            lines.append("Адрес: \(address.joined(separator: ", "))\(text("address.comment").map { " (\($0))" } ?? "")")
        }
        if let total = money(input["total"]) {
            // What the customer paid in their own currency (a Shopify shop selling abroad).
            let paid = input.value(at: "customer_total.amount")?.decimalValue.flatMap { amount in
                Self.text(input.value(at: "customer_total.currency")).map { Money.format(amount, currency: $0.trimmed) }
            }
            lines.append("Итого: \(total)" + (paid.map { " (в валюте покупателя: \($0))" } ?? ""))
        }
        if let comment = text("comment") { lines.append("Комментарий: \(comment)") }
        if !extras.attributes.isEmpty { lines.append("Атрибуты: " + extras.attributes.joined(separator: ", ")) }
        if !tracking.isEmpty { lines.append("UTM: " + tracking.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}

/// Fees, coupons and extra attributes of an order, as note lines (`Gift wrap 125.50 USD`,
/// `30$off −30.00 USD`).
struct OrderExtras {
    var fees: [String] = []
    var coupons: [String] = []
    /// `10.00 USD (Damaged in transit)`.
    var refunds: [String] = []
    var attributes: [String] = []
    /// The customer's phone could not be read as a number: the note keeps it as written.
    var unreadablePhone = false

    init(_ input: JSONValue, currency: String?) {
        for fee in input["fees"]?.arrayValue ?? [] {
            guard let name = fee["name"]?.textValue, !name.trimmed.isEmpty else { continue }
            fees.append(name.trimmed + (fee["amount"]?.decimalValue.map { " " + Money.format($0, currency: currency) } ?? ""))
        }
        for coupon in input["coupons"]?.arrayValue ?? [] {
            guard let code = coupon["code"]?.textValue, !code.trimmed.isEmpty else { continue }
            let amount = coupon["amount"]?.decimalValue.flatMap { $0 > 0 ? " −" + Money.format($0, currency: currency) : nil }
            coupons.append(code.trimmed + (amount ?? ""))
        }
        for refund in input["refunds"]?.arrayValue ?? [] {
            guard let amount = refund["amount"]?.decimalValue else { continue }
            let reason = refund["reason"]?.textValue.map { $0.trimmed }.flatMap { $0.isEmpty ? nil : " (\($0))" }
            refunds.append(Money.format(amount, currency: currency) + (reason ?? ""))
        }
        for (key, value) in (input["attributes"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let lower = key.lowercased()
            guard !lower.hasPrefix("utm_"), !["gclid", "yclid", "_ga", "fbclid"].contains(lower), let text = value.textValue,
                !text.trimmed.isEmpty
            else { continue }
            attributes.append("\(key): \(text.trimmed)")
        }
    }
}
