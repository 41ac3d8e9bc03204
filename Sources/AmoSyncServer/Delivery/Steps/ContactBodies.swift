import AmoSyncCore
import Foundation

/// The bodies of contact requests, from the plans and the `contacts` config: what to create,
/// and what to PATCH into an existing contact without erasing anything it has.
struct ContactBodies: Sendable {
    let contacts: Config.Contacts

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
            for phone in plan.unmatchedPhones ?? [] where result.unmatchedPhones?.contains(phone) != true {
                result.unmatchedPhones = (result.unmatchedPhones ?? []) + [phone]
            }
        }
        return result
    }

    func createBody(_ plan: ContactPlan, fields: ResolvedFields, warnings: inout [String]) -> [String: JSONValue] {
        var values = FieldValueEncoder.encode(
            plan.fields, resolved: fields.contact, missing: fields.contactMissing,
            skip: { ["PHONE", "EMAIL"].contains($0.code ?? "") }, warnings: &warnings
        )
        .map(\.json).filter { $0["values"]?.isNull == false }
        let phones = plan.phones + (plan.unmatchedPhones ?? [])
        if !phones.isEmpty {
            values.append([
                "field_code": "PHONE",
                "values": .array(phones.map { ["value": .string($0), "enum_code": .string(contacts.phoneEnum)] }),
            ])
        }
        if !plan.emails.isEmpty {
            values.append([
                "field_code": "EMAIL",
                "values": .array(plan.emails.map { ["value": .string($0), "enum_code": .string(contacts.emailEnum)] }),
            ])
        }
        let name = plan.name ?? plan.phones.first ?? plan.emails.first ?? "Customer"
        var body: [String: JSONValue] = [
            "name": .string(AmoLimits.fit(name, to: AmoLimits.name, what: "contact name", warnings: &warnings))
        ]
        if !values.isEmpty {
            body["custom_fields_values"] = .array(FieldValueEncoder.capped(values, names: fields.names, warnings: &warnings))
        }
        return body
    }

    func isReadonly(_ field: AmoField) -> Bool {
        contacts.readonlyFields.contains { name in
            name.caseInsensitiveCompare(field.name) == .orderedSame || name == field.code || name == "\(field.id)"
        }
    }

    /// The PATCH for an existing contact, or nil when nothing would change: existing phones
    /// and emails are kept with their enum codes and new ones appended; readonly fields and
    /// the name (when readonly) are never touched; empty values never wipe anything.
    func mergeBody(_ existing: ExistingContact, plan: ContactPlan, fields: ResolvedFields, warnings: inout [String]) -> [String: JSONValue]?
    {
        var body: [String: JSONValue] = ["id": .number(JSONNumber(existing.id))]
        let readonlyName = contacts.readonlyFields.contains { $0.lowercased() == "name" }
        if let name = plan.name.map({ AmoLimits.fit($0, to: AmoLimits.name, what: "contact name", warnings: &warnings) }), !readonlyName,
            !name.isEmpty, name != existing.name
        {
            body["name"] = .string(name)
        }
        var values = FieldValueEncoder.encode(
            plan.fields, resolved: fields.contact, missing: fields.contactMissing,
            skip: { ["PHONE", "EMAIL"].contains($0.code ?? "") || isReadonly($0) }, warnings: &warnings
        )
        // An empty value (only present with skip_empty off) clears a field the contact has filled.
        .map(\.json).filter { $0["values"]?.isNull == false || existing.filledFields.contains($0["field_id"]?.intValue ?? -1) }
        let code = contacts.defaultCountryCode
        let knownPhones = Set(existing.phones.compactMap { ContactKey.phone($0.value, countryCode: code) })
        let written = Set(existing.phones.map { $0.value.trimmed })
        let newPhones = plan.phones.filter { !knownPhones.contains($0) } + (plan.unmatchedPhones ?? []).filter { !written.contains($0) }
        if !newPhones.isEmpty {
            let kept: [JSONValue] = existing.phones.map { ["value": .string($0.value), "enum_code": .string($0.enumCode ?? "WORK")] }
            values.append([
                "field_code": "PHONE",
                "values": .array(kept + newPhones.map { ["value": .string($0), "enum_code": .string(contacts.phoneEnum)] }),
            ])
        }
        let knownEmails = Set(existing.emails.compactMap { ContactKey.email($0.value) })
        let newEmails = plan.emails.filter { !knownEmails.contains($0) }
        if !newEmails.isEmpty {
            let kept: [JSONValue] = existing.emails.map { ["value": .string($0.value), "enum_code": .string($0.enumCode ?? "WORK")] }
            values.append([
                "field_code": "EMAIL",
                "values": .array(kept + newEmails.map { ["value": .string($0), "enum_code": .string(contacts.emailEnum)] }),
            ])
        }
        if !values.isEmpty {
            body["custom_fields_values"] = .array(FieldValueEncoder.capped(values, names: fields.names, warnings: &warnings))
        }
        return body.count > 1 ? body : nil
    }
}
