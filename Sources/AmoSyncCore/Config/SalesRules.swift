extension Config {
    /// Some rule set asks for a task (the account's task types are then checked).
    package var usesTasks: Bool { orders.task != nil || forms.values.contains { $0.task != nil } }
}

/// amoCRM's own ways of working, per rule set (`orders`, `forms.NAME`): incoming leads,
/// products from the catalog, a task for the manager, distribution among managers.
extension Config {
    /// `task`: one task per new lead for its responsible user, due `due_minutes` later.
    package struct TaskRule: Sendable, Equatable {
        /// A template with `{path}` placeholders (`Позвонить: {customer.name}`).
        package var text: String
        package var dueMinutes = 15
        /// amoCRM's task type (1 follow-up/call, 2 meeting, or an account's own type); nil: 1.
        package var typeID: Int?

        package init(text: String, dueMinutes: Int = 15, typeID: Int? = nil) {
            self.text = text
            self.dueMinutes = dueMinutes
            self.typeID = typeID
        }
    }

    /// `rotation`: who gets a new lead when no category or order rule names a user.
    package struct Rotation: Sendable, Equatable {
        package enum Mode: String, Sendable, CaseIterable {
            /// In turn; the turn is kept in the queue's database (survives restarts).
            case roundRobin = "round_robin"
            /// The user with the fewest open leads in the target pipeline.
            case leastOpen = "least_open"
        }
        package var users: [Int]
        package var mode: Mode

        package init(users: [Int], mode: Mode) {
            self.users = users
            self.mode = mode
        }
    }

    /// `orders.products`: order items as elements of the account's products list.
    package struct Products: Sendable, Equatable {
        /// nil: `"auto"`, the account's products list.
        package var catalogID: Int?
        /// The list's field that holds the SKU: its name or code.
        package var skuField = "SKU"
        /// Items whose SKU the list lacks are added (name and price); false: left out, with a warning.
        package var createMissing = true

        package init(catalogID: Int? = nil, skuField: String = "SKU", createMissing: Bool = true) {
            self.catalogID = catalogID
            self.skuField = skuField
            self.createMissing = createMissing
        }
    }

    /// Reads `task`, `rotation` and `unsorted` of a rule set.
    static func readSales(_ section: inout ConfigObject) -> (unsorted: Bool, task: TaskRule?, rotation: Rotation?) {
        let unsorted = section.bool("unsorted") ?? false
        var task: TaskRule?
        if var object = section.object("task") {
            let text = object.string("text", required: true)
            let due = object.int("due_minutes", range: 1...525_600)
            let type = object.int("type_id", range: 1...Int.max)
            object.finish()
            if let text {
                if text.trimmed.isEmpty { section.problems.add(object.child("text"), "must not be empty") }
                task = TaskRule(text: text, dueMinutes: due ?? 15, typeID: type)
            }
        }
        var rotation: Rotation?
        if var object = section.object("rotation") {
            var users: [Int] = []
            if case .array(let list)? = object.raw("users") {
                users = list.enumerated().compactMap {
                    ConfigObject.int($1, path: "\(object.child("users")).\($0)", range: 1...Int.max, problems: object.problems)
                }
                if list.isEmpty { object.problems.add(object.child("users"), "expected at least one user id") }
                if Set(users).count != users.count { object.problems.add(object.child("users"), "a user is listed twice") }
            } else {
                object.problems.add(object.child("users"), "is required: a list of amoCRM user ids")
            }
            let modeText = object.string("mode") ?? Rotation.Mode.roundRobin.rawValue
            let mode = Rotation.Mode(rawValue: modeText)
            if mode == nil {
                object.problems.add(
                    object.child("mode"),
                    "must be one of \(Rotation.Mode.allCases.map(\.rawValue).joined(separator: ", ")), got \(modeText)")
            }
            object.finish()
            if let mode, !users.isEmpty { rotation = Rotation(users: users, mode: mode) }
        }
        return (unsorted, task, rotation)
    }

    static func readProducts(_ section: inout ConfigObject) -> Products {
        var products = Products()
        switch section.raw("catalog_id") {
        case .string("auto")?, nil, .null?: break
        case let value?:
            products.catalogID = ConfigObject.int(
                value, path: section.child("catalog_id"), range: 1...Int.max, problems: section.problems)
            if products.catalogID == nil, value.intValue == nil {
                section.problems.add(section.child("catalog_id"), "expected a list id or \"auto\" (the account's products list)")
            }
        }
        products.skuField = section.string("sku_field") ?? products.skuField
        products.createMissing = section.bool("create_missing") ?? products.createMissing
        section.finish()
        return products
    }
}
