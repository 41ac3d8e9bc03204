import Foundation

extension Mapper {
    /// Inputs that carry context rather than data; they go to the note, not to fields.
    static let formMetaInputs: Set<String> = ["page", "referer", "form", "formid", "tranid", "cookies"]

    /// Maps a form submission (flat name → value) to a plan; `externalID` is the
    /// `Idempotency-Key` or a fresh id.
    package func mapForm(
        _ name: String, values input: JSONValue, externalID: String, client: FormClient = FormClient()
    ) throws(MappingError) -> MappedJob {
        guard let form = config.forms[name] else { throw MappingError(path: "form", problem: "unknown form \(name)") }
        guard case .object(let values) = input else { throw MappingError(path: "", problem: "expected a flat object of form inputs") }
        var problems: [MappingError.Detail] = []
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .object: problems.append(.init(path: key, problem: "expected a text value, got an object"))
            case .array(let items) where items.contains(where: { $0.textValue == nil && !$0.isNull }):
                problems.append(.init(path: key, problem: "expected text values"))
            default: break
            }
        }
        let filled = values.contains { key, value in
            !Self.formMetaInputs.contains(key.lowercased()) && !(Self.text(value)?.trimmed.isEmpty ?? true)
        }
        for field in form.requiredFields {
            let text = Self.text(values[field])?.trimmed ?? ""
            if text.isEmpty { problems.append(.init(path: field, problem: "required")) }
        }
        // A required field missing says more; otherwise an empty submission is no lead.
        if problems.isEmpty, !filled { problems.append(.init(path: "", problem: "the submission has no values")) }
        guard problems.isEmpty else { throw MappingError(problems) }

        var keys = contactKeys(
            phone: Self.text(values[form.contactPhone]), email: Self.text(values[form.contactEmail]),
            phonePath: form.contactPhone, emailPath: form.contactEmail,
            country: values.first { $0.key.lowercased() == "country" }.flatMap { Self.text($0.value) })
        var warnings: [String] = []
        let required = Set(form.requiredFields)
        let fatal = keys.invalid.filter { required.contains($0.path) || (keys.phones.isEmpty && keys.emails.isEmpty && !form.createLead) }
        guard fatal.isEmpty else { throw MappingError(fatal) }
        warnings += keys.invalid.map { "\($0.path): \($0.problem), value dropped" }
        keys.invalid = []
        if keys.phones.isEmpty, keys.emails.isEmpty, !form.createLead {
            throw MappingError(path: form.contactPhone, problem: "a contact-only form needs a phone or an email")
        }

        let cookieField = values.first { $0.key.lowercased() == "cookies" }?.value.stringValue
        var trackingInput = cookieField.map(Self.cookieTracking) ?? [:]
        trackingInput.merge(
            values.filter { key, _ in
                let lower = key.lowercased()
                return lower.hasPrefix("utm_") || ["gclid", "yclid", "_ga", "fbclid", "roistat"].contains(lower)
            }
        ) { $1 }
        let tracking = tracking(from: trackingInput)
        let contactName = Self.text(values[form.contactName])?.trimmed
        var contact: ContactPlan?
        if !keys.phones.isEmpty || !keys.emails.isEmpty {
            contact = ContactPlan(
                name: contactName.flatMap { $0.isEmpty ? nil : $0 }, phones: keys.phones, emails: keys.emails,
                fields: fieldValues(form.contactFields, from: input))
        } else if !form.contactFields.isEmpty || contactName != nil {
            warnings.append("no phone or email: the lead is created without a contact")
        }
        var lead: LeadPlan?
        if form.createLead {
            lead = LeadPlan(
                name: Template.render(form.leadName, with: input, extra: ["form": name]),
                price: nil,
                pipelineID: form.pipelineID ?? config.orders.pipelineID,
                statusID: form.statusID ?? config.orders.statusID,
                responsibleUserID: form.responsibleUserID ?? config.orders.responsibleUserID,
                fields: fieldValues(form.leadFields, from: input) + trackingFields(tracking),
                tags: form.tags)
        }
        let note = form.note && form.createLead ? formNote(name, values: values, tracking: tracking) : nil
        var plan = DeliveryPlan(key: "forms:\(name):\(externalID)", contact: contact, lead: lead, note: note, warnings: warnings)
        if lead != nil { applySales(toForm: &plan, name: name, form: form, values: values, client: client) }
        return MappedJob(
            kind: .form, source: name, externalID: externalID, plan: plan,
            searchKeys: [externalID] + keys.phones + keys.emails)
    }

    private func formNote(_ name: String, values: [String: JSONValue], tracking: [(key: String, value: String)]) -> String {
        let tracked = Set(tracking.map(\.key))
        var lines = ["Заявка с формы \(name)"]
        for key in values.keys.sorted() where !Self.formMetaInputs.contains(key.lowercased()) && !tracked.contains(key.lowercased()) {
            if let text = Self.text(values[key]), !text.trimmed.isEmpty {
                lines.append("\(key): \(text)")
            }
        }
        if let page = Self.text(values["page"]), !page.isEmpty { lines.append("Страница: \(page)") }
        if let referer = Self.text(values["referer"]), !referer.isEmpty { lines.append("Referer: \(referer)") }
        if !tracking.isEmpty { lines.append("UTM: " + tracking.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
