/// The plan's one codec, both ways: how a plan is stored with its job (intake writes thousands a
/// second, so it is built as a `JSONValue` and written by the canonical writer, without
/// `JSONEncoder`) and read back at delivery. Keys are those of every plan ever stored; a key a
/// later version added is optional here, so an older plan reads as it was.
package protocol JSONRepresentable: Sendable {
    var json: JSONValue { get }
    init(json: JSONValue) throws(PlanDecodingError)
}

/// A stored plan that does not read: which key and why.
package struct PlanDecodingError: Error, Sendable, CustomStringConvertible {
    package var path: String
    package var problem: String
    package var description: String { "\(path): \(problem)" }
}

/// Reading one object of a stored document, naming the path of what is wrong.
struct JSONFields {
    let object: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws(PlanDecodingError) {
        guard case .object(let object) = value else { throw PlanDecodingError(path: path, problem: "expected an object") }
        self.object = object
        self.path = path
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func string(_ key: String) throws(PlanDecodingError) -> String {
        guard let text = optionalString(key) else { throw PlanDecodingError(path: child(key), problem: "expected a string") }
        return text
    }

    func optionalString(_ key: String) -> String? { object[key]?.stringValue }

    func int(_ key: String) throws(PlanDecodingError) -> Int? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let int = value.intValue else { throw PlanDecodingError(path: child(key), problem: "expected an integer") }
        return int
    }

    func strings(_ key: String) throws(PlanDecodingError) -> [String]? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let list = value.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
            throw PlanDecodingError(path: child(key), problem: "expected a list of strings")
        }
        return list.compactMap(\.stringValue)
    }

    func list<T: JSONRepresentable>(_ key: String, as type: T.Type) throws(PlanDecodingError) -> [T] {
        guard let value = object[key], !value.isNull else { return [] }
        guard let list = value.arrayValue else { throw PlanDecodingError(path: child(key), problem: "expected a list") }
        var result: [T] = []
        for (index, item) in list.enumerated() {
            do { result.append(try T(json: item)) } catch {
                throw PlanDecodingError(path: "\(child(key)).\(index).\(error.path)", problem: error.problem)
            }
        }
        return result
    }

    func nested<T: JSONRepresentable>(_ key: String, as type: T.Type) throws(PlanDecodingError) -> T? {
        guard let value = object[key], !value.isNull else { return nil }
        do { return try T(json: value) } catch { throw PlanDecodingError(path: "\(child(key)).\(error.path)", problem: error.problem) }
    }
}

extension DeliveryPlan: JSONRepresentable {
    package var json: JSONValue {
        var object: [String: JSONValue] = ["key": .string(key), "warnings": .array(warnings.map(JSONValue.string))]
        if let contact { object["contact"] = contact.json }
        if let lead { object["lead"] = lead.json }
        if let note { object["note"] = .string(note) }
        if let sales { object["sales"] = sales.json }
        return .object(object)
    }

    package init(json: JSONValue) throws(PlanDecodingError) {
        let fields = try JSONFields(json, path: "")
        self.init(
            key: try fields.string("key"), contact: try fields.nested("contact", as: ContactPlan.self),
            lead: try fields.nested("lead", as: LeadPlan.self), note: fields.optionalString("note"),
            warnings: try fields.strings("warnings") ?? [])
        sales = try fields.nested("sales", as: SalesPlan.self)
    }
}

extension ContactPlan: JSONRepresentable {
    package var json: JSONValue {
        var object: [String: JSONValue] = [
            "phones": .array(phones.map(JSONValue.string)), "emails": .array(emails.map(JSONValue.string)),
            "fields": .array(fields.map(\.json)),
        ]
        if let name { object["name"] = .string(name) }
        if let unmatchedPhones { object["unmatchedPhones"] = .array(unmatchedPhones.map(JSONValue.string)) }
        return .object(object)
    }

    package init(json: JSONValue) throws(PlanDecodingError) {
        let fields = try JSONFields(json, path: "")
        self.init(
            name: fields.optionalString("name"), phones: try fields.strings("phones") ?? [], emails: try fields.strings("emails") ?? [],
            fields: try fields.list("fields", as: FieldValue.self), unmatchedPhones: try fields.strings("unmatchedPhones"))
    }
}

extension LeadPlan: JSONRepresentable {
    package var json: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name), "fields": .array(fields.map(\.json)), "tags": .array(tags.map(JSONValue.string)),
        ]
        if let pipelineID { object["pipelineID"] = .number(JSONNumber(pipelineID)) }
        if let statusID { object["statusID"] = .number(JSONNumber(statusID)) }
        if let price { object["price"] = .number(JSONNumber(price)) }
        if let responsibleUserID { object["responsibleUserID"] = .number(JSONNumber(responsibleUserID)) }
        if let mappedStatusID { object["mappedStatusID"] = .number(JSONNumber(mappedStatusID)) }
        return .object(object)
    }

    package init(json: JSONValue) throws(PlanDecodingError) {
        let fields = try JSONFields(json, path: "")
        self.init(
            name: try fields.string("name"), price: try fields.int("price"), pipelineID: try fields.int("pipelineID"),
            statusID: try fields.int("statusID"), responsibleUserID: try fields.int("responsibleUserID"),
            fields: try fields.list("fields", as: FieldValue.self), tags: try fields.strings("tags") ?? [],
            mappedStatusID: try fields.int("mappedStatusID"))
    }
}

extension FieldValue: JSONRepresentable {
    package var json: JSONValue {
        let ref: JSONValue
        switch field {
        case .id(let id): ref = .number(JSONNumber(id))
        case .name(let name, nil): ref = .string(name)
        case .name(let name, let type?): ref = ["name": .string(name), "type": .string(type)]
        }
        return ["field": ref, "value": .string(value), "from": .string(from)]
    }

    package init(json: JSONValue) throws(PlanDecodingError) {
        let fields = try JSONFields(json, path: "")
        let field: FieldRef
        switch fields.object["field"] {
        case .number(let number)? where number.int != nil: field = .id(number.int!)
        case .string(let name)?: field = .name(name, type: nil)
        case .object(let object)? where object["name"]?.stringValue != nil:
            field = .name(object["name"]!.stringValue!, type: object["type"]?.stringValue)
        default: throw PlanDecodingError(path: "field", problem: "expected a field id, a name or {\"name\", \"type\"}")
        }
        self.init(field: field, value: try fields.string("value"), from: try fields.string("from"))
    }
}
