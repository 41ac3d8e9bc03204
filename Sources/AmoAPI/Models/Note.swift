/// A note on a lead (or contact). amosync writes `common` notes: `params.text`.
package struct Note: Listed, Equatable {
    package static let embeddedKey = "notes"

    package struct Params: Codable, Sendable, Equatable {
        package var text: String?
        package init(text: String?) { self.text = text }
    }

    package var id: Int?
    package var entityID: Int?
    package var noteType: String?
    package var params: Params?
    package var createdAt: Int?
    package var requestID: String?

    package init(id: Int? = nil, entityID: Int?, text: String, requestID: String? = nil) {
        self.id = id
        self.entityID = entityID
        self.noteType = Self.common
        self.params = Params(text: text)
        self.requestID = requestID
    }

    package static let common = "common"

    enum CodingKeys: String, CodingKey {
        case id, entityID = "entity_id", noteType = "note_type", params, createdAt = "created_at", requestID = "request_id"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int.self, forKey: .id)
        entityID = try? container.decodeIfPresent(Int.self, forKey: .entityID)
        noteType = try? container.decodeIfPresent(String.self, forKey: .noteType)
        params = try? container.decodeIfPresent(Params.self, forKey: .params)
        createdAt = try? container.decodeIfPresent(Int.self, forKey: .createdAt)
        requestID = try? container.decodeIfPresent(RequestIDs.self, forKey: .requestID)?.values.first
    }

    package var text: String? { params?.text }
}
