import Foundation

/// The result of mapping one input: what to store and what to do.
package struct MappedJob: Sendable, Equatable {
    package var kind: JobKind
    package var source: String
    package var externalID: String
    package var plan: DeliveryPlan
    /// Normalized phones, emails and the order id, for `jobs find`.
    package var searchKeys: [String]

    package init(kind: JobKind, source: String, externalID: String, plan: DeliveryPlan, searchKeys: [String]) {
        self.kind = kind
        self.source = source
        self.externalID = externalID
        self.plan = plan
        self.searchKeys = searchKeys
    }
}

/// Pure mapping from an order or form submission to a `DeliveryPlan` (no I/O, no clock).
package struct Mapper: Sendable {
    let config: Config

    package init(config: Config) { self.config = config }

    var countryCode: String { config.contacts.defaultCountryCode }

    /// Normalized phones and emails with problems for invalid ones.
    func contactKeys(
        phone: String?, email: String?, phonePath: String, emailPath: String, country: String? = nil
    ) -> (phones: [String], emails: [String], invalid: [MappingError.Detail]) {
        var phones: [String] = []
        var emails: [String] = []
        var invalid: [MappingError.Detail] = []
        if let phone, !phone.trimmed.isEmpty {
            if let normalized = ContactKey.phone(phone, countryCode: countryCode, country: country) {
                phones.append(normalized)
            } else {
                invalid.append(
                    .init(path: phonePath, problem: "\"\(phone.trimmed)\" is not a valid phone number\(country.map { " for \($0)" } ?? "")")
                )
            }
        }
        if let email, !email.trimmed.isEmpty {
            if let normalized = ContactKey.email(email) {
                emails.append(normalized)
            } else {
                invalid.append(.init(path: emailPath, problem: "not an email address"))
            }
        }
        return (phones, emails, invalid)
    }

    /// Builds field values for `map` (input path → field) from `input`, honouring skip_empty.
    func fieldValues(_ map: [String: FieldRef], from input: JSONValue, computed: [String: String] = [:]) -> [FieldValue] {
        map.keys.sorted().compactMap { path in
            let text = computed[path] ?? Self.text(input.value(at: path))
            var field = map[path]!
            if path == "goods", case .name(let name, nil) = field { field = .name(name, type: "textarea") }
            return value(text, field: field, from: path)
        }
    }

    func value(_ text: String?, field: FieldRef, from path: String) -> FieldValue? {
        let trimmed = text?.trimmed ?? ""
        if trimmed.isEmpty, config.fields.skipEmpty { return nil }
        return FieldValue(field: field, value: trimmed, from: path)
    }

    /// Overrides (`amocrm.lead`, `amocrm.contact`): field reference → value.
    func overrides(_ value: JSONValue?, path: String) throws(MappingError) -> [FieldValue] {
        guard let value, !value.isNull else { return [] }
        guard case .object(let object) = value else { throw MappingError(path: path, problem: "expected an object of field → value") }
        return object.keys.sorted().compactMap { key in
            let ref: FieldRef = Int(key).map { .id($0) } ?? .name(key, type: nil)
            return self.value(Self.text(object[key]), field: ref, from: "\(path).\(key)")
        }
    }

    /// Scalars as text, arrays of scalars joined; nil for objects and null.
    static func text(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        if case .array(let items) = value {
            let parts = items.compactMap(\.textValue).filter { !$0.isEmpty }
            return parts.isEmpty ? nil : parts.joined(separator: ", ")
        }
        return value.textValue
    }

    /// UTM and click ids: `utm_source`… from an order's `utm` object or a form's inputs.
    func tracking(from values: [String: JSONValue]) -> [(key: String, value: String)] {
        var result: [String: String] = [:]
        for (key, value) in values {
            guard let text = value.textValue?.trimmed, !text.isEmpty else { continue }
            let lower = key.lowercased() == "roistat_visit" ? "roistat" : key.lowercased()
            let name =
                lower.hasPrefix("utm_") || ["gclid", "yclid", "_ga", "fbclid", "roistat", "_ym_uid"].contains(lower)
                ? lower : "utm_" + lower
            result[name] = text
        }
        return result.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    func trackingFields(_ tracking: [(key: String, value: String)]) -> [FieldValue] {
        tracking.compactMap { entry in
            config.utmFields[entry.key].flatMap { value(entry.value, field: $0, from: entry.key) }
        }
    }
}
