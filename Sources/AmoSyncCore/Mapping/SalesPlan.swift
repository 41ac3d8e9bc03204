import Foundation

/// What a job asks of amoCRM's own ways of working, decided at mapping time from the rules
/// (`unsorted`, `products`, `task`, `rotation`); delivery reads only this.
package struct SalesPlan: Sendable, Equatable {
    /// Set: the lead goes to the pipeline's incoming leads with this form data.
    package var incoming: IncomingForm?
    package var task: TaskPlan?
    /// Set: the responsible user is picked at delivery (no category or order rule named one).
    package var rotation: RotationPlan?
    /// Set (with `orders.products`): the items with a SKU, linked to the lead as list elements.
    package var products: [ProductLine]?

    package init(incoming: IncomingForm? = nil, task: TaskPlan? = nil, rotation: RotationPlan? = nil, products: [ProductLine]? = nil) {
        self.incoming = incoming
        self.task = task
        self.rotation = rotation
        self.products = products
    }

    package var isEmpty: Bool { self == SalesPlan() }
}

/// The form data an incoming lead carries (`metadata` of `leads/unsorted/forms`).
package struct IncomingForm: Sendable, Equatable {
    package var formID: String
    package var formName: String
    package var page: String
    package var referer: String?
    package var ip: String?
    // When it was sent is the job's own time (`created_at`), not kept twice.

    package init(formID: String, formName: String, page: String, referer: String? = nil, ip: String? = nil) {
        self.formID = formID
        self.formName = formName
        self.page = page
        self.referer = referer
        self.ip = ip
    }
}

/// The task for the lead's responsible user; due `dueMinutes` after the lead is delivered.
package struct TaskPlan: Sendable, Equatable {
    package var text: String
    package var dueMinutes: Int
    package var typeID: Int?

    package init(text: String, dueMinutes: Int, typeID: Int?) {
        self.text = text
        self.dueMinutes = dueMinutes
        self.typeID = typeID
    }
}

/// Whose turn it is, decided at delivery: `turn` names the rule set whose turn is kept.
package struct RotationPlan: Sendable, Equatable {
    package var turn: String
    package var users: [Int]
    package var mode: Config.Rotation.Mode

    package init(turn: String, users: [Int], mode: Config.Rotation.Mode) {
        self.turn = turn
        self.users = users
        self.mode = mode
    }
}

/// One order item as a products-list element: found by `sku`, linked with `quantity`.
package struct ProductLine: Sendable, Equatable {
    package var sku: String
    package var name: String
    package var price: Decimal
    package var quantity: Decimal

    package init(sku: String, name: String, price: Decimal, quantity: Decimal) {
        self.sku = sku
        self.name = name
        self.price = price
        self.quantity = quantity
    }
}

extension SalesPlan: JSONRepresentable {
    package var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let incoming {
            var form: [String: JSONValue] = [
                "formID": .string(incoming.formID), "formName": .string(incoming.formName), "page": .string(incoming.page),
            ]
            if let referer = incoming.referer { form["referer"] = .string(referer) }
            if let ip = incoming.ip { form["ip"] = .string(ip) }
            object["incoming"] = .object(form)
        }
        if let task {
            var entry: [String: JSONValue] = ["text": .string(task.text), "dueMinutes": .number(JSONNumber(task.dueMinutes))]
            if let type = task.typeID { entry["typeID"] = .number(JSONNumber(type)) }
            object["task"] = .object(entry)
        }
        if let rotation {
            object["rotation"] = [
                "turn": .string(rotation.turn), "users": .array(rotation.users.map { .number(JSONNumber($0)) }),
                "mode": .string(rotation.mode.rawValue),
            ]
        }
        if let products {
            object["products"] = .array(
                products.map {
                    [
                        "sku": .string($0.sku), "name": .string($0.name), "price": .string(JSONValue.format($0.price)),
                        "quantity": .string(JSONValue.format($0.quantity)),
                    ]
                })
        }
        return .object(object)
    }

    package init(json: JSONValue) throws(PlanDecodingError) {
        let fields = try JSONFields(json, path: "")
        self.init()
        if let value = fields.object["incoming"], !value.isNull {
            let form = try JSONFields(value, path: "incoming")
            incoming = IncomingForm(
                formID: try form.string("formID"), formName: try form.string("formName"), page: try form.string("page"),
                referer: form.optionalString("referer"), ip: form.optionalString("ip"))
        }
        if let value = fields.object["task"], !value.isNull {
            let entry = try JSONFields(value, path: "task")
            task = TaskPlan(text: try entry.string("text"), dueMinutes: try entry.int("dueMinutes") ?? 15, typeID: try entry.int("typeID"))
        }
        if let value = fields.object["rotation"], !value.isNull {
            let entry = try JSONFields(value, path: "rotation")
            guard let mode = Config.Rotation.Mode(rawValue: try entry.string("mode")) else {
                throw PlanDecodingError(path: "rotation.mode", problem: "unknown mode")
            }
            let users = (entry.object["users"]?.arrayValue ?? []).compactMap(\.intValue)
            rotation = RotationPlan(turn: try entry.string("turn"), users: users, mode: mode)
        }
        if let value = fields.object["products"], !value.isNull {
            guard let list = value.arrayValue else { throw PlanDecodingError(path: "products", problem: "expected a list") }
            products = try list.enumerated().map { index, item throws(PlanDecodingError) in
                let line = try JSONFields(item, path: "products.\(index)")
                guard let price = Decimal(string: try line.string("price")), let quantity = Decimal(string: try line.string("quantity"))
                else { throw PlanDecodingError(path: "products.\(index)", problem: "expected decimal price and quantity") }
                return ProductLine(sku: try line.string("sku"), name: try line.string("name"), price: price, quantity: quantity)
            }
        }
    }
}
