/// A pipeline with its stages (`GET /api/v4/leads/pipelines`).
package struct Pipeline: Listed, Equatable {
    package static let embeddedKey = "pipelines"

    package struct Embedded: Codable, Sendable, Equatable {
        package var statuses: [Status]?
        package init(statuses: [Status]) { self.statuses = statuses }
    }

    package var id: Int
    package var name: String
    package var sort: Int?
    package var isMain: Bool?
    package var isUnsortedOn: Bool?
    package var isArchive: Bool?
    package var embedded: Embedded?

    package init(id: Int, name: String, isMain: Bool, statuses: [Status]) {
        self.id = id
        self.name = name
        self.isMain = isMain
        self.isUnsortedOn = statuses.contains { $0.type == Status.incomingType }
        self.isArchive = false
        self.embedded = Embedded(statuses: statuses)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, sort, isMain = "is_main", isUnsortedOn = "is_unsorted_on", isArchive = "is_archive", embedded = "_embedded"
    }

    package var statuses: [Status] { embedded?.statuses ?? [] }
}

/// A stage of a pipeline.
package struct Status: Codable, Sendable, Equatable {
    /// "Успешно реализовано" (closed – won): the same id in every pipeline.
    package static let won = 142
    /// "Закрыто и не реализовано" (closed – lost): the same id in every pipeline.
    package static let lost = 143
    /// `type` of the incoming-leads stage (Неразобранное); 0 is a regular stage.
    package static let incomingType = 1

    package var id: Int
    package var name: String
    package var sort: Int?
    package var pipelineID: Int?
    package var type: Int?
    package var color: String?
    package var isEditable: Bool?

    package init(id: Int, name: String, pipelineID: Int, type: Int, isEditable: Bool) {
        self.id = id
        self.name = name
        self.pipelineID = pipelineID
        self.type = type
        self.isEditable = isEditable
    }

    enum CodingKeys: String, CodingKey { case id, name, sort, pipelineID = "pipeline_id", type, color, isEditable = "is_editable" }

    /// Won or lost: these ids need their pipeline with them.
    package static func isClosed(_ id: Int) -> Bool { id == won || id == lost }
    package var isIncoming: Bool { type == Self.incomingType }
}
