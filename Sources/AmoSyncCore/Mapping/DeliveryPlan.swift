/// What a job will do in amoCRM, computed at intake from the input and the config
/// (a pure function), stored with the job, and resolved against the account at delivery.
package struct DeliveryPlan: Sendable, Equatable {
    /// The job's identity in the CRM (`orders:1042`), written to the lead's
    /// `amosync_key` field so that a resumed job can find what it already created.
    package var key: String
    package var contact: ContactPlan?
    package var lead: LeadPlan?
    package var note: String?
    /// Incoming leads, products, the manager's task and distribution (nil: none of them).
    package var sales: SalesPlan?
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
package struct ContactPlan: Sendable, Equatable {
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
package struct LeadPlan: Sendable, Equatable {
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
package struct FieldValue: Sendable, Equatable {
    package var field: FieldRef
    package var value: String
    package var from: String

    package init(field: FieldRef, value: String, from: String) {
        self.field = field
        self.value = value
        self.from = from
    }
}
