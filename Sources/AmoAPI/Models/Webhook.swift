/// A webhook amoCRM calls on account events (`/api/v4/webhooks`): `destination` gets a
/// form-encoded POST for the events in `settings` (`status_lead`, `add_lead` …).
package struct Webhook: Listed, Equatable {
    package static let embeddedKey = "webhooks"

    package var id: Int?
    package var destination: String
    package var settings: [String]?
    package var disabled: Bool?
    package var sort: Int?

    package init(id: Int? = nil, destination: String, settings: [String]?, disabled: Bool? = nil, sort: Int? = nil) {
        self.id = id
        self.destination = destination
        self.settings = settings
        self.disabled = disabled
        self.sort = sort
    }

    /// A lead moved to another stage.
    package static let leadStatusChanged = "status_lead"
}

/// An entry of the account's event log (`GET /api/v4/events`): what a missed webhook is
/// repaired from.
package struct Event: Listed, Equatable {
    package static let embeddedKey = "events"

    package var id: String
    package var type: String
    package var entityID: Int?
    package var entityType: String?
    package var createdAt: Int?
    package var createdBy: Int?
    package var valueAfter: [JSONValueBox]?
    package var valueBefore: [JSONValueBox]?

    package init(id: String, type: String, entityID: Int, entityType: String, createdAt: Int, valueAfter: [JSONValueBox]? = nil) {
        self.id = id
        self.type = type
        self.entityID = entityID
        self.entityType = entityType
        self.createdAt = createdAt
        self.valueAfter = valueAfter
    }

    enum CodingKeys: String, CodingKey {
        case id, type, entityID = "entity_id", entityType = "entity_type", createdAt = "created_at", createdBy = "created_by"
        case valueAfter = "value_after", valueBefore = "value_before"
    }

    /// `lead_status_changed`
    package static let leadStatusChanged = "lead_status_changed"
}
