/// A list (каталог) of the account: `products` is the products list.
package struct Catalog: Listed, Equatable {
    package static let embeddedKey = "catalogs"
    package var id: Int
    package var name: String
    package var type: String?

    package init(id: Int, name: String, type: String?) {
        self.id = id
        self.name = name
        self.type = type
    }

    package static let products = "products"
}

/// An element of a list: a product with its SKU and price fields.
package struct CatalogElement: Listed, Equatable {
    package static let embeddedKey = "elements"
    package var id: Int?
    package var name: String
    package var catalogID: Int?
    package var customFieldsValues: [CustomFieldValues]?
    package var requestID: String?

    package init(id: Int? = nil, name: String, customFieldsValues: [CustomFieldValues]? = nil, requestID: String? = nil) {
        self.id = id
        self.name = name
        self.customFieldsValues = customFieldsValues
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case id, name, catalogID = "catalog_id", customFieldsValues = "custom_fields_values", requestID = "request_id"
    }
}

/// A link between a lead and another entity (`POST /api/v4/leads/{id}/link`, `/leads/link`):
/// a catalog element with its quantity, or a contact.
package struct EntityLink: Listed, Equatable {
    package static let embeddedKey = "links"

    package struct Metadata: Codable, Sendable, Equatable {
        package var catalogID: Int?
        package var quantity: Double?
        package var isMain: Bool?
        package init(catalogID: Int? = nil, quantity: Double? = nil, isMain: Bool? = nil) {
            self.catalogID = catalogID
            self.quantity = quantity
            self.isMain = isMain
        }
        enum CodingKeys: String, CodingKey { case catalogID = "catalog_id", quantity, isMain = "is_main" }
    }

    package var entityID: Int?
    package var entityType: String?
    package var toEntityID: Int
    package var toEntityType: String
    package var metadata: Metadata?

    package init(entityID: Int? = nil, entityType: String? = nil, toEntityID: Int, toEntityType: String, metadata: Metadata? = nil) {
        self.entityID = entityID
        self.entityType = entityType
        self.toEntityID = toEntityID
        self.toEntityType = toEntityType
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case entityID = "entity_id", entityType = "entity_type", toEntityID = "to_entity_id", toEntityType = "to_entity_type", metadata
    }

    package static let catalogElements = "catalog_elements"
    package static let contacts = "contacts"
}

/// A task for a user (`POST /api/v4/tasks`): "call the customer" on a lead, due at `complete_till`.
package struct AmoTask: Listed, Equatable {
    package static let embeddedKey = "tasks"
    package var id: Int?
    package var text: String?
    package var completeTill: Int?
    package var entityID: Int?
    package var entityType: String?
    package var responsibleUserID: Int?
    package var taskTypeID: Int?
    package var requestID: String?

    package init(
        text: String, completeTill: Int, entityID: Int, entityType: String = "leads", responsibleUserID: Int? = nil,
        taskTypeID: Int? = nil, requestID: String? = nil
    ) {
        self.text = text
        self.completeTill = completeTill
        self.entityID = entityID
        self.entityType = entityType
        self.responsibleUserID = responsibleUserID
        self.taskTypeID = taskTypeID
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case id, text, completeTill = "complete_till", entityID = "entity_id", entityType = "entity_type"
        case responsibleUserID = "responsible_user_id", taskTypeID = "task_type_id", requestID = "request_id"
    }
}
