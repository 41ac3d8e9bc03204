/// What a job will do in amoCRM, computed at intake from the input and the config
/// (a pure function), stored with the job, and resolved against the account at delivery.
package struct DeliveryPlan: Codable, Sendable, Equatable {
    /// The job's identity in the CRM (`orders:1042`), written to the lead's
    /// `amosync_key` field so that a resumed job can find what it already created.
    package var key: String
    package var contact: ContactPlan?
    package var lead: LeadPlan?
    package var note: String?
    /// Problems that did not stop the job (a dropped value, an ignored input).
    package var warnings: [String] = []

    package init(key: String, contact: ContactPlan? = nil, lead: LeadPlan? = nil, note: String? = nil, warnings: [String] = []) {
        self.key = key
        self.contact = contact
        self.lead = lead
        self.note = note
        self.warnings = warnings
    }
}

/// The contact to find or create.
package struct ContactPlan: Codable, Sendable, Equatable {
    package var name: String?
    /// Normalized (`+79125550102`).
    package var phones: [String] = []
    /// Trimmed and lowercased.
    package var emails: [String] = []
    package var fields: [FieldValue] = []
    /// Phones as the customer wrote them that are no valid number (`555-555-SHIP`): stored on
    /// the contact so that nothing is lost, never used to match one. Nil when there are none
    /// (and in plans stored before it existed).
    package var unmatchedPhones: [String]?

    package init(
        name: String? = nil, phones: [String] = [], emails: [String] = [], fields: [FieldValue] = [], unmatchedPhones: [String]? = nil
    ) {
        self.name = name
        self.phones = phones
        self.emails = emails
        self.fields = fields
        self.unmatchedPhones = unmatchedPhones
    }
}

/// The lead to create.
package struct LeadPlan: Codable, Sendable, Equatable {
    package var name: String
    package var price: Int?
    /// nil: amoCRM's default (the main pipeline; its first stage when `statusID` is nil too).
    package var pipelineID: Int?
    package var statusID: Int?
    package var responsibleUserID: Int?
    package var fields: [FieldValue] = []
    package var tags: [String] = []
    /// Set when the shop's order status is in `status_map`: what an update moves the lead to.
    package var mappedStatusID: Int?
}

/// One value for one field, by reference; `from` names the input it came from.
package struct FieldValue: Codable, Sendable, Equatable {
    package var field: FieldRef
    package var value: String
    package var from: String

    package init(field: FieldRef, value: String, from: String) {
        self.field = field
        self.value = value
        self.from = from
    }
}

// Intake stores a plan for every request: these build the same JSON as `Codable` would,
// without `JSONEncoder`'s per-value overhead.
extension DeliveryPlan {
    package var json: JSONValue {
        var object: [String: JSONValue] = ["key": .string(key), "warnings": .array(warnings.map(JSONValue.string))]
        if let contact { object["contact"] = contact.json }
        if let lead { object["lead"] = lead.json }
        if let note { object["note"] = .string(note) }
        return .object(object)
    }
}

extension ContactPlan {
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "phones": .array(phones.map(JSONValue.string)), "emails": .array(emails.map(JSONValue.string)),
            "fields": .array(fields.map(\.json)),
        ]
        if let name { object["name"] = .string(name) }
        if let unmatchedPhones { object["unmatchedPhones"] = .array(unmatchedPhones.map(JSONValue.string)) }
        return .object(object)
    }
}

extension LeadPlan {
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name), "fields": .array(fields.map(\.json)), "tags": .array(tags.map(JSONValue.string)),
        ]
        if let pipelineID { object["pipelineID"] = .number(JSONNumber(pipelineID)) }
        if let statusID { object["statusID"] = .number(JSONNumber(statusID)) }
        if let price { object["price"] = .number(JSONNumber(price)) }
        if let responsibleUserID { object["responsibleUserID"] = .number(JSONNumber(responsibleUserID)) }
        if let mappedStatusID { object["mappedStatusID"] = .number(JSONNumber(mappedStatusID)) }
        return .object(object)
    }
}

extension FieldValue {
    var json: JSONValue {
        let ref: JSONValue
        switch field {
        case .id(let id): ref = .number(JSONNumber(id))
        case .name(let name, nil): ref = .string(name)
        case .name(let name, let type?): ref = ["name": .string(name), "type": .string(type)]
        }
        return ["field": ref, "value": .string(value), "from": .string(from)]
    }
}
