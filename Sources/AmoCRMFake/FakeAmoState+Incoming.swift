import AmoAPI
import Foundation
import AmoSyncCore

extension FakeAmoState {
    /// `POST /api/v4/leads/unsorted/forms`: incoming leads of the form category, all or nothing.
    /// The lead exists at once in the pipeline's incoming stage; a new contact stays hidden from
    /// lists and searches until a manager accepts it; an existing one is referenced by id.
    func createIncoming(_ body: JSONValue?) -> FakeResponse {
        let (items, refusal) = Self.batch(body, of: "items")
        if let refusal { return refusal }
        var errors: [ValidationErrors] = []
        var planned: [(form: FakeIncoming, lead: FakeEntity, contact: FakeEntity?)] = []
        let time = Int(now)
        for (index, item) in items.enumerated() {
            let requestID = item["request_id"]?.textValue ?? "\(index)"
            var problems: [ValidationError] = []
            for key in ["source_uid", "source_name"] where (item[key]?.stringValue ?? "").isEmpty {
                problems.append(Self.problem("FieldMissing", key, "This field is missing."))
            }
            let metadata = item["metadata"].flatMap { try? AmoJSON.decode(FormMetadata.self, from: $0) }
            if metadata == nil {
                problems.append(Self.problem("FieldMissing", "metadata", "form_id, form_name, form_page and form_sent_at"))
            }
            let pipelineID = item["pipeline_id"]?.intValue ?? pipelines[0].id
            let stage = pipelines.first { $0.id == pipelineID }?.statuses.first { $0.type == Status.incomingType }
            if stage == nil { problems.append(Self.problem("NotSupportedChoice", "pipeline_id", "The pipeline takes no incoming leads.")) }
            if let uid = item["source_uid"]?.stringValue,
                sales.incoming.values.contains(where: { $0.sourceUID == uid && $0.state == .open })
            {
                problems.append(Self.problem("Duplicate", "source_uid", "there can't be 2 identical entities"))
            }
            let leadItems = item.value(at: "_embedded.leads")?.arrayValue ?? []
            if leadItems.count != 1 { problems.append(Self.problem("InvalidCount", "_embedded.leads", "Exactly one lead.")) }
            var lead = FakeEntity(id: 0, name: "", responsibleUserID: users[0], createdAt: time, updatedAt: time)
            if let first = leadItems.first, var model = read(Lead.self, first, problems: &problems) {
                model.statusID = nil
                checkCommon(
                    name: model.name, responsible: model.responsibleUserID, tags: model.embedded?.tags, values: model.customFieldsValues,
                    into: &lead, entity: "leads", problems: &problems)
                lead.price = model.price ?? 0
            }
            var contact: FakeEntity?
            var existing: Int?
            for (position, link) in (item.value(at: "_embedded.contacts")?.arrayValue ?? []).enumerated() {
                if let id = link["id"]?.intValue {
                    if contacts[id].map({ !$0.hidden }) == true {
                        existing = id
                    } else {
                        problems.append(Self.problem("NotSupportedChoice", "_embedded.contacts.\(position).id"))
                    }
                } else if var model = read(Contact.self, link, problems: &problems) {
                    var created = FakeEntity(id: 0, name: "", responsibleUserID: users[0], createdAt: time, updatedAt: time)
                    var contactProblems: [ValidationError] = []
                    model.id = nil
                    checkCommon(
                        name: model.name ?? "", responsible: model.responsibleUserID, tags: nil, values: model.customFieldsValues,
                        into: &created, entity: "contacts", problems: &contactProblems)
                    problems += contactProblems.map {
                        ValidationError(code: $0.code, path: "_embedded.contacts.\(position)." + $0.path, detail: $0.detail)
                    }
                    created.hidden = true
                    contact = created
                }
            }
            guard problems.isEmpty, let metadata, let stage else {
                errors.append(ValidationErrors(requestID: requestID, errors: problems))
                continue
            }
            lead.pipelineID = pipelineID
            lead.statusID = stage.id
            let form = FakeIncoming(
                uid: Self.incomingUID(), sourceUID: item["source_uid"]!.stringValue!, sourceName: item["source_name"]!.stringValue!,
                pipelineID: pipelineID, createdAt: item["created_at"]?.intValue ?? time, metadata: metadata, leadID: 0,
                contactID: existing, newContact: contact != nil)
            planned.append((form, lead, contact))
        }
        if !errors.isEmpty { return validationFailure(errors) }
        var answer: [UnsortedForm] = []
        for (index, var entry) in planned.enumerated() {
            if var contact = entry.contact {
                contact.id = allocate("contact")
                contacts[contact.id] = contact
                entry.form.contactID = contact.id
            }
            entry.lead.id = allocate("lead")
            entry.lead.contactIDs = entry.form.contactID.map { [$0] } ?? []
            leads[entry.lead.id] = entry.lead
            entry.form.leadID = entry.lead.id
            sales.incoming[entry.form.uid] = entry.form
            var model = entry.form.model
            model.requestID = items[index]["request_id"]?.textValue ?? "\(index)"
            (model.sourceUID, model.sourceName, model.pipelineID, model.createdAt, model.metadata) = (nil, nil, nil, nil, nil)
            answer.append(model)
        }
        return .encoded(200, Page(items: answer))
    }

    static func incomingUID() -> String {
        (UUID().uuidString + UUID().uuidString).replacingOccurrences(of: "-", with: "").lowercased().prefix(60).description
    }

    /// `GET /api/v4/leads/unsorted`: the open incoming leads, oldest first, 250 a page at most.
    func listIncoming(query: [String: String]) -> FakeResponse {
        guard let limit = pageLimit(query) else { return Self.limitRefused }
        let page = max(1, Int(query["page"] ?? "") ?? 1)
        let open = sales.incoming.values.filter { $0.state == .open }.sorted { ($0.createdAt, $0.leadID) < ($1.createdAt, $1.leadID) }
        let slice = open.dropFirst((page - 1) * limit).prefix(limit)
        if slice.isEmpty { return FakeResponse(status: 204) }
        return .encoded(200, Page(items: slice.map(\.model), page: page, hasNext: page * limit < open.count))
    }

    /// `POST /api/v4/leads/unsorted/{uid}/accept` (`{user_id, status_id}`): the lead moves to
    /// the stage (the pipeline's first when none is named); a new contact becomes visible.
    func acceptIncoming(_ uid: String, _ body: JSONValue?) -> FakeResponse {
        guard var form = sales.incoming[uid], form.state == .open, var lead = leads[form.leadID] else {
            return .problem(404, title: "Not Found", detail: "Incoming lead not found")
        }
        guard let user = body?["user_id"]?.intValue, users.contains(user) else {
            return validationFailure([ValidationErrors(requestID: "0", errors: [Self.problem("NotSupportedChoice", "user_id")])])
        }
        let pipeline = pipelines.first { $0.id == form.pipelineID }!
        let status = body?["status_id"]?.intValue ?? pipeline.statuses.first { $0.type == 0 }!.id
        guard pipeline.statuses.contains(where: { $0.id == status && $0.type == 0 }) else {
            return validationFailure([ValidationErrors(requestID: "0", errors: [Self.problem("NotSupportedChoice", "status_id")])])
        }
        lead.statusID = status
        lead.updatedAt = Int(now)
        leads[lead.id] = lead
        if let contact = form.contactID, form.newContact, var value = contacts[contact] {
            value.hidden = false
            value.updatedAt = Int(now)
            contacts[contact] = value
        }
        form.state = .accepted
        sales.incoming[uid] = form
        var model = form.model
        (model.sourceUID, model.sourceName, model.metadata) = (nil, nil, nil)
        return .encoded(200, model)
    }

    /// `DELETE /api/v4/leads/unsorted/{uid}/decline`: the lead and its new contact are gone.
    func declineIncoming(_ uid: String) -> FakeResponse {
        guard var form = sales.incoming[uid], form.state == .open else {
            return .problem(404, title: "Not Found", detail: "Incoming lead not found")
        }
        leads[form.leadID] = nil
        if form.newContact, let contact = form.contactID { contacts[contact] = nil }
        form.state = .declined
        sales.incoming[uid] = form
        return .encoded(200, form.model)
    }
}
