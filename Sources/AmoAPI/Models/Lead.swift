import AmoSyncCore

/// A lead, as amoCRM answers it and as it is sent: to create (plain or through `leads/complex`
/// with its contact as a whole object), or to change (`id` and what changes).
package struct Lead: Listed, Equatable {
    package static let embeddedKey = "leads"

    /// What comes with a lead under `_embedded`.
    package struct Embedded: Codable, Sendable, Equatable {
        package var tags: [EntityLinks.Tag]?
        /// Linked contacts: by id (`is_main`), or in `leads/complex` one new contact as a whole.
        package var contacts: [Contact]?
        package var companies: [Company]?
        /// Makes a complex lead an incoming lead (Неразобранное) with the form's data.
        package var metadata: FormMetadata?

        package init(tags: [EntityLinks.Tag]? = nil, contacts: [Contact]? = nil, metadata: FormMetadata? = nil) {
            self.tags = tags
            self.contacts = contacts
            self.metadata = metadata
        }
    }

    package var id: Int?
    package var name: String?
    package var price: Int?
    package var pipelineID: Int?
    package var statusID: Int?
    package var responsibleUserID: Int?
    package var lossReasonID: Int?
    package var createdAt: Int?
    package var updatedAt: Int?
    package var closedAt: Int?
    package var customFieldsValues: [CustomFieldValues]?
    package var embedded: Embedded?
    package var requestID: String?

    package init(
        id: Int? = nil, name: String? = nil, price: Int? = nil, pipelineID: Int? = nil, statusID: Int? = nil,
        responsibleUserID: Int? = nil, customFieldsValues: [CustomFieldValues]? = nil, embedded: Embedded? = nil,
        requestID: String? = nil
    ) {
        self.id = id
        self.name = name
        self.price = price
        self.pipelineID = pipelineID
        self.statusID = statusID
        self.responsibleUserID = responsibleUserID
        self.customFieldsValues = customFieldsValues
        self.embedded = embedded
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case id, name, price, pipelineID = "pipeline_id", statusID = "status_id", responsibleUserID = "responsible_user_id"
        case lossReasonID = "loss_reason_id", createdAt = "created_at", updatedAt = "updated_at", closedAt = "closed_at"
        case customFieldsValues = "custom_fields_values", embedded = "_embedded", requestID = "request_id"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int.self, forKey: .id)
        name = try? container.decodeIfPresent(String.self, forKey: .name)
        price = try? container.decodeIfPresent(Int.self, forKey: .price)
        pipelineID = try? container.decodeIfPresent(Int.self, forKey: .pipelineID)
        statusID = try? container.decodeIfPresent(Int.self, forKey: .statusID)
        responsibleUserID = try? container.decodeIfPresent(Int.self, forKey: .responsibleUserID)
        lossReasonID = try? container.decodeIfPresent(Int.self, forKey: .lossReasonID)
        createdAt = try? container.decodeIfPresent(Int.self, forKey: .createdAt)
        updatedAt = try? container.decodeIfPresent(Int.self, forKey: .updatedAt)
        closedAt = try? container.decodeIfPresent(Int.self, forKey: .closedAt)
        customFieldsValues = try container.decodeIfPresent([CustomFieldValues].self, forKey: .customFieldsValues)
        embedded = try? container.decodeIfPresent(Embedded.self, forKey: .embedded)
        requestID = try? container.decodeIfPresent(RequestIDs.self, forKey: .requestID)?.values.first
    }

    /// The main contact's id (`_embedded.contacts` with `is_main`, else the first).
    package var mainContactID: Int? { (embedded?.contacts?.first { $0.isMain == true } ?? embedded?.contacts?.first)?.id }
}

/// One result of `POST /api/v4/leads/complex`: a bare array, not HAL. With duplicate control,
/// `merged` says the order was attached to an existing open lead (`id` is that lead), and one
/// result may answer several request ids.
package struct ComplexResult: Codable, Sendable, Equatable {
    package var id: Int
    package var contactID: Int?
    package var companyID: Int?
    package var requestID: RequestIDs
    package var merged: Bool

    package init(id: Int, contactID: Int?, companyID: Int? = nil, requestID: [String], merged: Bool) {
        self.id = id
        self.contactID = contactID
        self.companyID = companyID
        self.requestID = RequestIDs(requestID)
        self.merged = merged
    }

    enum CodingKeys: String, CodingKey { case id, contactID = "contact_id", companyID = "company_id", requestID = "request_id", merged }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        contactID = try container.decodeIfPresent(Int.self, forKey: .contactID)
        companyID = try container.decodeIfPresent(Int.self, forKey: .companyID)
        requestID = try container.decodeIfPresent(RequestIDs.self, forKey: .requestID) ?? RequestIDs([])
        merged = try container.decodeIfPresent(Bool.self, forKey: .merged) ?? false
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(contactID, forKey: .contactID)
        try container.encode(companyID, forKey: .companyID)
        try container.encode(requestID.values, forKey: .requestID)  // always an array here
        try container.encode(merged, forKey: .merged)
    }
}
