import AmoSyncCore

/// One field's values on a lead, contact, company or catalog element (`custom_fields_values`).
/// A field is named by `field_id` or `field_code`; `values: null` clears it.
package struct CustomFieldValues: Codable, Sendable, Equatable {
    /// One value: text, a number or a flag; list fields also by `enum_id`/`enum_code`.
    package struct Item: Codable, Sendable, Equatable {
        package var value: JSONValue?
        package var enumID: Int?
        package var enumCode: String?

        package init(value: JSONValue? = nil, enumID: Int? = nil, enumCode: String? = nil) {
            self.value = value
            self.enumID = enumID
            self.enumCode = enumCode
        }

        enum CodingKeys: String, CodingKey { case value, enumID = "enum_id", enumCode = "enum_code", legacyEnum = "enum" }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            value = try container.decodeIfPresent(JSONValue.self, forKey: .value)
            enumID = try? container.decodeIfPresent(Int.self, forKey: .enumID)
            // Older answers name the code `enum`.
            enumCode =
                (try? container.decodeIfPresent(String.self, forKey: .enumCode))
                ?? (try? container.decodeIfPresent(String.self, forKey: .legacyEnum))
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(value, forKey: .value)
            try container.encodeIfPresent(enumID, forKey: .enumID)
            try container.encodeIfPresent(enumCode, forKey: .enumCode)
        }

        /// The value as text (numbers without trailing zeros), nil when it holds none.
        package var text: String? { value?.textValue }
    }

    package var fieldID: Int?
    package var fieldCode: String?
    /// In answers only.
    package var fieldName: String?
    package var fieldType: String?
    /// nil: the field is cleared (`"values": null` is written).
    package var values: [Item]?

    package init(fieldID: Int? = nil, fieldCode: String? = nil, values: [Item]?) {
        self.fieldID = fieldID
        self.fieldCode = fieldCode
        self.values = values
    }

    enum CodingKeys: String, CodingKey {
        case fieldID = "field_id", fieldCode = "field_code", fieldName = "field_name", fieldType = "field_type", values
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        fieldID = try? container.decodeIfPresent(Int.self, forKey: .fieldID)
        fieldCode = try? container.decodeIfPresent(String.self, forKey: .fieldCode)
        fieldName = try? container.decodeIfPresent(String.self, forKey: .fieldName)
        fieldType = try? container.decodeIfPresent(String.self, forKey: .fieldType)
        values = try container.decodeIfPresent([Item].self, forKey: .values)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(fieldID, forKey: .fieldID)
        try container.encodeIfPresent(fieldCode, forKey: .fieldCode)
        try container.encodeIfPresent(fieldName, forKey: .fieldName)
        try container.encodeIfPresent(fieldType, forKey: .fieldType)
        if let values { try container.encode(values, forKey: .values) } else { try container.encodeNil(forKey: .values) }
    }

    /// The system fields every contact has, named by code (their ids differ per account).
    package static let phoneCode = "PHONE"
    package static let emailCode = "EMAIL"
}

extension [CustomFieldValues] {
    /// The values of the field with this code.
    package func values(code: String) -> [CustomFieldValues.Item] { first { $0.fieldCode == code }?.values ?? [] }
}
