/// amoCRM's error answer (`application/problem+json`), with `validation-errors` naming the
/// batch items (`request_id`) and the fields (`path`) it refused.
package struct Problem: Codable, Sendable, Equatable {
    package var title: String?
    package var type: String?
    package var status: Int?
    package var detail: String?
    /// OAuth errors: why (`Token has been revoked`).
    package var hint: String?
    package var validationErrors: [ValidationErrors]?

    package init(
        status: Int, title: String, detail: String, type: String? = nil, hint: String? = nil, validationErrors: [ValidationErrors]? = nil
    ) {
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type ?? "https://httpstatus.es/\(status)"
        self.hint = hint
        self.validationErrors = validationErrors
    }

    enum CodingKeys: String, CodingKey { case title, type, status, detail, hint, validationErrors = "validation-errors" }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        title = try? container.decodeIfPresent(String.self, forKey: .title)
        type = try? container.decodeIfPresent(String.self, forKey: .type)
        status = try? container.decodeIfPresent(Int.self, forKey: .status)
        detail = try? container.decodeIfPresent(String.self, forKey: .detail)
        hint = try? container.decodeIfPresent(String.self, forKey: .hint)
        validationErrors = try? container.decodeIfPresent([ValidationErrors].self, forKey: .validationErrors)
    }
}

/// The refusals of one batch item.
package struct ValidationErrors: Codable, Sendable, Equatable {
    package var requestID: String?
    package var errors: [ValidationError]

    package init(requestID: String?, errors: [ValidationError]) {
        self.requestID = requestID
        self.errors = errors
    }

    enum CodingKeys: String, CodingKey { case requestID = "request_id", errors }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        requestID = try? container.decodeIfPresent(RequestIDs.self, forKey: .requestID)?.values.first
        errors = (try? container.decodeIfPresent([ValidationError].self, forKey: .errors)) ?? []
    }
}

/// One refused value: `NotSupportedChoice` at `custom_fields_values.0.values.0.value`.
package struct ValidationError: Codable, Sendable, Equatable {
    package var code: String
    package var path: String
    package var detail: String

    package init(code: String, path: String, detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey { case code, path, detail }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = (try? container.decodeIfPresent(String.self, forKey: .code)) ?? ""
        path = (try? container.decodeIfPresent(String.self, forKey: .path)) ?? ""
        detail = (try? container.decodeIfPresent(String.self, forKey: .detail)) ?? ""
    }

    /// The path, read.
    package var field: ValidationPath { ValidationPath(path) }
}

/// Where in a batch item a refused value sits, as the delivery steps act on it.
package enum ValidationPath: Sendable, Equatable {
    /// `name`
    case name
    /// `status_id`
    case status
    /// `pipeline_id`
    case pipeline
    /// `responsible_user_id`
    case responsibleUser
    /// `custom_fields_values.N.<part>`: the N-th field (`field_id`, or `values.0.value`).
    case customField(index: Int, part: String)
    /// `_embedded.contacts.N.id`: a linked contact that does not exist (any more).
    case linkedContact(index: Int)
    /// `_embedded.contacts.N.<path>`: a value of the contact sent with a complex lead.
    case embeddedContact(index: Int, ValidationPathBox)
    /// `entity_id` of a note or link.
    case entity
    /// Anything else, as written.
    case other(String)

    package init(_ path: String) {
        let parts = path.split(separator: ".").map(String.init)
        switch parts.first {
        case "name" where parts.count == 1: self = .name
        case "status_id": self = .status
        case "pipeline_id": self = .pipeline
        case "responsible_user_id": self = .responsibleUser
        case "entity_id": self = .entity
        case "custom_fields_values" where parts.count >= 2 && Int(parts[1]) != nil:
            self = .customField(index: Int(parts[1])!, part: parts.dropFirst(2).joined(separator: "."))
        case "_embedded" where parts.count >= 4 && parts[1] == "contacts" && Int(parts[2]) != nil:
            let index = Int(parts[2])!
            if parts.count == 4, parts[3] == "id" {
                self = .linkedContact(index: index)
            } else {
                self = .embeddedContact(index: index, ValidationPathBox(ValidationPath(parts.dropFirst(3).joined(separator: "."))))
            }
        default: self = .other(path)
        }
    }
}

/// A nested path (an enum cannot hold itself directly).
package final class ValidationPathBox: Sendable, Equatable {
    package let path: ValidationPath
    init(_ path: ValidationPath) { self.path = path }
    package static func == (a: ValidationPathBox, b: ValidationPathBox) -> Bool { a.path == b.path }
}
