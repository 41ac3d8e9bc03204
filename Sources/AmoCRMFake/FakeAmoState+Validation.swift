import AmoAPI
import Foundation
import AmoSyncCore

extension FakeAmoState {
    static func problem(
        _ code: String, _ path: String, _ detail: String = "The value you selected is not a valid choice."
    ) -> ValidationError {
        ValidationError(code: code, path: path, detail: detail)
    }

    /// A batch write's items, or its refusal: not a non-empty array, or more than 50 `what`.
    static func batch(_ body: JSONValue?, of what: String) -> (items: [JSONValue], refusal: FakeResponse?) {
        guard let items = body?.arrayValue, !items.isEmpty else {
            return ([], .problem(400, title: "Bad Request", detail: "expected a non-empty array"))
        }
        guard items.count <= Endpoints.batchLimit else {
            return ([], .problem(400, title: "Bad Request", detail: "Too many \(what) in one request: 50 at most"))
        }
        return (items, nil)
    }

    /// A list's `limit`: 250 at most (more is refused, as amoCRM refuses it).
    func pageLimit(_ query: [String: String]) -> Int? {
        let limit = Int(query["limit"] ?? "") ?? 50
        return (1...Endpoints.pageLimit).contains(limit) ? limit : nil
    }

    static let limitRefused = FakeResponse.problem(400, title: "Bad Request", detail: "limit: This value should be 250 or less.")

    /// The longest name amoCRM takes for a lead or contact.
    static let nameLimit = 255

    /// The longest value of a field type: single-line text 256 characters, a text area 8,192.
    static func valueLimit(_ type: String) -> Int { type == "textarea" ? 8192 : 256 }

    static func tooLong(_ path: String, _ limit: Int) -> ValidationError {
        problem("InvalidLength", path, "This value is too long. It should have \(limit) characters or less.")
    }

    /// One batch item read as the API's type, strictly: a value of the wrong JSON type is a
    /// validation error naming its path, as amoCRM answers it (the API types read answers
    /// leniently; a request is checked before it is read).
    func read<T: Decodable>(_ type: T.Type, _ item: JSONValue, problems: inout [ValidationError]) -> T? {
        for (key, expected) in [("price", "int"), ("responsible_user_id", "int"), ("pipeline_id", "int"), ("status_id", "int")] {
            if let value = item[key], !value.isNull, value.intValue == nil {
                problems.append(Self.problem("InvalidType", key, "This value should be of type \(expected)."))
            }
        }
        if let name = item["name"], !name.isNull, name.stringValue == nil {
            problems.append(Self.problem("InvalidType", "name", "This value should be of type string."))
        }
        guard problems.isEmpty else { return nil }
        do { return try AmoJSON.decode(type, from: item) } catch {
            problems.append(Self.problem("InvalidType", "", "The request item cannot be read: \(error)"))
            return nil
        }
    }

    /// Name, responsible user, tags and custom fields, as amoCRM validates them.
    func checkCommon(
        name: String?, responsible: Int?, tags: [EntityLinks.Tag]?, values: [CustomFieldValues]?, into value: inout FakeEntity,
        entity: String, problems: inout [ValidationError]
    ) {
        if let name { value.name = name }
        if value.name.unicodeScalars.count > Self.nameLimit { problems.append(Self.tooLong("name", Self.nameLimit)) }
        if let user = responsible {
            if users.contains(user) {
                value.responsibleUserID = user
            } else {
                problems.append(Self.problem("NotSupportedChoice", "responsible_user_id"))
            }
        }
        if let tags { value.tags = tags.compactMap(\.name) }
        guard let list = values else { return }
        // amoCRM takes at most 40 custom field values per lead or contact in one request.
        if list.count > 40 {
            problems.append(Self.problem("TooManyValues", "custom_fields_values", "Too many custom field values: 40 at most"))
            return
        }
        let defs = fields[entity] ?? []
        for (index, field) in list.enumerated() {
            let path = "custom_fields_values.\(index)"
            let def: FakeField?
            if let id = field.fieldID {
                def = defs.first { $0.id == id }
                if def == nil { problems.append(Self.problem("NotSupportedChoice", "\(path).field_id")); continue }
            } else if let code = field.fieldCode {
                def = defs.first { $0.code == code }
                if def == nil { problems.append(Self.problem("NotSupportedChoice", "\(path).field_code")); continue }
            } else {
                problems.append(Self.problem("FieldMissing", "\(path).field_id", "This field is missing."))
                continue
            }
            guard let def else { continue }
            guard let items = field.values else {
                value.fields.removeAll { $0.fieldID == def.id }
                continue
            }
            let stored = storedValues(items, def: def, path: path, problems: &problems)
            value.fields.removeAll { $0.fieldID == def.id }
            if !stored.isEmpty { value.fields.append(FakeFieldValues(fieldID: def.id, values: stored)) }
        }
    }

    /// A field's values as the account keeps them, each checked against the field's type.
    private func storedValues(
        _ items: [CustomFieldValues.Item], def: FakeField, path: String, problems: inout [ValidationError]
    ) -> [(value: JSONValue, enumCode: String?)] {
        var stored: [(value: JSONValue, enumCode: String?)] = []
        for (index, entry) in items.enumerated() {
            let itemPath = "\(path).values.\(index)"
            let raw = entry.value ?? .null
            switch def.type {
            case "multitext":
                if let code = entry.enumCode, !def.enums.contains(where: { $0.value == code }) {
                    problems.append(Self.problem("NotSupportedChoice", "\(itemPath).enum_code"))
                }
                guard let text = raw.textValue, !text.isEmpty else {
                    problems.append(Self.problem("FieldMissing", "\(itemPath).value", "This field is missing."))
                    continue
                }
                stored.append((.string(text), entry.enumCode ?? def.enums.first?.value))
            case "select", "radiobutton", "multiselect":
                if let enumID = entry.enumID, let match = def.enums.first(where: { $0.id == enumID }) {
                    stored.append((.string(match.value), nil))
                } else if let text = raw.textValue, def.enums.contains(where: { $0.value == text }) {
                    stored.append((.string(text), nil))
                } else {
                    problems.append(Self.problem("NotSupportedChoice", "\(itemPath).value"))
                }
            case "numeric":
                guard raw.doubleValue != nil else {
                    problems.append(Self.problem("InvalidType", "\(itemPath).value", "This value should be of type numeric."))
                    continue
                }
                stored.append((raw, nil))
            case "checkbox":
                guard raw.boolValue != nil else {
                    problems.append(Self.problem("InvalidType", "\(itemPath).value", "This value should be of type bool."))
                    continue
                }
                if entry.enumCode != nil {
                    problems.append(Self.problem("FieldNotExpected", "\(itemPath).enum_code", "This field was not expected."))
                }
                stored.append((raw, nil))
            default:
                guard let text = raw.textValue else {
                    problems.append(Self.problem("InvalidType", "\(itemPath).value", "This value should be of type string."))
                    continue
                }
                let limit = Self.valueLimit(def.type)
                if text.unicodeScalars.count > limit {
                    problems.append(Self.tooLong("\(itemPath).value", limit))
                    continue
                }
                stored.append((raw, nil))
            }
        }
        return stored
    }

    /// Pipeline, status, price and linked contacts of a lead.
    func checkLead(_ lead: Lead, into value: inout FakeEntity, creating: Bool, problems: inout [ValidationError]) {
        if let price = lead.price { value.price = price }
        var pipelineID = lead.pipelineID ?? (creating ? pipelines[0].id : value.pipelineID)
        if !creating, lead.pipelineID == nil, let status = lead.statusID, !Status.isClosed(status),
            let owner = pipelines.first(where: { $0.statuses.contains { $0.id == status } })
        {
            pipelineID = owner.id  // a status id alone moves the lead to its pipeline
        }
        guard let pipeline = pipelines.first(where: { $0.id == pipelineID }) else {
            problems.append(Self.problem("NotSupportedChoice", "pipeline_id"))
            return
        }
        if let status = lead.statusID {
            guard let match = pipeline.statuses.first(where: { $0.id == status }), match.type != Status.incomingType else {
                problems.append(Self.problem("NotSupportedChoice", "status_id"))
                return
            }
            value.statusID = status
        } else if creating || lead.pipelineID != nil {
            value.statusID = pipeline.statuses.first { $0.type == 0 }!.id
        }
        value.pipelineID = pipeline.id
        if creating, let linked = lead.embedded?.contacts {
            for (index, link) in linked.enumerated() {
                if let id = link.id, contacts[id] != nil {
                    value.contactIDs.append(id)
                } else {
                    problems.append(Self.problem("NotSupportedChoice", "_embedded.contacts.\(index).id"))
                }
            }
        }
    }
}
