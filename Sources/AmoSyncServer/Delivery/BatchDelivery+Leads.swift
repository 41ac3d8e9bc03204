import Foundation
import AmoSyncCore

extension BatchDelivery {
    /// Creates the leads of the batch in one `leads/complex` request, each linked to its
    /// contact (an existing one by id, a new one created in the same request) and stamped
    /// with the job key. A job whose earlier create may have taken effect (sent, no answer
    /// stored) first looks its key up, so a crash never makes a second lead or contact.
    func deliverLeads(_ items: [DeliveryItem], _ fields: ResolvedFields) async throws {
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
        guard !creating.isEmpty else { return try await checkpoint(items) }
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
                    item.newContact = createBody(plan, fields: fields, warnings: &ignored)
                }
            } else if let contact = item.newContact {
                embedded["contacts"] = [.object(contact)]
            }
            if !embedded.isEmpty { body["_embedded"] = .object(embedded) }
            return BatchEntry(items: [item], body: body)
        }
        creating.forEach { item in item.update { $0.leadSent = true } }
        try await checkpoint(items)
        let answer = try await sendBatch("POST", "/api/v4/leads/complex", &entries, embedded: nil, names: fields.names)
        var created: [JSONValue] = []
        for (index, entry) in entries.enumerated() {
            guard let id = answer[index]?["id"]?.intValue else { continue }
            let contact = answer[index]?["contact_id"]?.intValue
            for item in entry.items {
                if item.job.progress.contactID == nil, let contact, let body = item.newContact {
                    created.append(Self.createdContact(id: contact, body: body))
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
        unanswered(entries, request: "POST /api/v4/leads/complex") { $0.leadID == nil }
        try await checkpoint(items)
    }

    /// An entry amoCRM neither created nor refused: retry it rather than call it done.
    func unanswered(_ entries: [BatchEntry], request: String, missing: (JobProgress) -> Bool) {
        for item in entries.flatMap(\.items) where item.active && missing(item.job.progress) {
            retryOrFail(
                item,
                Attempt(
                    at: Date(), durationMs: 0, outcome: .retry, request: request,
                    error: "amoCRM's answer did not include this entity"))
        }
    }

    func leadBody(_ item: DeliveryItem, fields: ResolvedFields, warnings: inout [String]) -> [String: JSONValue] {
        let lead = item.plan.lead!
        var values = FieldValueEncoder.encode(lead.fields, resolved: fields.lead, missing: fields.leadMissing, warnings: &warnings)
            .map(\.json).filter { $0["values"]?.isNull == false }
        if let key = fields.key {
            values.append(["field_id": .number(JSONNumber(key.id)), "values": [["value": .string(item.plan.key)]]])
        }
        var body: [String: JSONValue] = [
            "name": .string(lead.name), "pipeline_id": .number(JSONNumber(lead.pipelineID)),
            "status_id": .number(JSONNumber(lead.statusID)),
        ]
        if let price = lead.price { body["price"] = .number(JSONNumber(price)) }
        if let user = lead.responsibleUserID { body["responsible_user_id"] = .number(JSONNumber(user)) }
        if !values.isEmpty { body["custom_fields_values"] = .array(values) }
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

    /// Applies changed orders to the lead their first job created: status through
    /// `status_map` (won/lost with the lead's pipeline), price and fields.
    func deliverLeadUpdates(_ items: [DeliveryItem], _ fields: ResolvedFields) async throws {
        let updates = items.filter { $0.active && $0.job.kind == .orderUpdate && $0.job.progress.leadID == nil }
        guard !updates.isEmpty else { return }
        var entries: [BatchEntry] = []
        for item in updates {
            guard let leadID = try await store.leadID(source: item.job.source, externalID: item.job.externalID), let lead = item.plan.lead
            else {
                fail(
                    item,
                    Attempt(
                        at: Date(), durationMs: 0, outcome: .failed,
                        error: "this order has no lead yet: its first job was not delivered (retry or cancel that job first)"))
                continue
            }
            var warnings: [String] = []
            // Empty values (only present with skip_empty off) clear the lead's field.
            let values = FieldValueEncoder.encode(lead.fields, resolved: fields.lead, missing: fields.leadMissing, warnings: &warnings)
                .map(\.json)
            warnings.forEach(item.warn)
            var body: [String: JSONValue] = ["id": .number(JSONNumber(leadID))]
            if let price = lead.price { body["price"] = .number(JSONNumber(price)) }
            if let status = lead.mappedStatusID {
                body["status_id"] = .number(JSONNumber(status))
                if status == 142 || status == 143 { body["pipeline_id"] = .number(JSONNumber(lead.pipelineID)) }
            }
            if !values.isEmpty { body["custom_fields_values"] = .array(values) }
            entries.append(BatchEntry(items: [item], body: body))
        }
        let answer = try await sendBatch("PATCH", "/api/v4/leads", &entries, embedded: "leads", names: fields.names)
        for (index, entry) in entries.enumerated() {
            guard let id = answer[index]?["id"]?.intValue else { continue }
            entry.items.forEach { $0.update { $0.leadID = id } }
        }
        unanswered(entries, request: "PATCH /api/v4/leads") { $0.leadID == nil }
        try await checkpoint(items)
    }

    /// Adds each lead's note, all in one request; a note whose earlier create may have
    /// taken effect is looked up first.
    func deliverNotes(_ items: [DeliveryItem]) async throws {
        let needing = items.filter {
            $0.active && $0.job.kind != .orderUpdate && $0.plan.note != nil && $0.job.progress.noteID == nil
                && $0.job.progress.leadID != nil
        }
        guard !needing.isEmpty else { return }
        for item in needing where item.job.progress.noteSent {
            let response = try await client.send("GET", "/api/v4/leads/\(item.job.progress.leadID!)/notes")
            let existing = (response.json?.value(at: "_embedded.notes")?.arrayValue ?? []).first {
                $0.value(at: "params.text")?.stringValue == item.plan.note
            }
            if let id = existing?["id"]?.intValue { item.update { $0.noteID = id } }
        }
        let creating = needing.filter { $0.job.progress.noteID == nil }
        var entries = creating.map { item in
            BatchEntry(
                items: [item],
                body: [
                    "entity_id": .number(JSONNumber(item.job.progress.leadID!)), "note_type": "common",
                    "params": ["text": .string(item.plan.note!)],
                ])
        }
        creating.forEach { item in item.update { $0.noteSent = true } }
        try await checkpoint(items)
        let answer = try await sendBatch("POST", "/api/v4/leads/notes", &entries, embedded: "notes", names: [:])
        for (index, entry) in entries.enumerated() {
            guard let id = answer[index]?["id"]?.intValue else { continue }
            entry.items.forEach { $0.update { $0.noteID = id } }
        }
        unanswered(entries, request: "POST /api/v4/leads/notes") { $0.noteID == nil }
        try await checkpoint(items)
    }
}
