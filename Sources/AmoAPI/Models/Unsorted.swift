/// The form data that comes with an incoming lead (Неразобранное), as `POST
/// /api/v4/leads/unsorted/forms` and complex leads with metadata take it.
package struct FormMetadata: Codable, Sendable, Equatable {
    /// `forms` in a complex lead's `_embedded.metadata` (the lead becomes an incoming lead).
    package var category: String?
    package var formID: String
    package var formName: String
    package var formPage: String
    package var formSentAt: Int
    package var ip: String?
    package var referer: String?
    package var visitorUID: String?

    package init(
        category: String? = nil, formID: String, formName: String, formPage: String, formSentAt: Int, ip: String? = nil,
        referer: String? = nil
    ) {
        self.category = category
        self.formID = formID
        self.formName = formName
        self.formPage = formPage
        self.formSentAt = formSentAt
        self.ip = ip
        self.referer = referer
    }

    enum CodingKeys: String, CodingKey {
        case category, formID = "form_id", formName = "form_name", formPage = "form_page", formSentAt = "form_sent_at", ip, referer
        case visitorUID = "visitor_uid"
    }
}

/// An incoming lead from a form (`POST /api/v4/leads/unsorted/forms`): one lead, its contact and
/// company, and the form's data; `source_uid` and `source_name` are required.
package struct UnsortedForm: Listed, Equatable {
    package static let embeddedKey = "unsorted"

    package struct Embedded: Codable, Sendable, Equatable {
        package var leads: [Lead]?
        package var contacts: [Contact]?
        package var companies: [Company]?
        package init(leads: [Lead]?, contacts: [Contact]?) {
            self.leads = leads
            self.contacts = contacts
        }
    }

    /// In answers: the incoming lead's id (accept / decline use it).
    package var uid: String?
    package var sourceUID: String?
    package var sourceName: String?
    package var pipelineID: Int?
    package var createdAt: Int?
    package var metadata: FormMetadata?
    package var embedded: Embedded?
    package var requestID: String?

    package init(
        sourceUID: String, sourceName: String, pipelineID: Int?, createdAt: Int, metadata: FormMetadata, embedded: Embedded,
        requestID: String
    ) {
        self.sourceUID = sourceUID
        self.sourceName = sourceName
        self.pipelineID = pipelineID
        self.createdAt = createdAt
        self.metadata = metadata
        self.embedded = embedded
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case uid, sourceUID = "source_uid", sourceName = "source_name", pipelineID = "pipeline_id", createdAt = "created_at", metadata
        case embedded = "_embedded", requestID = "request_id"
    }
}
