import AmoAPI
import Foundation
import AmoSyncCore

/// Tasks (`POST /api/v4/tasks`, `GET /api/v4/tasks`) and the users with their rights.
extension FakeAmoState {
    /// `POST /api/v4/tasks`: `complete_till` and `text` required, the entity must exist, the
    /// responsible user must exist and be active, the type must be one of the account's.
    func createTasks(_ body: JSONValue?) -> FakeResponse {
        let (items, refusal) = Self.batch(body, of: "tasks")
        if let refusal { return refusal }
        var errors: [ValidationErrors] = []
        for (index, item) in items.enumerated() {
            var problems: [ValidationError] = []
            if (item["text"]?.stringValue ?? "").isEmpty { problems.append(Self.problem("FieldMissing", "text", "This field is missing.")) }
            if item["complete_till"]?.intValue == nil {
                problems.append(Self.problem("FieldMissing", "complete_till", "This field is missing."))
            }
            let type = item["entity_type"]?.stringValue
            let entity = item["entity_id"]?.intValue ?? -1
            if type != "leads" || leads[entity] == nil { problems.append(Self.problem("NotSupportedChoice", "entity_id")) }
            if let user = item["responsible_user_id"]?.intValue, !users.contains(user) || inactiveUsers.contains(user) {
                problems.append(Self.problem("NotSupportedChoice", "responsible_user_id"))
            }
            if let taskType = item["task_type_id"]?.intValue, !sales.taskTypes.contains(where: { $0.id == taskType }) {
                problems.append(Self.problem("NotSupportedChoice", "task_type_id"))
            }
            if !problems.isEmpty {
                errors.append(ValidationErrors(requestID: item["request_id"]?.textValue ?? "\(index)", errors: problems))
            }
        }
        if !errors.isEmpty { return validationFailure(errors) }
        var answer: [AmoTask] = []
        for (index, item) in items.enumerated() {
            let task = FakeTask(
                id: allocate("task"), text: item["text"]!.stringValue!, completeTill: item["complete_till"]!.intValue!,
                entityID: item["entity_id"]!.intValue!, entityType: "leads",
                responsibleUserID: item["responsible_user_id"]?.intValue ?? users[0], typeID: item["task_type_id"]?.intValue ?? 1)
            sales.tasks[task.id] = task
            // As amoCRM answers a create: the id and the request id only.
            var model = AmoTask(text: task.text, completeTill: task.completeTill, entityID: task.entityID)
            (model.text, model.completeTill, model.entityID, model.entityType) = (nil, nil, nil, nil)
            model.id = task.id
            model.requestID = item["request_id"]?.textValue ?? "\(index)"
            answer.append(model)
        }
        return .encoded(200, Page(items: answer))
    }

    /// `GET /api/v4/tasks` with `filter[entity_type]` and `filter[entity_id][]`.
    func listTasks(query: [String: String]) -> FakeResponse {
        guard let limit = pageLimit(query) else { return Self.limitRefused }
        let page = max(1, Int(query["page"] ?? "") ?? 1)
        let entities = (query["filter[entity_id][]"] ?? query["filter[entity_id]"]).map {
            Set($0.split(separator: ",").compactMap { Int($0) })
        }
        let all = sales.tasks.values.filter { task in
            (query["filter[entity_type]"].map { $0 == task.entityType } ?? true) && (entities?.contains(task.entityID) ?? true)
        }.sorted { $0.id < $1.id }
        let slice = all.dropFirst((page - 1) * limit).prefix(limit)
        if slice.isEmpty { return FakeResponse(status: 204) }
        return .encoded(200, Page(items: slice.map(\.model), page: page, hasNext: page * limit < all.count))
    }

    func listUsers() -> FakeResponse {
        .encoded(
            200,
            Page(
                items: users.map {
                    User(id: $0, name: "User \($0)", rights: .init(isActive: !inactiveUsers.contains($0), isAdmin: $0 == users[0]))
                }))
    }
}
