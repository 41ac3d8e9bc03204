/// What a job will do in amoCRM, computed at intake from the input and the config
/// (a pure function), stored with the job, and resolved against the account at delivery.
public struct DeliveryPlan: Codable, Sendable, Equatable {
    /// The job's identity in the CRM (`orders:1042`), written to the lead's
    /// `amosync_key` field so that a resumed job can find what it already created.
    public var key: String
    public var contact: ContactPlan?
    public var lead: LeadPlan?
    public var note: String?
    /// Problems that did not stop the job (a dropped value, an ignored input).
    public var warnings: [String] = []

    public init(key: String, contact: ContactPlan? = nil, lead: LeadPlan? = nil, note: String? = nil, warnings: [String] = []) {
        self.key = key
        self.contact = contact
        self.lead = lead
        self.note = note
        self.warnings = warnings
    }
}

/// The contact to find or create.
public struct ContactPlan: Codable, Sendable, Equatable {
    public var name: String?
    /// Normalized (`+79125550102`).
    public var phones: [String] = []
    /// Trimmed and lowercased.
    public var emails: [String] = []
    public var fields: [FieldValue] = []

    public init(name: String? = nil, phones: [String] = [], emails: [String] = [], fields: [FieldValue] = []) {
        self.name = name
        self.phones = phones
        self.emails = emails
        self.fields = fields
    }
}

/// The lead to create.
public struct LeadPlan: Codable, Sendable, Equatable {
    public var name: String
    public var price: Int?
    public var pipelineID: Int
    public var statusID: Int
    public var responsibleUserID: Int?
    public var fields: [FieldValue] = []
    public var tags: [String] = []
    /// Set when the shop's order status is in `status_map`: what an update moves the lead to.
    public var mappedStatusID: Int?
}

/// One value for one field, by reference; `from` names the input it came from.
public struct FieldValue: Codable, Sendable, Equatable {
    public var field: FieldRef
    public var value: String
    public var from: String

    public init(field: FieldRef, value: String, from: String) {
        self.field = field
        self.value = value
        self.from = from
    }
}

// Intake stores a plan for every request: these build the same JSON as `Codable` would,
// without `JSONEncoder`'s per-value overhead.
extension DeliveryPlan {
    public var json: JSONValue {
        var object: [String: JSONValue] = ["key": .string(key), "warnings": .array(warnings.map(JSONValue.string))]
        if let contact { object["contact"] = contact.json }
        if let lead { object["lead"] = lead.json }
        if let note { object["note"] = .string(note) }
        return .object(object)
    }
}

extension ContactPlan {
    var json: JSONValue {
        var object: [String: JSONValue] = ["phones": .array(phones.map(JSONValue.string)), "emails": .array(emails.map(JSONValue.string)),
                                           "fields": .array(fields.map(\.json))]
        if let name { object["name"] = .string(name) }
        return .object(object)
    }
}

extension LeadPlan {
    var json: JSONValue {
        var object: [String: JSONValue] = ["name": .string(name), "pipelineID": .number(JSONNumber(pipelineID)), "statusID": .number(JSONNumber(statusID)),
                                           "fields": .array(fields.map(\.json)), "tags": .array(tags.map(JSONValue.string))]
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
