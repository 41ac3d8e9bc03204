import AmoSyncCore

/// A contact, as amoCRM answers it and as it is sent: to create (no `id`), to change (`id` and
/// what changes), or linked to a lead (`id`, `is_main`).
package struct Contact: Listed, Equatable {
    package static let embeddedKey = "contacts"

    package var id: Int?
    package var name: String?
    package var firstName: String?
    package var lastName: String?
    package var responsibleUserID: Int?
    package var createdAt: Int?
    package var updatedAt: Int?
    package var customFieldsValues: [CustomFieldValues]?
    package var embedded: EntityLinks?
    /// When linked to a lead: the lead's main contact.
    package var isMain: Bool?
    package var requestID: String?

    package init(
        id: Int? = nil, name: String? = nil, updatedAt: Int? = nil, customFieldsValues: [CustomFieldValues]? = nil,
        isMain: Bool? = nil, requestID: String? = nil
    ) {
        self.id = id
        self.name = name
        self.updatedAt = updatedAt
        self.customFieldsValues = customFieldsValues
        self.isMain = isMain
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case id, name, firstName = "first_name", lastName = "last_name", responsibleUserID = "responsible_user_id"
        case createdAt = "created_at", updatedAt = "updated_at", customFieldsValues = "custom_fields_values"
        case embedded = "_embedded", isMain = "is_main", requestID = "request_id"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int.self, forKey: .id)
        name = try? container.decodeIfPresent(String.self, forKey: .name)
        firstName = try? container.decodeIfPresent(String.self, forKey: .firstName)
        lastName = try? container.decodeIfPresent(String.self, forKey: .lastName)
        responsibleUserID = try? container.decodeIfPresent(Int.self, forKey: .responsibleUserID)
        createdAt = try? container.decodeIfPresent(Int.self, forKey: .createdAt)
        updatedAt = try? container.decodeIfPresent(Int.self, forKey: .updatedAt)
        customFieldsValues = try container.decodeIfPresent([CustomFieldValues].self, forKey: .customFieldsValues)
        embedded = try? container.decodeIfPresent(EntityLinks.self, forKey: .embedded)
        isMain = try? container.decodeIfPresent(Bool.self, forKey: .isMain)
        requestID = try? container.decodeIfPresent(RequestIDs.self, forKey: .requestID)?.values.first
    }

    /// Phones and emails as stored, with their enum codes, in amoCRM's order.
    package var phones: [CustomFieldValues.Item] { (customFieldsValues ?? []).values(code: CustomFieldValues.phoneCode) }
    package var emails: [CustomFieldValues.Item] { (customFieldsValues ?? []).values(code: CustomFieldValues.emailCode) }
}
