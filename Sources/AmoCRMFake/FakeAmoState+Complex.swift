import Foundation
import AmoSyncCore

extension FakeAmoState {
    /// `POST /api/v4/leads/complex`: up to 50 leads, each with at most one contact (a new
    /// one as a full object, or an existing one by id). All or nothing, like the rest.
    func createComplex(_ body: JSONValue?) -> FakeResponse {
        guard let items = body?.arrayValue, !items.isEmpty else {
            return .problem(400, title: "Bad Request", detail: "expected a non-empty array")
        }
        if items.count > 50 { return .problem(400, title: "Bad Request", detail: "Too many leads in one request: 50 at most") }
        var errors: [JSONValue] = []
        var planned: [(lead: FakeEntity, contact: FakeEntity?, existing: Int?)] = []
        let time = Int(now)
        for (index, item) in items.enumerated() {
            let requestID = item["request_id"]?.textValue ?? "\(index)"
            var problems: [JSONValue] = []
            var leadItem = item.objectValue ?? [:]
            var embedded = leadItem["_embedded"]?.objectValue ?? [:]
            let linked = embedded["contacts"]?.arrayValue ?? []
            embedded["contacts"] = nil
            leadItem["_embedded"] = .object(embedded)
            var lead = FakeEntity(id: 0, name: item["name"]?.textValue ?? "", responsibleUserID: users[0], createdAt: time, updatedAt: time)
            checkCommon(.object(leadItem), into: &lead, entity: "leads", problems: &problems)
            checkLead(.object(leadItem), into: &lead, creating: true, problems: &problems)
            var newContact: FakeEntity?
            var existing: Int?
            if linked.count > 1 { problems.append(Self.problem("TooManyValues", "_embedded.contacts", "One contact at most")) }
            if let contact = linked.first {
                if let id = contact["id"]?.intValue {
                    if contacts[id] == nil {
                        problems.append(Self.problem("NotSupportedChoice", "_embedded.contacts.0.id"))
                    } else {
                        existing = id
                    }
                } else {
                    var created = FakeEntity(
                        id: 0, name: contact["name"]?.textValue ?? "", responsibleUserID: users[0], createdAt: time, updatedAt: time)
                    var contactProblems: [JSONValue] = []
                    checkCommon(contact, into: &created, entity: "contacts", problems: &contactProblems)
                    problems += contactProblems.map { problem in
                        var object = problem.objectValue ?? [:]
                        object["path"] = .string("_embedded.contacts.0." + (problem["path"]?.stringValue ?? ""))
                        return .object(object)
                    }
                    newContact = created
                }
            }
            if problems.isEmpty {
                planned.append((lead, newContact, existing))
            } else {
                errors.append(["request_id": .string(requestID), "errors": .array(problems)])
            }
        }
        if !errors.isEmpty { return validationFailure(errors) }
        var answer: [JSONValue] = []
        var answered: [Int: Int] = [:]  // contact → its answer (duplicate control)
        for (index, var entry) in planned.enumerated() {
            let requestID = JSONValue.string(items[index]["request_id"]?.textValue ?? "\(index)")
            var contactID = entry.existing
            if duplicateControl, contactID == nil, let contact = entry.contact { contactID = duplicate(of: contact) }
            if duplicateControl, let contactID {
                if let earlier = answered[contactID] {
                    // Another lead of the same customer in this request: one result, both request ids.
                    var object = answer[earlier].objectValue ?? [:]
                    object["request_id"] = .array((object["request_id"]?.arrayValue ?? []) + [requestID])
                    answer[earlier] = .object(object)
                    continue
                }
                if let open = leads.values.filter({ $0.contactIDs.contains(contactID) && ![142, 143].contains($0.statusID) })
                    .max(by: { $0.id < $1.id })
                {
                    answered[contactID] = answer.count
                    answer.append(Self.complexAnswer(lead: open.id, contact: contactID, requestID: requestID, merged: true))
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
            answer.append(Self.complexAnswer(lead: entry.lead.id, contact: contactID, requestID: requestID, merged: false))
        }
        return .json(200, .array(answer), contentType: "application/json")
    }

    static func complexAnswer(lead: Int, contact: Int?, requestID: JSONValue, merged: Bool) -> JSONValue {
        [
            "id": .number(JSONNumber(lead)), "contact_id": contact.map { .number(JSONNumber($0)) } ?? .null, "company_id": .null,
            "request_id": [requestID], "merged": .bool(merged),
        ]
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
        return contacts.values.filter { !keys($0).isDisjoint(with: wanted) }.map(\.id).min()
    }
}
