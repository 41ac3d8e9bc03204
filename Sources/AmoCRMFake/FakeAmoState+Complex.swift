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
            if (item["custom_fields_values"]?.arrayValue?.count ?? 0) > 40 {
                problems.append(Self.problem("TooManyValues", "custom_fields_values", "Too many custom field values: 40 at most"))
            }
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
        for (index, var entry) in planned.enumerated() {
            var contactID = entry.existing
            if var contact = entry.contact {
                contact.id = allocate("contact")
                contacts[contact.id] = contact
                contactID = contact.id
            }
            entry.lead.id = allocate("lead")
            entry.lead.contactIDs = contactID.map { [$0] } ?? []
            leads[entry.lead.id] = entry.lead
            answer.append([
                "id": .number(JSONNumber(entry.lead.id)), "contact_id": contactID.map { .number(JSONNumber($0)) } ?? .null,
                "company_id": .null, "request_id": [.string(items[index]["request_id"]?.textValue ?? "\(index)")], "merged": false,
            ])
        }
        return .json(200, .array(answer), contentType: "application/json")
    }
}
