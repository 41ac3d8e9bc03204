/// A custom field definition of leads, contacts or companies (`/api/v4/{entity}/custom_fields`).
package struct CustomField: Listed, Equatable {
    package static let embeddedKey = "custom_fields"

    /// One option of a list field.
    package struct Option: Codable, Sendable, Equatable {
        package var id: Int?
        package var value: String
        package var sort: Int?
        package init(id: Int? = nil, value: String, sort: Int? = nil) {
            self.id = id
            self.value = value
            self.sort = sort
        }
    }

    package var id: Int?
    package var name: String
    package var type: String
    package var code: String?
    package var sort: Int?
    package var isAPIOnly: Bool?
    package var isPredefined: Bool?
    package var enums: [Option]?
    package var requestID: String?

    package init(
        id: Int? = nil, name: String, type: String, code: String? = nil, isAPIOnly: Bool? = nil, enums: [Option]? = nil,
        requestID: String? = nil
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.code = code
        self.isAPIOnly = isAPIOnly
        self.enums = enums
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case id, name, type, code, sort, isAPIOnly = "is_api_only", isPredefined = "is_predefined", enums, requestID = "request_id"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int.self, forKey: .id)
        name = (try? container.decodeIfPresent(String.self, forKey: .name)) ?? ""
        type = (try? container.decodeIfPresent(String.self, forKey: .type)) ?? "text"
        code = try? container.decodeIfPresent(String.self, forKey: .code)
        sort = try? container.decodeIfPresent(Int.self, forKey: .sort)
        isAPIOnly = try? container.decodeIfPresent(Bool.self, forKey: .isAPIOnly)
        isPredefined = try? container.decodeIfPresent(Bool.self, forKey: .isPredefined)
        enums = try? container.decodeIfPresent([Option].self, forKey: .enums)
        requestID = try? container.decodeIfPresent(RequestIDs.self, forKey: .requestID)?.values.first
    }

    /// The entities that have custom fields amosync writes.
    package enum Entity: String, Sendable, CaseIterable {
        case leads, contacts, companies
    }
}
