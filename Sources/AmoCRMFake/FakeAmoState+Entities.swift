import AmoAPI
import Foundation
import AmoSyncCore

extension FakeAmoState {
    func store(_ entity: String) -> FakeTable { entity == "contacts" ? contacts : leads }

    func put(_ value: FakeEntity, in entity: String) {
        if entity == "contacts" { contacts[value.id] = value } else { leads[value.id] = value }
    }

    /// An entity's custom field values as amoCRM answers them (with the field's name and type).
    func fieldValues(_ value: FakeEntity, entity: String) -> [CustomFieldValues]? {
        guard !value.fields.isEmpty else { return nil }
        let defs = Dictionary(uniqueKeysWithValues: (fields[entity] ?? []).map { ($0.id, $0) })
        return value.fields.map { stored in
            let def = defs[stored.fieldID]
            var field = CustomFieldValues(
                fieldID: stored.fieldID, fieldCode: def?.code,
                values: stored.values.map { item in
                    CustomFieldValues.Item(
                        value: item.value, enumID: def?.enums.first(where: { $0.value == (item.enumCode ?? item.value.textValue) })?.id,
                        enumCode: item.enumCode)
                })
            field.fieldName = def?.name ?? ""
            field.fieldType = def?.type ?? "text"
            return field
        }
    }

    func contactModel(_ value: FakeEntity) -> Contact {
        var contact = Contact(
            id: value.id, name: value.name, updatedAt: value.updatedAt, customFieldsValues: fieldValues(value, entity: "contacts"))
        contact.responsibleUserID = value.responsibleUserID
        contact.createdAt = value.createdAt
        contact.embedded = EntityLinks(tags: value.tags.map(EntityLinks.Tag.init(name:)), companies: [])
        return contact
    }

    func leadModel(_ value: FakeEntity) -> Lead {
        var lead = Lead(
            id: value.id, name: value.name, price: value.price, pipelineID: value.pipelineID, statusID: value.statusID,
            responsibleUserID: value.responsibleUserID, customFieldsValues: fieldValues(value, entity: "leads"),
            embedded: Lead.Embedded(
                tags: value.tags.map(EntityLinks.Tag.init(name:)),
                contacts: value.contactIDs.enumerated().map { Contact(id: $1, isMain: $0 == 0) }))
        lead.createdAt = value.createdAt
        lead.updatedAt = value.updatedAt
        return lead
    }

    /// An entity as `GET /__fake/state` shows it: the API's own shape.
    func render(_ value: FakeEntity, entity: String) -> JSONValue {
        (entity == "contacts" ? try? AmoJSON.value(contactModel(value)) : try? AmoJSON.value(leadModel(value))) ?? .null
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
        if let created = query["filter[created_at][from]"].flatMap(Int.init) { items = items.filter { $0.createdAt >= created } }
        if let ids { items = items.filter { ids.contains($0.id) } }
        if let users = (query["filter[responsible_user_id][]"] ?? query["filter[responsible_user_id]"]) {
            let wanted = Set(users.split(separator: ",").compactMap { Int($0) })
            items = items.filter { wanted.contains($0.responsibleUserID) }
        }
        let stages = Set(
            query.keys.filter { $0.hasPrefix("filter[statuses][") && $0.hasSuffix("[status_id]") }.compactMap { key -> String? in
                guard let pipeline = query[key.dropLast("[status_id]".count) + "[pipeline_id]"], let status = query[key] else { return nil }
                return "\(pipeline):\(status)"
            })
        if !stages.isEmpty { items = items.filter { stages.contains("\($0.pipelineID):\($0.statusID)") } }
        if query["order[updated_at]"] != nil {
            let descending = query["order[updated_at]"] == "desc"
            items.sort { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }
            if descending { items.reverse() }
        } else if let order = query["order[created_at]"] {
            items.sort { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            if order == "desc" { items.reverse() }
        } else {
            items.sort { $0.id < $1.id }
        }
        let slice = Array(items.dropFirst((page - 1) * limit).prefix(limit))
        return listPage(entity, slice, page: page, more: page * limit < items.count)
    }

    private func listPage(_ entity: String, _ slice: [FakeEntity], page: Int, more: Bool) -> FakeResponse {
        let slice = slice.filter { !$0.hidden }
        if slice.isEmpty { return FakeResponse(status: 204) }
        return entity == "contacts"
            ? .encoded(200, Page(items: slice.map(contactModel), page: page, hasNext: more))
            : .encoded(200, Page(items: slice.map(leadModel), page: page, hasNext: more))
    }

    func getEntity(_ entity: String, _ id: Int) -> FakeResponse {
        guard let value = store(entity)[id], !value.hidden else { return FakeResponse(status: 204) }
        return entity == "contacts" ? .encoded(200, contactModel(value)) : .encoded(200, leadModel(value))
    }

    /// Validates every item of a batch first (amoCRM applies all or nothing): the built entities,
    /// or the `validation-errors` answer naming each failing item by `request_id`.
    func validateAll(
        _ items: [JSONValue], _ build: (JSONValue, inout [ValidationError]) -> FakeEntity?
    ) -> (built: [FakeEntity], refused: FakeResponse?) {
        var errors: [ValidationErrors] = []
        var built: [FakeEntity] = []
        for (index, item) in items.enumerated() {
            var problems: [ValidationError] = []
            let value = build(item, &problems)
            if let value, problems.isEmpty {
                built.append(value)
            } else {
                errors.append(ValidationErrors(requestID: item["request_id"]?.textValue ?? "\(index)", errors: problems))
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
            var value = FakeEntity(id: 0, name: "", responsibleUserID: users[0], createdAt: time, updatedAt: time)
            if entity == "contacts" {
                guard let contact = read(Contact.self, item, problems: &problems) else { return nil }
                let name = contact.name ?? [contact.firstName, contact.lastName].compactMap { $0 }.joined(separator: " ")
                checkCommon(
                    name: name, responsible: contact.responsibleUserID, tags: contact.embedded?.tags, values: contact.customFieldsValues,
                    into: &value, entity: entity, problems: &problems)
            } else {
                guard let lead = read(Lead.self, item, problems: &problems) else { return nil }
                checkCommon(
                    name: lead.name, responsible: lead.responsibleUserID, tags: lead.embedded?.tags, values: lead.customFieldsValues,
                    into: &value, entity: entity, problems: &problems)
                checkLead(lead, into: &value, creating: true, problems: &problems)
            }
            return value
        }
        if let refused = validated.refused { return refused }
        var answer: [(id: Int, requestID: String)] = []
        for (index, var value) in validated.built.enumerated() {
            value.id = allocate(entity == "contacts" ? "contact" : "lead")
            put(value, in: entity)
            answer.append((value.id, items[index]["request_id"]?.textValue ?? "\(index)"))
        }
        return written(entity, answer)
    }

    /// The answer to a batch write: each entity's id and the `request_id` it answers.
    func written(_ entity: String, _ answer: [(id: Int, requestID: String)], updatedAt: [Int: Int] = [:]) -> FakeResponse {
        if entity == "contacts" {
            return .encoded(
                200,
                Page(
                    items: answer.map {
                        var contact = Contact(id: $0.id, requestID: $0.requestID)
                        contact.updatedAt = updatedAt[$0.id]
                        return contact
                    }))
        }
        return .encoded(
            200,
            Page(
                items: answer.map {
                    var lead = Lead(id: $0.id, requestID: $0.requestID)
                    lead.updatedAt = updatedAt[$0.id]
                    return lead
                }))
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
            value.updatedAt = max(time, value.updatedAt)
            if entity == "contacts" {
                guard let contact = read(Contact.self, item, problems: &problems) else { return nil }
                checkCommon(
                    name: contact.name, responsible: contact.responsibleUserID, tags: contact.embedded?.tags,
                    values: contact.customFieldsValues, into: &value, entity: entity, problems: &problems)
            } else {
                guard let lead = read(Lead.self, item, problems: &problems) else { return nil }
                checkCommon(
                    name: lead.name, responsible: lead.responsibleUserID, tags: lead.embedded?.tags, values: lead.customFieldsValues,
                    into: &value, entity: entity, problems: &problems)
                checkLead(lead, into: &value, creating: false, problems: &problems)
            }
            return value
        }
        if let refused = validated.refused { return refused }
        var answer: [(id: Int, requestID: String)] = []
        var updated: [Int: Int] = [:]
        for (index, value) in validated.built.enumerated() {
            if entity == "leads", let old = leads[value.id] { stageChanged(from: old, to: value) }
            put(value, in: entity)
            answer.append((value.id, items[index]["request_id"]?.textValue ?? "\(index)"))
            updated[value.id] = value.updatedAt
        }
        return written(entity, answer, updatedAt: updated)
    }

    func createNotes(_ body: JSONValue?) -> FakeResponse {
        guard let items = body?.arrayValue, !items.isEmpty else {
            return .problem(400, title: "Bad Request", detail: "expected a non-empty array")
        }
        var errors: [ValidationErrors] = []
        for (index, item) in items.enumerated() {
            let requestID = item["request_id"]?.textValue ?? "\(index)"
            if leads[item["entity_id"]?.intValue ?? -1] == nil {
                errors.append(ValidationErrors(requestID: requestID, errors: [Self.problem("NotSupportedChoice", "entity_id")]))
            } else if item["note_type"]?.stringValue != Note.common || item.value(at: "params.text")?.stringValue == nil {
                errors.append(
                    ValidationErrors(requestID: requestID, errors: [Self.problem("FieldMissing", "params.text", "This field is missing.")]))
            } else if let text = item.value(at: "params.text")?.stringValue, text.unicodeScalars.count > 8192 {
                errors.append(ValidationErrors(requestID: requestID, errors: [Self.tooLong("params.text", 8192)]))
            }
        }
        if !errors.isEmpty { return validationFailure(errors) }
        var answer: [Note] = []
        for (index, item) in items.enumerated() {
            let note = FakeNote(
                id: allocate("note"), entityID: item["entity_id"]!.intValue!, noteType: Note.common,
                text: item.value(at: "params.text")!.stringValue!)
            notes[note.id] = note
            answer.append(
                Note(id: note.id, entityID: note.entityID, text: note.text, requestID: item["request_id"]?.textValue ?? "\(index)"))
        }
        return .encoded(200, Page(items: answer))
    }

    /// A lead's notes, 250 a page at most.
    func listNotes(_ leadID: Int, query: [String: String]) -> FakeResponse {
        let limit = min(Endpoints.pageLimit, Int(query["limit"] ?? "") ?? 50)
        let page = max(1, Int(query["page"] ?? "") ?? 1)
        let all = notes.values.filter { $0.entityID == leadID }.sorted { $0.id < $1.id }
        let slice = all.dropFirst((page - 1) * limit).prefix(limit)
        if slice.isEmpty { return FakeResponse(status: 204) }
        return .encoded(200, Page(items: slice.map(\.model), page: page, hasNext: page * limit < all.count))
    }
}
