/// A company, as linked to a lead or contact.
package struct Company: Listed, Equatable {
    package static let embeddedKey = "companies"
    package var id: Int?
    package var name: String?
    package var customFieldsValues: [CustomFieldValues]?
    package var requestID: String?

    package init(id: Int? = nil, name: String? = nil) {
        self.id = id
        self.name = name
    }

    enum CodingKeys: String, CodingKey { case id, name, customFieldsValues = "custom_fields_values", requestID = "request_id" }
}
