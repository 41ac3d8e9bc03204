import AmoAPI
import AmoSyncCore
import Foundation

/// `amosync check` for amoCRM's own ways of working: the incoming-leads stage, task types,
/// rotation users, the products list and its SKU field.
extension AccountCheck {
    /// Rule sets with a lead: `orders` and each form that makes one.
    private var ruleSets: [(path: String, pipeline: Int?, unsorted: Bool, task: Config.TaskRule?, rotation: Config.Rotation?)] {
        [("orders", config.orders.pipelineID, config.orders.unsorted, config.orders.task, config.orders.rotation)]
            + config.forms.sorted(by: { $0.key < $1.key }).filter(\.value.createLead).map { name, form in
                ("forms.\(name)", form.pipelineID ?? config.orders.pipelineID, form.unsorted, form.task, form.rotation)
            }
    }

    func salesFindings(_ account: Snapshot) -> [Finding] {
        var found: [Finding] = []
        func problem(_ path: String, _ message: String) { found.append(Finding(path: path, message: message, isProblem: true)) }
        for rules in ruleSets {
            if rules.unsorted, let pipeline = rules.pipeline ?? account.main, let owner = account.pipelines[pipeline],
                !owner.statuses.values.contains(where: { $0.type == Status.incomingType })
            {
                problem(
                    "\(rules.path).unsorted",
                    "pipeline \(pipeline) (\(owner.name)) has incoming leads turned off: turn on Неразобранное in its settings")
            }
            if let type = rules.task?.typeID, account.taskTypes[type] == nil {
                problem(
                    "\(rules.path).task.type_id",
                    "no task type \(type) in the account; its types: "
                        + account.taskTypes.sorted(by: { $0.key < $1.key }).map { "\($0.key) (\($0.value))" }.joined(separator: ", "))
            }
            guard let rotation = rules.rotation else { continue }
            for (index, user) in rotation.users.enumerated() {
                if !account.users.contains(user) {
                    problem("\(rules.path).rotation.users.\(index)", "no user \(user) in the account")
                } else if account.inactiveUsers.contains(user) {
                    problem("\(rules.path).rotation.users.\(index)", "user \(user) is inactive in amoCRM: new leads skip them")
                }
            }
            if rules.path == "orders", config.orders.responsibleUserID != nil {
                found.append(
                    Finding(
                        path: "orders.rotation",
                        message: "takes the place of orders.responsible_user_id for leads no category or order names a user for",
                        isProblem: false))
            }
        }
        return found
    }

    /// The products list and its SKU field, as delivery will read them.
    func productsFinding(_ settings: Config.Products) async -> Finding {
        do {
            let list = try await ProductCatalog.read(settings, client: client)
            return Finding(
                path: "orders.products",
                message: "items are linked as elements of list \(list.id) by its field \(settings.skuField) (#\(list.skuField))",
                isProblem: false)
        } catch let problem as ProductsUnavailable {
            return Finding(
                path: settings.catalogID == nil ? "orders.products" : "orders.products.catalog_id",
                message: "\(problem.description); orders are still delivered, with their items as text", isProblem: true)
        } catch {
            return Finding(path: "orders.products", message: "the products list could not be read: \(error)", isProblem: true)
        }
    }
}
