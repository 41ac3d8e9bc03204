import AmoAPI
import Foundation
import AmoSyncCore

extension FakeAmoState {
    /// `POST /api/v4/leads/complex`: up to 50 leads, each with at most one contact (a new
    /// one as a full object, or an existing one by id). All or nothing, like the rest.
    func createComplex(_ body: JSONValue?) -> FakeResponse {
        let (items, refusal) = Self.batch(body, of: "leads")
        if let refusal { return refusal }
        var errors: [ValidationErrors] = []
        var planned: [(lead: FakeEntity, contact: FakeEntity?, existing: Int?)] = []
        let time = Int(now)
        for (index, item) in items.enumerated() {
            let requestID = item["request_id"]?.textValue ?? "\(index)"
            var problems: [ValidationError] = []
            var lead = FakeEntity(id: 0, name: "", responsibleUserID: users[0], createdAt: time, updatedAt: time)
            var newContact: FakeEntity?
            var existing: Int?
            if var model = read(Lead.self, item, problems: &problems) {
                let linked = model.embedded?.contacts ?? []
                model.embedded?.contacts = nil
                checkCommon(
                    name: model.name, responsible: model.responsibleUserID, tags: model.embedded?.tags, values: model.customFieldsValues,
                    into: &lead, entity: "leads", problems: &problems)
                checkLead(model, into: &lead, creating: true, problems: &problems)
                if linked.count > 1 { problems.append(Self.problem("TooManyValues", "_embedded.contacts", "One contact at most")) }
                if let contact = linked.first {
                    if let id = contact.id {
                        if contacts[id].map({ !$0.hidden }) != true {
                            problems.append(Self.problem("NotSupportedChoice", "_embedded.contacts.0.id"))
                        } else {
                            existing = id
                        }
                    } else {
                        var created = FakeEntity(id: 0, name: "", responsibleUserID: users[0], createdAt: time, updatedAt: time)
                        var contactProblems: [ValidationError] = []
                        checkCommon(
                            name: contact.name ?? "", responsible: contact.responsibleUserID, tags: contact.embedded?.tags,
                            values: contact.customFieldsValues, into: &created, entity: "contacts", problems: &contactProblems)
                        problems += contactProblems.map { problem in
                            ValidationError(code: problem.code, path: "_embedded.contacts.0." + problem.path, detail: problem.detail)
                        }
                        newContact = created
                    }
                }
            }
            if problems.isEmpty {
                planned.append((lead, newContact, existing))
            } else {
                errors.append(ValidationErrors(requestID: requestID, errors: problems))
            }
        }
        if !errors.isEmpty { return validationFailure(errors) }
        var answer: [ComplexResult] = []
        var answered: [Int: Int] = [:]  // contact → its answer (duplicate control)
        for (index, var entry) in planned.enumerated() {
            let requestID = items[index]["request_id"]?.textValue ?? "\(index)"
            var contactID = entry.existing
            if duplicateControl, contactID == nil, let contact = entry.contact { contactID = duplicate(of: contact) }
            if duplicateControl, let contactID {
                if let earlier = answered[contactID] {
                    // Another lead of the same customer in this request: one result, both request ids.
                    answer[earlier].requestID.values.append(requestID)
                    continue
                }
                if let open = leads.values.filter({ $0.contactIDs.contains(contactID) && !Status.isClosed($0.statusID) })
                    .max(by: { $0.id < $1.id })
                {
                    answered[contactID] = answer.count
                    answer.append(ComplexResult(id: open.id, contactID: contactID, requestID: [requestID], merged: true))
                    continue
                }
            }
            if contactID == nil, var contact = entry.contact {
                contact.id = allocate("contact")
                contacts[contact.id] = contact
                contactID = contact.id
            }
            entry.lead.id = allocate("lead")
            entry.lead.contactIDs = contactID.map { [$0] } ?? []
            leads[entry.lead.id] = entry.lead
            if let contactID { answered[contactID] = answer.count }
            answer.append(ComplexResult(id: entry.lead.id, contactID: contactID, requestID: [requestID], merged: false))
        }
        // A bare array, not HAL.
        return .encoded(200, answer, contentType: "application/json")
    }

    /// An existing contact sharing a phone (last 10 digits) or an email with a new one.
    func duplicate(of contact: FakeEntity) -> Int? {
        func keys(_ entity: FakeEntity) -> Set<String> {
            Set(
                entity.fields.filter { $0.fieldID == 3 || $0.fieldID == 5 }.flatMap { field in
                    field.values.compactMap { value -> String? in
                        guard let text = value.value.textValue else { return nil }
                        return field.fieldID == 3 ? String(text.filter(\.isASCIIDigit).suffix(10)) : text.lowercased()
                    }
                })
        }
        let wanted = keys(contact)
        guard !wanted.isEmpty else { return nil }
        return contacts.values.filter { !$0.hidden && !keys($0).isDisjoint(with: wanted) }.map(\.id).min()
    }
}
