import AmoSyncCore
import Foundation

/// Step 4: new leads, one `leads/complex` request for the batch, each with its contact.
struct LeadStep: Sendable {
    let client: AmoClient
    let bodies: ContactBodies
    let sender: BatchSender
    let index: ContactIndex?
    let reader: ContactReader
    let progress: any BatchProgress

    /// Creates the leads of the batch in one `leads/complex` request, each linked to its
    /// contact (an existing one by id, a new one created in the same request) and stamped
    /// with the job key. A job whose earlier create may have taken effect (sent, no answer
    /// stored) first looks its key up, so a crash never makes a second lead or contact.
    func run(_ items: [DeliveryItem], _ fields: ResolvedFields) async throws {
        let needing = items.filter { $0.active && $0.job.kind != .orderUpdate && $0.plan.lead != nil && $0.job.progress.leadID == nil }
        guard !needing.isEmpty else { return }
        for item in needing where item.job.progress.leadSent {
            if let found = try await findLead(key: item.plan.key, keyField: fields.key) {
                item.update { progress in
                    progress.leadID = found.lead
                    progress.contactID = progress.contactID ?? found.contact
                }
            }
        }
        let creating = needing.filter { $0.job.progress.leadID == nil }
        guard !creating.isEmpty else { return try await progress.checkpoint(items) }
        if fields.key == nil {
            creating.forEach { $0.warn("the amosync_key lead field could not be created: a crash while sending may duplicate this lead") }
        }
        var entries = creating.map { item -> BatchEntry in
            var warnings: [String] = []
            var body = leadBody(item, fields: fields, warnings: &warnings)
            warnings.forEach(item.warn)
            var embedded = body["_embedded"]?.objectValue ?? [:]
            if let contact = item.job.progress.contactID {
                embedded["contacts"] = [["id": .number(JSONNumber(contact))]]
                // Kept in case amoCRM says the contact no longer exists (deleted by a manager).
                if let plan = item.plan.contact {
                    var ignored: [String] = []
                    item.newContact = bodies.createBody(plan, fields: fields, warnings: &ignored)
                }
            } else if let contact = item.newContact {
                embedded["contacts"] = [.object(contact)]
            }
            if !embedded.isEmpty { body["_embedded"] = .object(embedded) }
            return BatchEntry(items: [item], body: body)
        }
        creating.forEach { item in item.update { $0.leadSent = true } }
        try await progress.checkpoint(items)
        let answer = try await sender.sendBatch("POST", "/api/v4/leads/complex", &entries, embedded: nil, names: fields.names)
        var created: [JSONValue] = []
        var mergedContacts: [Int] = []
        for (index, entry) in entries.enumerated() {
            guard let id = answer[index]?["id"]?.intValue else { continue }
            let contact = answer[index]?["contact_id"]?.intValue
            let merged = answer[index]?["merged"]?.boolValue == true
            for item in entry.items {
                if merged {
                    // amoCRM's duplicate control attached this order to an open lead of the same
                    // customer (and kept its contact): the note still goes to that lead.
                    item.warn("merged by amoCRM duplicate control into lead \(id)")
                    if let contact { mergedContacts.append(contact) }
                } else if item.job.progress.contactID == nil, let contact, let body = item.newContact {
                    created.append(ContactBodies.createdContact(id: contact, body: body))
                }
                item.update { progress in
                    progress.leadID = id
                    if progress.contactID == nil, let contact {
                        progress.contactID = contact
                        progress.contactUpdated = true
                    }
                }
            }
        }
        try? await index?.record(created)  // one transaction for the batch's new contacts
        if !mergedContacts.isEmpty { _ = try? await reader.read(mergedContacts) }  // the index learns amoCRM's copy
        sender.unanswered(entries, request: "POST /api/v4/leads/complex") { $0.leadID == nil }
        try await progress.checkpoint(items)
    }

    func leadBody(_ item: DeliveryItem, fields: ResolvedFields, warnings: inout [String]) -> [String: JSONValue] {
        let lead = item.plan.lead!
        var values = FieldValueEncoder.encode(lead.fields, resolved: fields.lead, missing: fields.leadMissing, warnings: &warnings)
            .map(\.json).filter { $0["values"]?.isNull == false }
        if let key = fields.key {
            values.append(["field_id": .number(JSONNumber(key.id)), "values": [["value": .string(item.plan.key)]]])
        }
        var body: [String: JSONValue] = [
            "name": .string(AmoLimits.fit(lead.name, to: AmoLimits.name, what: "lead name", warnings: &warnings))
        ]
        if let pipeline = lead.pipelineID { body["pipeline_id"] = .number(JSONNumber(pipeline)) }
        if let status = lead.statusID { body["status_id"] = .number(JSONNumber(status)) }
        if let price = lead.price { body["price"] = .number(JSONNumber(price)) }
        if let user = lead.responsibleUserID { body["responsible_user_id"] = .number(JSONNumber(user)) }
        if !values.isEmpty {
            let key = fields.key.map { Set([$0.id]) } ?? []
            body["custom_fields_values"] = .array(FieldValueEncoder.capped(values, keeping: key, names: fields.names, warnings: &warnings))
        }
        var embedded: [String: JSONValue] = [:]
        if !lead.tags.isEmpty { embedded["tags"] = .array(lead.tags.map { ["name": .string($0)] }) }
        if !embedded.isEmpty { body["_embedded"] = .object(embedded) }
        return body
    }

    /// The lead stamped with `key` and its main contact, if amoCRM has it.
    func findLead(key: String, keyField: AmoField?) async throws -> (lead: Int, contact: Int?)? {
        guard let keyField else { return nil }
        let response = try await client.send("GET", "/api/v4/leads", query: [("query", key), ("with", "contacts"), ("limit", "50")])
        for lead in response.json?.value(at: "_embedded.leads")?.arrayValue ?? [] {
            let stamped = (lead["custom_fields_values"]?.arrayValue ?? []).contains { field in
                field["field_id"]?.intValue == keyField.id && (field["values"]?.arrayValue ?? []).contains { $0["value"]?.textValue == key }
            }
            if stamped, let id = lead["id"]?.intValue { return (id, lead.value(at: "_embedded.contacts.0.id")?.intValue) }
        }
        return nil
    }
}
