import Foundation
import AmoSyncCore

extension FakeAmoState {
    func store(_ entity: String) -> FakeTable { entity == "contacts" ? contacts : leads }

    func put(_ value: FakeEntity, in entity: String) {
        if entity == "contacts" { contacts[value.id] = value } else { leads[value.id] = value }
    }

    func render(_ value: FakeEntity, entity: String) -> JSONValue {
        let defs = Dictionary(uniqueKeysWithValues: (fields[entity] ?? []).map { ($0.id, $0) })
        var object: [String: JSONValue] = [
            "id": .number(JSONNumber(value.id)), "name": .string(value.name),
            "responsible_user_id": .number(JSONNumber(value.responsibleUserID)),
            "created_at": .number(JSONNumber(value.createdAt)), "updated_at": .number(JSONNumber(value.updatedAt)),
            "account_id": 1231414,
        ]
        object["custom_fields_values"] =
            value.fields.isEmpty
            ? .null
            : .array(
                value.fields.map { cf in
                    let def = defs[cf.fieldID]
                    return [
                        "field_id": .number(JSONNumber(cf.fieldID)), "field_name": .string(def?.name ?? ""),
                        "field_code": def?.code.map(JSONValue.string) ?? .null, "field_type": .string(def?.type ?? "text"),
                        "values": .array(
                            cf.values.map { item in
                                var v: [String: JSONValue] = ["value": item.value]
                                if let code = item.enumCode { v["enum_code"] = .string(code) }
                                if let enumID = def?.enums.first(where: { $0.value == (item.enumCode ?? item.value.textValue) })?.id {
                                    v["enum_id"] = .number(JSONNumber(enumID))
                                }
                                return .object(v)
                            }),
                    ]
                })
        var embedded: [String: JSONValue] = ["tags": .array(value.tags.map { ["name": .string($0)] })]
        if entity == "leads" {
            object["price"] = .number(JSONNumber(value.price))
            object["pipeline_id"] = .number(JSONNumber(value.pipelineID))
            object["status_id"] = .number(JSONNumber(value.statusID))
            embedded["contacts"] = .array(value.contactIDs.enumerated().map { ["id": .number(JSONNumber($1)), "is_main": .bool($0 == 0)] })
        }
        object["_embedded"] = .object(embedded)
        return .object(object)
    }

    func listEntities(_ entity: String, query: [String: String]) -> FakeResponse {
        let table = store(entity)
        let text = query["query"]?.lowercased() ?? ""
        let from = query["filter[updated_at][from]"].flatMap(Int.init)
        let ids = (query["filter[id]"] ?? query["filter[id][]"]).map { Set($0.split(separator: ",").compactMap { Int($0) }) }
        let limit = min(250, Int(query["limit"] ?? "") ?? 50)
        let page = max(1, Int(query["page"] ?? "") ?? 1)
        if text.isEmpty, ids == nil, let direction = query["order[updated_at]"] {
            // The index sync's read: a page of the ordered keys, nothing sorted or copied.
            let keys = table.keys(updatedFrom: from ?? Int.min)
            let window =
                direction == "desc"
                ? Array(keys.reversed().dropFirst((page - 1) * limit).prefix(limit))
                : Array(keys.dropFirst((page - 1) * limit).prefix(limit))
            return listPage(entity, window.compactMap { table[$0.id] }, page: page, more: page * limit < keys.count)
        }
        var items = text.isEmpty ? Array(table.values) : table.candidates(for: text)
        if !text.isEmpty {
            let digits = text.filter(\.isASCIIDigit)
            items = items.filter { item in
                if item.name.lowercased().contains(text) { return true }
                return item.fields.contains { cf in
                    cf.values.contains { value in
                        let stored = value.value.textValue?.lowercased() ?? ""
                        if stored.contains(text) { return true }
                        return digits.count >= 5 && digits.count == text.count && stored.filter(\.isASCIIDigit).contains(digits)
                    }
                }
            }
        }
        if let from { items = items.filter { $0.updatedAt >= from } }
        if let ids { items = items.filter { ids.contains($0.id) } }
        if query["order[updated_at]"] != nil {
            let descending = query["order[updated_at]"] == "desc"
            items.sort { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }
            if descending { items.reverse() }
        } else {
            items.sort { $0.id < $1.id }
        }
        let slice = Array(items.dropFirst((page - 1) * limit).prefix(limit))
        return listPage(entity, slice, page: page, more: page * limit < items.count)
    }

    private func listPage(_ entity: String, _ slice: [FakeEntity], page: Int, more: Bool) -> FakeResponse {
        if slice.isEmpty { return FakeResponse(status: 204) }
        var links: [String: JSONValue] = ["self": ["href": .string("/api/v4/\(entity)?page=\(page)")]]
        if more { links["next"] = ["href": .string("/api/v4/\(entity)?page=\(page + 1)")] }
        return .json(
            200,
            [
                "_page": .number(JSONNumber(page)), "_links": .object(links),
                "_embedded": .object([entity: .array(slice.map { render($0, entity: entity) })]),
            ])
    }
    func getEntity(_ entity: String, _ id: String) -> FakeResponse {
        guard let id = Int(id), let value = store(entity)[id] else { return FakeResponse(status: 204) }
        return .json(200, render(value, entity: entity))
    }

    /// Validates every item of a batch first (amoCRM applies all or nothing): the built entities,
    /// or the `validation-errors` answer naming each failing item by `request_id`.
    func validateAll(
        _ items: [JSONValue], _ build: (JSONValue, inout [JSONValue]) -> FakeEntity?
    ) -> (built: [FakeEntity], refused: FakeResponse?) {
        var errors: [JSONValue] = []
        var built: [FakeEntity] = []
        for (index, item) in items.enumerated() {
            var problems: [JSONValue] = []
            let value = build(item, &problems)
            if let value, problems.isEmpty {
                built.append(value)
            } else {
                errors.append(["request_id": .string(item["request_id"]?.textValue ?? "\(index)"), "errors": .array(problems)])
            }
        }
        return (built, errors.isEmpty ? nil : validationFailure(errors))
    }

    func createEntities(_ entity: String, _ body: JSONValue?) -> FakeResponse {
        guard let items = body?.arrayValue, !items.isEmpty else {
            return .problem(400, title: "Bad Request", detail: "expected a non-empty array")
        }
        if items.count > 250 { return .problem(400, title: "Bad Request", detail: "too many entities in one request") }
        let time = Int(now)
        let validated = validateAll(items) { item, problems in
            var value = FakeEntity(
                id: 0, name: item["name"]?.textValue ?? "", responsibleUserID: users[0], createdAt: time, updatedAt: time)
            if value.name.isEmpty, entity == "contacts" {
                value.name = [item["first_name"]?.textValue, item["last_name"]?.textValue].compactMap { $0 }.joined(separator: " ")
            }
            checkCommon(item, into: &value, entity: entity, problems: &problems)
            if entity == "leads" { checkLead(item, into: &value, creating: true, problems: &problems) }
            return value
        }
        if let refused = validated.refused { return refused }
        let built = validated.built
        var answer: [JSONValue] = []
        for (index, var value) in built.enumerated() {
            value.id = allocate(entity == "contacts" ? "contact" : "lead")
            put(value, in: entity)
            answer.append([
                "id": .number(JSONNumber(value.id)), "request_id": .string(items[index]["request_id"]?.textValue ?? "\(index)"),
                "_links": ["self": ["href": .string("/api/v4/\(entity)/\(value.id)")]],
            ])
        }
        return .json(200, ["_links": ["self": ["href": .string("/api/v4/\(entity)")]], "_embedded": .object([entity: .array(answer)])])
    }

    func updateEntities(_ entity: String, _ body: JSONValue?) -> FakeResponse {
        guard let items = body?.arrayValue, !items.isEmpty else {
            return .problem(400, title: "Bad Request", detail: "expected a non-empty array")
        }
        let time = Int(now)
        let validated = validateAll(items) { item, problems in
            guard let id = item["id"]?.intValue, var value = store(entity)[id] else {
                problems.append(Self.problem("NotFound", "id", "Entity not found"))
                return nil
            }
            if let name = item["name"]?.textValue { value.name = name }
            value.updatedAt = max(time, value.updatedAt)
            checkCommon(item, into: &value, entity: entity, problems: &problems)
            if entity == "leads" { checkLead(item, into: &value, creating: false, problems: &problems) }
            return value
        }
        if let refused = validated.refused { return refused }
        let built = validated.built
        var answer: [JSONValue] = []
        for (index, value) in built.enumerated() {
            put(value, in: entity)
            answer.append([
                "id": .number(JSONNumber(value.id)), "updated_at": .number(JSONNumber(value.updatedAt)),
                "request_id": .string(items[index]["request_id"]?.textValue ?? "\(index)"),
            ])
        }
        return .json(200, ["_embedded": .object([entity: .array(answer)])])
    }

    func createNotes(_ body: JSONValue?) -> FakeResponse {
        guard let items = body?.arrayValue, !items.isEmpty else {
            return .problem(400, title: "Bad Request", detail: "expected a non-empty array")
        }
        var errors: [JSONValue] = []
        for (index, item) in items.enumerated() {
            let requestID = item["request_id"]?.textValue ?? "\(index)"
            if leads[item["entity_id"]?.intValue ?? -1] == nil {
                errors.append([
                    "request_id": .string(requestID),
                    "errors": [
                        ["code": "NotSupportedChoice", "path": "entity_id", "detail": "The value you selected is not a valid choice."]
                    ],
                ])
            } else if item["note_type"]?.stringValue != "common" || item.value(at: "params.text")?.stringValue == nil {
                errors.append([
                    "request_id": .string(requestID),
                    "errors": [["code": "FieldMissing", "path": "params.text", "detail": "This field is missing."]],
                ])
            } else if let text = item.value(at: "params.text")?.stringValue, text.unicodeScalars.count > 8192 {
                errors.append(["request_id": .string(requestID), "errors": [Self.tooLong("params.text", 8192)]])
            }
        }
        if !errors.isEmpty { return validationFailure(errors) }
        var answer: [JSONValue] = []
        for (index, item) in items.enumerated() {
            let note = FakeNote(
                id: allocate("note"), entityID: item["entity_id"]!.intValue!, noteType: "common",
                text: item.value(at: "params.text")!.stringValue!)
            notes[note.id] = note
            answer.append([
                "id": .number(JSONNumber(note.id)), "entity_id": .number(JSONNumber(note.entityID)),
                "request_id": .string(item["request_id"]?.textValue ?? "\(index)"),
            ])
        }
        return .json(200, ["_embedded": ["notes": .array(answer)]])
    }

    func listNotes(_ leadID: Int) -> FakeResponse {
        let list = notes.values.filter { $0.entityID == leadID }.sorted { $0.id < $1.id }
        if list.isEmpty { return FakeResponse(status: 204) }
        return .json(200, ["_embedded": ["notes": .array(list.map(noteJSON))]])
    }

    func noteJSON(_ note: FakeNote) -> JSONValue {
        [
            "id": .number(JSONNumber(note.id)), "entity_id": .number(JSONNumber(note.entityID)), "note_type": .string(note.noteType),
            "params": ["text": .string(note.text)],
        ]
    }
}
