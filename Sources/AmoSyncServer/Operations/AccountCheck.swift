import AmoAPI
import Foundation
import AmoSyncCore

/// `amosync check` against the account: pipelines, statuses, responsible users and fields
/// named in the config exist (or will be created), one finding per key path.
package struct AccountCheck: Sendable {
    package struct Finding: Sendable, Equatable {
        var path: String
        var message: String
        /// false: information only (a field that will be created on first use).
        package var isProblem: Bool
        package var line: String { "\(path): \(message)" }
    }

    let config: Config
    let client: AmoClient

    package init(config: Config, client: AmoClient) {
        self.config = config
        self.client = client
    }

    /// What the account holds, as far as the config names it.
    struct Snapshot {
        var pipelines: [Int: (name: String, statuses: [Int: (name: String, type: Int)])] = [:]
        /// The pipeline amoCRM puts a lead in when none is given.
        var main: Int?
        var users: Set<Int> = []
        /// Users amoCRM reports inactive (`rights.is_active` false).
        var inactiveUsers: Set<Int> = []
        var taskTypes: [Int: String] = [:]
        var leadFields: [AmoField] = []
        var contactFields: [AmoField] = []
    }

    package func run() async throws -> [Finding] {
        var account = Snapshot()
        for type in try await client.send(Endpoints.account(with: config.usesTasks ? ["task_types"] : [])).embedded?.taskTypes ?? [] {
            account.taskTypes[type.id] = type.name ?? ""
        }
        for pipeline in try await client.send(Endpoints.pipelines()).items {
            account.pipelines[pipeline.id] = (pipeline.name, Dictionary(pipeline.statuses.map { ($0.id, ($0.name, $0.type ?? 0)) }) { $1 })
            if pipeline.isMain == true { account.main = pipeline.id }
        }
        let users = try await client.send(Endpoints.users()).items
        account.users = Set(users.map(\.id))
        account.inactiveUsers = Set(users.filter { !$0.isActive }.map(\.id))
        account.leadFields = try await FieldCatalog.fetch("leads", client: client)
        account.contactFields = try await FieldCatalog.fetch("contacts", client: client)
        var found = findings(account) + salesFindings(account)
        if let products = config.orders.products { found.append(await productsFinding(products)) }
        if config.amocrm.webhook != nil {
            let state = try await AmoHook(config: config, client: client).state()
            if state != .registered { found.append(Finding(path: "amocrm.webhook", message: AmoHook.describe(state), isProblem: true)) }
        } else if config.writesStatusBack {
            found.append(
                Finding(
                    path: "amocrm.webhook",
                    message:
                        "not set: stage changes reach the shop only through the event poll, every \(config.amocrm.eventsPollMinutes) min",
                    isProblem: config.amocrm.eventsPollMinutes == 0))
        }
        return found
    }

    func findings(_ account: Snapshot) -> [Finding] {
        var found: [Finding] = []
        func problem(_ path: String, _ message: String) { found.append(Finding(path: path, message: message, isProblem: true)) }
        func stage(_ path: String, pipeline: Int, status: Int) {
            guard let owner = account.pipelines[pipeline] else {
                problem(
                    "\(path).pipeline_id",
                    "no pipeline \(pipeline) in the account (pipelines: "
                        + "\(account.pipelines.keys.sorted().map(String.init).joined(separator: ", ")))"
                )
                return
            }
            guard let match = owner.statuses[status] else {
                problem(
                    "\(path).status_id",
                    "status \(status) is not in pipeline \(pipeline) (\(owner.name)); its statuses: "
                        + owner.statuses.keys.sorted().map(String.init).joined(separator: ", "))
                return
            }
            if match.type == Status.incomingType {
                problem(
                    "\(path).status_id",
                    "status \(status) is the incoming-leads stage of \(owner.name): leads cannot be created there through the API")
            }
        }
        func user(_ path: String, _ id: Int?) {
            if let id, !account.users.contains(id) { problem(path, "no user \(id) in the account") }
        }
        if let pipeline = config.orders.pipelineID, let status = config.orders.statusID {
            stage("orders", pipeline: pipeline, status: status)
        } else if let main = account.main, let owner = account.pipelines[main] {
            found.append(
                Finding(
                    path: "orders.pipeline_id",
                    message: "not set: leads go to the main pipeline \(main) (\(owner.name)), its first stage", isProblem: false))
        }
        user("orders.responsible_user_id", config.orders.responsibleUserID)
        for (category, rule) in config.orders.categories.sorted(by: { $0.key < $1.key }) {
            stage("orders.categories.\(category)", pipeline: rule.pipelineID, status: rule.statusID)
            user("orders.categories.\(category).responsible_user_id", rule.responsibleUserID)
        }
        statusMapFindings(account, into: &found)
        for (name, form) in config.forms.sorted(by: { $0.key < $1.key }) where form.createLead {
            if let pipeline = form.pipelineID, let status = form.statusID { stage("forms.\(name)", pipeline: pipeline, status: status) }
            user("forms.\(name).responsible_user_id", form.responsibleUserID)
        }
        var leadRefs: [(String, FieldRef)] =
            config.orders.leadFields.map { ("orders.lead_fields.\($0.key)", $0.value) }
            + config.utmFields.map { ("utm_fields.\($0.key)", $0.value) }
        var contactRefs: [(String, FieldRef)] = config.orders.contactFields.map { ("orders.contact_fields.\($0.key)", $0.value) }
        for (name, form) in config.forms {
            leadRefs += form.leadFields.map { ("forms.\(name).lead_fields.\($0.key)", $0.value) }
            contactRefs += form.contactFields.map { ("forms.\(name).contact_fields.\($0.key)", $0.value) }
        }
        for (entity, refs, fields, autoCreate) in [
            ("leads", leadRefs, account.leadFields, config.fields.autoCreateLeads),
            ("contacts", contactRefs, account.contactFields, config.fields.autoCreateContacts),
        ] {
            for (path, ref) in refs.sorted(by: { $0.0 < $1.0 }) where FieldCatalog.find(ref, in: fields) == nil {
                switch ref {
                case .id(let id): problem(path, "no \(entity) field with id \(id) in the account")
                case .name(let name, _) where autoCreate:
                    found.append(
                        Finding(path: path, message: "field \(name) is missing; it will be created on first use", isProblem: false))
                case .name(let name, _):
                    problem(path, "no \(entity) field named \(name) in the account and fields.auto_create.\(entity) is off")
                }
            }
        }
        return found
    }

    /// A `status_map` stage exists, and applies to every pipeline orders are routed to: a stage of
    /// one pipeline cannot move a lead in another (delivery drops it with a warning, and says so here).
    private func statusMapFindings(_ account: Snapshot, into found: inout [Finding]) {
        var routes: [Int: [String]] = [:]
        if let pipeline = config.orders.pipelineID ?? account.main { routes[pipeline] = ["orders.pipeline_id"] }
        for (category, rule) in config.orders.categories.sorted(by: { $0.key < $1.key }) {
            routes[rule.pipelineID, default: []].append("orders.categories.\(category)")
        }
        for (shopStatus, status) in config.orders.statusMap.sorted(by: { $0.key < $1.key }) where !Status.isClosed(status) {
            let path = "orders.status_map.\(shopStatus)"
            guard let home = account.pipelines.first(where: { $0.value.statuses[status] != nil }) else {
                found.append(Finding(path: path, message: "no status \(status) in any pipeline", isProblem: true))
                continue
            }
            for (pipeline, paths) in routes.sorted(by: { $0.key < $1.key }) where pipeline != home.key {
                guard let other = account.pipelines[pipeline] else { continue }
                found.append(
                    Finding(
                        path: path,
                        message: "status \(status) is in pipeline \(home.key) (\(home.value.name)); leads in pipeline "
                            + "\(pipeline) (\(other.name), from \(paths.joined(separator: ", "))) keep their stage when an order "
                            + "becomes \(shopStatus)",
                        isProblem: false))
            }
        }
    }
}
