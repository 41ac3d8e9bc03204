import Foundation
import AmoSyncCore

extension BatchDelivery {
    /// Finds or creates each customer's contact (one per group of jobs sharing a phone or
    /// email), merges new phones, emails and fields into existing contacts, then records
    /// the contact ids. Updates go in one request, creations in another.
    func deliverContacts(_ items: [DeliveryItem], _ fields: ResolvedFields) async throws {
        let needing = items.filter(\.needsContact)
        guard !needing.isEmpty else { return }
        let indexed = try await index?.refresh() ?? false
        var creates: [BatchEntry] = []
        var patches: [(entry: BatchEntry, contact: ExistingContact)] = []
        for group in Self.groups(needing) {
            let plan = Self.merged(group.compactMap(\.plan.contact))
            let match = try await matcher.match(phones: plan.phones, emails: plan.emails, indexed: indexed)
            if match.candidates.count > 1, let chosen = match.contact {
                group.forEach {
                    $0.warn(
                        "\(match.candidates.count) contacts match this customer (\(match.candidates.map(String.init).joined(separator: ", "))): used #\(chosen.id), the most recently updated"
                    )
                }
            }
            var warnings: [String] = []
            if let existing = match.contact {
                if let body = mergeBody(existing, plan: plan, fields: fields, warnings: &warnings) {
                    patches.append((BatchEntry(items: group, body: body), existing))
                }
                for item in group { item.update { $0.contactID = existing.id } }
            } else {
                let body = createBody(plan, fields: fields, warnings: &warnings)
                if group.count == 1, group[0].plan.lead != nil {
                    group[0].newContact = body  // created with its lead, in one leads/complex request
                } else {
                    creates.append(BatchEntry(items: group, body: body))
                }
            }
            group.forEach { item in warnings.forEach(item.warn) }
        }
        if !patches.isEmpty {
            var entries = patches.map(\.entry)
            let answer = try await sendBatch("PATCH", "/api/v4/contacts", &entries, embedded: "contacts", names: fields.names)
            var merged: [JSONValue] = []
            for (index, entry) in entries.enumerated() where answer[index] != nil {
                entry.items.forEach { $0.update { $0.contactUpdated = true } }
                merged.append(Self.merged(patches[index].contact, body: entry.body))
            }
            try await self.index?.record(merged)
        }
        if !creates.isEmpty {
            let answer = try await sendBatch("POST", "/api/v4/contacts", &creates, embedded: "contacts", names: fields.names)
            var created: [JSONValue] = []
            for (index, entry) in creates.enumerated() {
                guard let id = answer[index]?["id"]?.intValue else { continue }
                entry.items.forEach {
                    $0.update {
                        $0.contactID = id; $0.contactUpdated = true
                    }
                }
                created.append(Self.createdContact(id: id, body: entry.body))
            }
            try await index?.record(created)
            unanswered(creates, request: "POST /api/v4/contacts") { $0.contactID == nil }
        }
        try await checkpoint(items)
    }

    /// A contact amosync created, for the index (amoCRM's own copy follows with the next sync).
    static func createdContact(id: Int, body: [String: JSONValue]) -> JSONValue {
        var json = body
        json["id"] = .number(JSONNumber(id))
        json["updated_at"] = .number(JSONNumber(Date().timeIntervalSince1970.rounded(.down)))
        return .object(json)
    }

    /// An existing contact with a PATCH applied, for the index.
    static func merged(_ contact: ExistingContact, body: [String: JSONValue]) -> JSONValue {
        var phones = contact.phones
        var emails = contact.emails
        for field in body["custom_fields_values"]?.arrayValue ?? [] {
            let values = (field["values"]?.arrayValue ?? []).compactMap { item in
                item["value"]?.textValue.map { ($0, item["enum_code"]?.stringValue) }
            }
            if field["field_code"] == "PHONE" { phones = values }
            if field["field_code"] == "EMAIL" { emails = values }
        }
        return ExistingContact.json(
            id: contact.id, name: body["name"]?.stringValue ?? contact.name,
            updatedAt: Int(Date().timeIntervalSince1970), phones: phones, emails: emails)
    }

    /// One customer's data from several jobs: all phones and emails, the first name, all fields.
    static func merged(_ plans: [ContactPlan]) -> ContactPlan {
        var result = ContactPlan()
        for plan in plans {
            if result.name == nil { result.name = plan.name }
            result.phones += plan.phones.filter { !result.phones.contains($0) }
            result.emails += plan.emails.filter { !result.emails.contains($0) }
            result.fields += plan.fields
        }
        return result
    }

    func createBody(_ plan: ContactPlan, fields: ResolvedFields, warnings: inout [String]) -> [String: JSONValue] {
        var values = FieldValueEncoder.encode(
            plan.fields, resolved: fields.contact, missing: fields.contactMissing,
            skip: { ["PHONE", "EMAIL"].contains($0.code ?? "") }, warnings: &warnings
        )
        .map(\.json).filter { $0["values"]?.isNull == false }
        if !plan.phones.isEmpty {
            values.append([
                "field_code": "PHONE",
                "values": .array(plan.phones.map { ["value": .string($0), "enum_code": .string(config.contacts.phoneEnum)] }),
            ])
        }
        if !plan.emails.isEmpty {
            values.append([
                "field_code": "EMAIL",
                "values": .array(plan.emails.map { ["value": .string($0), "enum_code": .string(config.contacts.emailEnum)] }),
            ])
        }
        var body: [String: JSONValue] = ["name": .string(plan.name ?? plan.phones.first ?? plan.emails.first ?? "Customer")]
        if !values.isEmpty { body["custom_fields_values"] = .array(values) }
        return body
    }

    func isReadonly(_ field: AmoField) -> Bool {
        config.contacts.readonlyFields.contains { name in
            name.caseInsensitiveCompare(field.name) == .orderedSame || name == field.code || name == "\(field.id)"
        }
    }

    /// The PATCH for an existing contact, or nil when nothing would change: existing phones
    /// and emails are kept with their enum codes and new ones appended; readonly fields and
    /// the name (when readonly) are never touched; empty values never wipe anything.
    func mergeBody(_ existing: ExistingContact, plan: ContactPlan, fields: ResolvedFields, warnings: inout [String]) -> [String: JSONValue]?
    {
        var body: [String: JSONValue] = ["id": .number(JSONNumber(existing.id))]
        let readonlyName = config.contacts.readonlyFields.contains { $0.lowercased() == "name" }
        if let name = plan.name, !readonlyName, !name.isEmpty, name != existing.name { body["name"] = .string(name) }
        var values = FieldValueEncoder.encode(
            plan.fields, resolved: fields.contact, missing: fields.contactMissing,
            skip: { ["PHONE", "EMAIL"].contains($0.code ?? "") || isReadonly($0) }, warnings: &warnings
        )
        // An empty value (only present with skip_empty off) clears a field the contact has filled.
        .map(\.json).filter { $0["values"]?.isNull == false || existing.filledFields.contains($0["field_id"]?.intValue ?? -1) }
        let code = config.contacts.defaultCountryCode
        let knownPhones = Set(existing.phones.compactMap { ContactKey.phone($0.value, countryCode: code) })
        let newPhones = plan.phones.filter { !knownPhones.contains($0) }
        if !newPhones.isEmpty {
            let kept: [JSONValue] = existing.phones.map { ["value": .string($0.value), "enum_code": .string($0.enumCode ?? "WORK")] }
            values.append([
                "field_code": "PHONE",
                "values": .array(kept + newPhones.map { ["value": .string($0), "enum_code": .string(config.contacts.phoneEnum)] }),
            ])
        }
        let knownEmails = Set(existing.emails.compactMap { ContactKey.email($0.value) })
        let newEmails = plan.emails.filter { !knownEmails.contains($0) }
        if !newEmails.isEmpty {
            let kept: [JSONValue] = existing.emails.map { ["value": .string($0.value), "enum_code": .string($0.enumCode ?? "WORK")] }
            values.append([
                "field_code": "EMAIL",
                "values": .array(kept + newEmails.map { ["value": .string($0), "enum_code": .string(config.contacts.emailEnum)] }),
            ])
        }
        if !values.isEmpty { body["custom_fields_values"] = .array(values) }
        return body.count > 1 ? body : nil
    }
}
