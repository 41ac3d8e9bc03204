import AmoAPI
import AmoSyncCore
import Foundation

/// The bodies of contact requests, from the plans and the `contacts` config: what to create,
/// and what to PATCH into an existing contact without erasing anything it has.
struct ContactBodies: Sendable {
    let contacts: Config.Contacts

    /// A contact amosync created, for the index (amoCRM's own copy follows with the next sync).
    static func createdContact(id: Int, body: Contact, at now: Date) -> Contact {
        var contact = body
        contact.id = id
        contact.updatedAt = Int(now.timeIntervalSince1970.rounded(.down))
        contact.requestID = nil
        return contact
    }

    /// An existing contact with a PATCH applied, for the index.
    static func merged(_ contact: ExistingContact, body: Contact, at now: Date) -> Contact {
        func values(_ code: String) -> [(value: String, enumCode: String?)]? {
            guard let field = body.customFieldsValues?.first(where: { $0.fieldCode == code }) else { return nil }
            return (field.values ?? []).compactMap { item in item.text.map { ($0, item.enumCode) } }
        }
        return ExistingContact.contact(
            id: contact.id, name: body.name ?? contact.name, updatedAt: Int(now.timeIntervalSince1970),
            phones: values(CustomFieldValues.phoneCode) ?? contact.phones, emails: values(CustomFieldValues.emailCode) ?? contact.emails)
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

    func multitext(_ code: String, _ values: [(value: String, enumCode: String)]) -> CustomFieldValues {
        CustomFieldValues(fieldCode: code, values: values.map { .init(value: .string($0.value), enumCode: $0.enumCode) })
    }

    func createBody(_ plan: ContactPlan, fields: ResolvedFields, warnings: inout [String]) -> Contact {
        var values = FieldValueEncoder.encode(
            plan.fields, resolved: fields.contact, missing: fields.contactMissing,
            skip: { [CustomFieldValues.phoneCode, CustomFieldValues.emailCode].contains($0.code ?? "") }, warnings: &warnings
        )
        .map(\.value).setting
        let phones = plan.phones + (plan.unmatchedPhones ?? [])
        if !phones.isEmpty { values.append(multitext(CustomFieldValues.phoneCode, phones.map { ($0, contacts.phoneEnum) })) }
        if !plan.emails.isEmpty { values.append(multitext(CustomFieldValues.emailCode, plan.emails.map { ($0, contacts.emailEnum) })) }
        let name = AmoLimits.fit(
            plan.name ?? plan.phones.first ?? plan.emails.first ?? "Customer", to: AmoLimits.name, what: "contact name", warnings: &warnings
        )
        return Contact(
            name: name,
            customFieldsValues: values.isEmpty ? nil : FieldValueEncoder.capped(values, names: fields.names, warnings: &warnings))
    }

    func isReadonly(_ field: AmoField) -> Bool {
        contacts.readonlyFields.contains { name in
            name.caseInsensitiveCompare(field.name) == .orderedSame || name == field.code || name == "\(field.id)"
        }
    }

    /// The PATCH for an existing contact, or nil when nothing would change: existing phones
    /// and emails are kept with their enum codes and new ones appended; readonly fields and
    /// the name (when readonly) are never touched; empty values never wipe anything.
    func mergeBody(_ existing: ExistingContact, plan: ContactPlan, fields: ResolvedFields, warnings: inout [String]) -> Contact? {
        var body = Contact(id: existing.id)
        let readonlyName = contacts.readonlyFields.contains { $0.lowercased() == "name" }
        if let name = plan.name.map({ AmoLimits.fit($0, to: AmoLimits.name, what: "contact name", warnings: &warnings) }), !readonlyName,
            !name.isEmpty, name != existing.name
        {
            body.name = name
        }
        var values = FieldValueEncoder.encode(
            plan.fields, resolved: fields.contact, missing: fields.contactMissing,
            skip: { [CustomFieldValues.phoneCode, CustomFieldValues.emailCode].contains($0.code ?? "") || isReadonly($0) },
            warnings: &warnings
        )
        // An empty value (only present with skip_empty off) clears a field the contact has filled.
        .map(\.value).filter { $0.values != nil || existing.filledFields.contains($0.fieldID ?? -1) }
        let code = contacts.defaultCountryCode
        let knownPhones = Set(existing.phones.compactMap { ContactKey.phone($0.value, countryCode: code) })
        let written = Set(existing.phones.map { $0.value.trimmed })
        let newPhones = plan.phones.filter { !knownPhones.contains($0) } + (plan.unmatchedPhones ?? []).filter { !written.contains($0) }
        if !newPhones.isEmpty {
            let kept = existing.phones.map { ($0.value, $0.enumCode ?? "WORK") }
            values.append(multitext(CustomFieldValues.phoneCode, kept + newPhones.map { ($0, contacts.phoneEnum) }))
        }
        let knownEmails = Set(existing.emails.compactMap { ContactKey.email($0.value) })
        let newEmails = plan.emails.filter { !knownEmails.contains($0) }
        if !newEmails.isEmpty {
            let kept = existing.emails.map { ($0.value, $0.enumCode ?? "WORK") }
            values.append(multitext(CustomFieldValues.emailCode, kept + newEmails.map { ($0, contacts.emailEnum) }))
        }
        if !values.isEmpty { body.customFieldsValues = FieldValueEncoder.capped(values, names: fields.names, warnings: &warnings) }
        return body.name != nil || body.customFieldsValues != nil ? body : nil
    }
}
