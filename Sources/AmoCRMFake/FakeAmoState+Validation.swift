import Foundation
import AmoSyncCore

extension FakeAmoState {
    static func problem(_ code: String, _ path: String, _ detail: String = "The value you selected is not a valid choice.") -> JSONValue {
        ["code": .string(code), "path": .string(path), "detail": .string(detail)]
    }

    /// The longest name amoCRM takes for a lead or contact.
    static let nameLimit = 255

    /// The longest value of a field type: single-line text 256 characters, a text area 8,192.
    static func valueLimit(_ type: String) -> Int { type == "textarea" ? 8192 : 256 }

    static func tooLong(_ path: String, _ limit: Int) -> JSONValue {
        problem("InvalidLength", path, "This value is too long. It should have \(limit) characters or less.")
    }

    /// Responsible user, tags and custom fields, as amoCRM validates them.
    func checkCommon(_ item: JSONValue, into value: inout FakeEntity, entity: String, problems: inout [JSONValue]) {
        if value.name.unicodeScalars.count > Self.nameLimit { problems.append(Self.tooLong("name", Self.nameLimit)) }
        if let user = item["responsible_user_id"], !user.isNull {
            if let id = user.intValue, users.contains(id) {
                value.responsibleUserID = id
            } else {
                problems.append(Self.problem("NotSupportedChoice", "responsible_user_id"))
            }
        }
        if let tags = item.value(at: "_embedded.tags")?.arrayValue {
            value.tags = tags.compactMap { $0["name"]?.textValue }
        }
        guard let list = item["custom_fields_values"]?.arrayValue else { return }
        // amoCRM takes at most 40 custom field values per lead or contact in one request.
        if list.count > 40 {
            problems.append(Self.problem("TooManyValues", "custom_fields_values", "Too many custom field values: 40 at most"))
            return
        }
        let defs = fields[entity] ?? []
        for (index, cf) in list.enumerated() {
            let path = "custom_fields_values.\(index)"
            let def: FakeField?
            if let id = cf["field_id"]?.intValue {
                def = defs.first { $0.id == id }
                if def == nil { problems.append(Self.problem("NotSupportedChoice", "\(path).field_id")); continue }
            } else if let code = cf["field_code"]?.stringValue {
                def = defs.first { $0.code == code }
                if def == nil { problems.append(Self.problem("NotSupportedChoice", "\(path).field_code")); continue }
            } else {
                problems.append(Self.problem("FieldMissing", "\(path).field_id", "This field is missing."))
                continue
            }
            guard let def else { continue }
            guard let values = cf["values"]?.arrayValue else {
                value.fields.removeAll { $0.fieldID == def.id }
                continue
            }
            var stored: [(value: JSONValue, enumCode: String?)] = []
            for (vIndex, entry) in values.enumerated() {
                let vPath = "\(path).values.\(vIndex)"
                let raw = entry["value"] ?? .null
                switch def.type {
                case "multitext":
                    let code = entry["enum_code"]?.stringValue ?? entry["enum"]?.stringValue
                    if let code, !def.enums.contains(where: { $0.value == code }) {
                        problems.append(Self.problem("NotSupportedChoice", "\(vPath).enum_code"))
                    }
                    guard let text = raw.textValue, !text.isEmpty else {
                        problems.append(Self.problem("FieldMissing", "\(vPath).value", "This field is missing."))
                        continue
                    }
                    stored.append((.string(text), code ?? def.enums.first?.value))
                case "select", "radiobutton", "multiselect":
                    if let enumID = entry["enum_id"]?.intValue, let match = def.enums.first(where: { $0.id == enumID }) {
                        stored.append((.string(match.value), nil))
                    } else if let text = raw.textValue, def.enums.contains(where: { $0.value == text }) {
                        stored.append((.string(text), nil))
                    } else {
                        problems.append(Self.problem("NotSupportedChoice", "\(vPath).value"))
                    }
                case "numeric":
                    guard raw.doubleValue != nil else {
                        problems.append(Self.problem("InvalidType", "\(vPath).value", "This value should be of type numeric."))
                        continue
                    }
                    stored.append((raw, nil))
                case "checkbox":
                    guard raw.boolValue != nil else {
                        problems.append(Self.problem("InvalidType", "\(vPath).value", "This value should be of type bool."))
                        continue
                    }
                    if entry["enum_code"] != nil {
                        problems.append(Self.problem("FieldNotExpected", "\(vPath).enum_code", "This field was not expected."))
                    }
                    stored.append((raw, nil))
                default:
                    guard let text = raw.textValue else {
                        problems.append(Self.problem("InvalidType", "\(vPath).value", "This value should be of type string."))
                        continue
                    }
                    let limit = Self.valueLimit(def.type)
                    if text.unicodeScalars.count > limit {
                        problems.append(Self.tooLong("\(vPath).value", limit))
                        continue
                    }
                    stored.append((raw, nil))
                }
            }
            value.fields.removeAll { $0.fieldID == def.id }
            if !stored.isEmpty { value.fields.append(FakeFieldValues(fieldID: def.id, values: stored)) }
        }
    }

    /// Pipeline, status, price and linked contacts of a lead.
    func checkLead(_ item: JSONValue, into value: inout FakeEntity, creating: Bool, problems: inout [JSONValue]) {
        if let price = item["price"], !price.isNull {
            if let int = price.intValue {
                value.price = int
            } else {
                problems.append(Self.problem("InvalidType", "price", "This value should be of type int."))
            }
        }
        var pipelineID = item["pipeline_id"]?.intValue ?? (creating ? pipelines[0].id : value.pipelineID)
        if !creating, item["pipeline_id"] == nil, let status = item["status_id"]?.intValue, status != 142, status != 143,
            let owner = pipelines.first(where: { $0.statuses.contains { $0.id == status } })
        {
            pipelineID = owner.id  // a status id alone moves the lead to its pipeline
        }
        guard let pipeline = pipelines.first(where: { $0.id == pipelineID }) else {
            problems.append(Self.problem("NotSupportedChoice", "pipeline_id"))
            return
        }
        if let status = item["status_id"]?.intValue {
            guard let match = pipeline.statuses.first(where: { $0.id == status }) else {
                problems.append(Self.problem("NotSupportedChoice", "status_id"))
                return
            }
            if match.type == 1 { problems.append(Self.problem("NotSupportedChoice", "status_id")); return }
            value.statusID = status
        } else if creating || item["pipeline_id"] != nil {
            value.statusID = pipeline.statuses.first { $0.type == 0 }!.id
        }
        value.pipelineID = pipeline.id
        if creating, let linked = item.value(at: "_embedded.contacts")?.arrayValue {
            for (index, link) in linked.enumerated() {
                if let id = link["id"]?.intValue, contacts[id] != nil {
                    value.contactIDs.append(id)
                } else {
                    problems.append(Self.problem("NotSupportedChoice", "_embedded.contacts.\(index).id"))
                }
            }
        }
    }
}
