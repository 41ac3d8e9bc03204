import Foundation

/// Who posted a form, as the HTTP request tells it (the incoming lead's IP and page).
package struct FormClient: Sendable, Equatable {
    package var ip: String?
    /// The request's `Referer` header: the page the form is on, when the form does not say.
    package var referer: String?

    package init(ip: String? = nil, referer: String? = nil) {
        self.ip = ip
        self.referer = referer
    }
}

extension Mapper {
    /// `orders.unsorted`, `products`, `task` and `rotation` for an order's plan.
    func applySales(toOrder plan: inout DeliveryPlan, input: JSONValue, source: String, id: String, items: [Item], routing: Routing) {
        let orders = config.orders
        var sales = SalesPlan()
        if orders.unsorted {
            sales.incoming = IncomingForm(
                formID: "amosync:\(source)", formName: source == "orders" ? "Заказ с сайта" : "Заказ (\(source))",
                page: Self.text(input["page"]) ?? Self.text(input["landing_page"]) ?? source,
                referer: Self.text(input["referer"]), ip: Self.text(input["ip"]) ?? Self.text(input.value(at: "customer.ip")))
        }
        if let task = orders.task { sales.task = taskPlan(task, input: input, extra: [:]) }
        if let rotation = orders.rotation, !routing.named {
            plan.lead?.responsibleUserID = nil
            sales.rotation = RotationPlan(turn: "orders", users: rotation.users, mode: rotation.mode)
        }
        if orders.products != nil {
            sales.products = items.compactMap { item in
                item.sku.map { ProductLine(sku: $0, name: item.name, price: item.price, quantity: item.quantity) }
            }
        }
        if !sales.isEmpty { plan.sales = sales }
    }

    /// `forms.NAME.unsorted`, `task` and `rotation` for a submission's plan.
    func applySales(toForm plan: inout DeliveryPlan, name: String, form: Config.Form, values: [String: JSONValue], client: FormClient) {
        var sales = SalesPlan()
        if form.unsorted {
            let page = Self.text(values["page"]).flatMap { $0.isEmpty ? nil : $0 } ?? client.referer ?? name
            sales.incoming = IncomingForm(
                formID: Self.text(values["formid"]).flatMap { $0.isEmpty ? nil : $0 } ?? name,
                formName: Self.text(values["formname"]).flatMap { $0.isEmpty ? nil : $0 } ?? name, page: page,
                referer: Self.text(values["referer"]).flatMap { $0.isEmpty ? nil : $0 }, ip: client.ip)
        }
        if let task = form.task { sales.task = taskPlan(task, input: .object(values), extra: ["form": name]) }
        if let rotation = form.rotation, form.responsibleUserID == nil {
            plan.lead?.responsibleUserID = nil
            sales.rotation = RotationPlan(turn: "forms:\(name)", users: rotation.users, mode: rotation.mode)
        }
        if !sales.isEmpty { plan.sales = sales }
    }

    private func taskPlan(_ rule: Config.TaskRule, input: JSONValue, extra: [String: String]) -> TaskPlan {
        let text = Template.render(rule.text, with: input, extra: extra).trimmed
        return TaskPlan(text: text.isEmpty ? rule.text : text, dueMinutes: rule.dueMinutes, typeID: rule.typeID)
    }
}
