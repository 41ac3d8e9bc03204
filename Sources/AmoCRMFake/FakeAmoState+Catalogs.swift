import AmoAPI
import Foundation
import AmoSyncCore

extension FakeAmoState {
    /// Lists (Списки): `GET /catalogs`, a list's fields, its elements (250 a page, `query`
    /// searching names and values), adding elements. A plan without lists answers 402, a user
    /// without access 403, an unknown list 404.
    func catalogRequest(_ route: Route, body: JSONValue?, query: [String: String]) -> FakeResponse {
        guard sales.listsAvailable else {
            return .problem(402, title: "Payment Required", detail: "Lists are not available on the account's plan")
        }
        guard sales.listsAllowed else { return .problem(403, title: "Forbidden", detail: "Access denied") }
        switch route {
        case .catalogs:
            return .encoded(200, Page(items: sales.catalogs.map { Catalog(id: $0.id, name: $0.name, type: $0.type) }))
        case .catalogFields(let id):
            guard let catalog = sales.catalogs.first(where: { $0.id == id }) else { return Self.noCatalog }
            return .encoded(200, Page(items: catalog.fields.map(\.model)))
        case .catalogElements(let id):
            guard let catalog = sales.catalogs.first(where: { $0.id == id }) else { return Self.noCatalog }
            return listElements(catalog, query: query)
        case .createCatalogElements(let id):
            guard let catalog = sales.catalogs.first(where: { $0.id == id }) else { return Self.noCatalog }
            return createElements(catalog, body)
        default:
            return .problem(404, title: "Not Found", detail: "Unknown path")
        }
    }

    static let noCatalog = FakeResponse.problem(404, title: "Not Found", detail: "Catalog not found")

    func elementModel(_ element: FakeElement, _ catalog: FakeCatalog) -> CatalogElement {
        var model = CatalogElement(
            id: element.id, name: element.name,
            customFieldsValues: catalog.fields.compactMap { field in
                element.values[field.id].map {
                    var values = CustomFieldValues(fieldID: field.id, fieldCode: field.code, values: [.init(value: .string($0))])
                    values.fieldName = field.name
                    values.fieldType = field.type
                    return values
                }
            })
        model.catalogID = catalog.id
        return model
    }

    private func listElements(_ catalog: FakeCatalog, query: [String: String]) -> FakeResponse {
        guard let limit = pageLimit(query) else { return Self.limitRefused }
        let page = max(1, Int(query["page"] ?? "") ?? 1)
        let text = query["query"]?.lowercased() ?? ""
        let all = sales.elements.values.filter { element in
            element.catalogID == catalog.id
                && (text.isEmpty || element.name.lowercased().contains(text)
                    || element.values.values.contains { $0.lowercased().contains(text) })
        }.sorted { $0.id < $1.id }
        let slice = all.dropFirst((page - 1) * limit).prefix(limit)
        if slice.isEmpty { return FakeResponse(status: 204) }
        return .encoded(200, Page(items: slice.map { elementModel($0, catalog) }, page: page, hasNext: page * limit < all.count))
    }

    private func createElements(_ catalog: FakeCatalog, _ body: JSONValue?) -> FakeResponse {
        let (items, refusal) = Self.batch(body, of: "elements")
        if let refusal { return refusal }
        var errors: [ValidationErrors] = []
        var built: [FakeElement] = []
        for (index, item) in items.enumerated() {
            var problems: [ValidationError] = []
            let name = item["name"]?.stringValue ?? ""
            if name.isEmpty { problems.append(Self.problem("FieldMissing", "name", "This field is missing.")) }
            if name.unicodeScalars.count > Self.nameLimit { problems.append(Self.tooLong("name", Self.nameLimit)) }
            var values: [Int: String] = [:]
            for (position, field) in (item["custom_fields_values"]?.arrayValue ?? []).enumerated() {
                let def = catalog.fields.first {
                    $0.id == field["field_id"]?.intValue || ($0.code != nil && $0.code == field["field_code"]?.stringValue)
                }
                guard let def else {
                    problems.append(Self.problem("NotSupportedChoice", "custom_fields_values.\(position).field_id"))
                    continue
                }
                guard let value = field["values"]?.arrayValue?.first?["value"]?.textValue else { continue }
                if def.type == "price", Double(value) == nil {
                    problems.append(
                        Self.problem("InvalidType", "custom_fields_values.\(position).values.0.value", "This value should be a number."))
                }
                values[def.id] = value
            }
            if problems.isEmpty {
                built.append(FakeElement(id: 0, catalogID: catalog.id, name: name, values: values))
            } else {
                errors.append(ValidationErrors(requestID: item["request_id"]?.textValue ?? "\(index)", errors: problems))
            }
        }
        if !errors.isEmpty { return validationFailure(errors) }
        var answer: [CatalogElement] = []
        for (index, var element) in built.enumerated() {
            element.id = allocate("element")
            sales.elements[element.id] = element
            var model = elementModel(element, catalog)
            model.requestID = items[index]["request_id"]?.textValue ?? "\(index)"
            answer.append(model)
        }
        return .encoded(200, Page(items: answer))
    }

    /// `POST /api/v4/leads/link` and `/leads/unlink`: lead → element links with `catalog_id` and
    /// `quantity` (linking again sets the quantity), or lead → contact.
    func link(_ body: JSONValue?, unlink: Bool) -> FakeResponse {
        let (items, refusal) = Self.batch(body, of: "links")
        if let refusal { return refusal }
        var errors: [ValidationErrors] = []
        for (index, item) in items.enumerated() {
            var problems: [ValidationError] = []
            let lead = item["entity_id"]?.intValue ?? -1
            if item["entity_type"]?.stringValue.map({ $0 == "leads" }) == false || leads[lead] == nil {
                problems.append(Self.problem("NotSupportedChoice", "entity_id"))
            }
            let target = item["to_entity_id"]?.intValue ?? -1
            switch item["to_entity_type"]?.stringValue {
            case EntityLink.catalogElements?:
                guard sales.listsAvailable else { return .problem(402, title: "Payment Required", detail: "Lists are not available") }
                if let element = sales.elements[target] {
                    if item.value(at: "metadata.catalog_id")?.intValue != element.catalogID {
                        problems.append(Self.problem("NotSupportedChoice", "metadata.catalog_id"))
                    }
                } else {
                    problems.append(Self.problem("NotSupportedChoice", "to_entity_id"))
                }
                if let quantity = item.value(at: "metadata.quantity"), quantity.doubleValue.map({ $0 < 0 }) ?? true {
                    problems.append(Self.problem("InvalidType", "metadata.quantity", "This value should be a positive number."))
                }
            case EntityLink.contacts?:
                if contacts[target].map({ !$0.hidden }) != true { problems.append(Self.problem("NotSupportedChoice", "to_entity_id")) }
            default:
                problems.append(Self.problem("NotSupportedChoice", "to_entity_type"))
            }
            if !problems.isEmpty { errors.append(ValidationErrors(requestID: "\(index)", errors: problems)) }
        }
        if !errors.isEmpty { return validationFailure(errors) }
        var answer: [EntityLink] = []
        for item in items {
            let lead = item["entity_id"]!.intValue!, target = item["to_entity_id"]!.intValue!
            if item["to_entity_type"]?.stringValue == EntityLink.contacts {
                guard var value = leads[lead] else { continue }
                if unlink {
                    value.contactIDs.removeAll { $0 == target }
                } else if !value.contactIDs.contains(target) {
                    value.contactIDs.append(target)
                }
                leads[lead] = value
            } else if unlink {
                sales.links[lead]?[target] = nil
            } else {
                let element = sales.elements[target]!
                let quantity = item.value(at: "metadata.quantity")?.doubleValue ?? 1
                sales.links[lead, default: [:]][target] = FakeLink(elementID: target, catalogID: element.catalogID, quantity: quantity)
            }
            answer.append(
                EntityLink(
                    entityID: lead, entityType: "leads", toEntityID: target, toEntityType: item["to_entity_type"]!.stringValue!,
                    metadata: item["metadata"].flatMap { try? AmoJSON.decode(EntityLink.Metadata.self, from: $0) }))
        }
        return unlink ? FakeResponse(status: 204) : .encoded(200, Page(items: answer))
    }
}

extension FakeAmoState {
    /// A product a manager added to a list by hand.
    @discardableResult
    package func seedElement(catalog: Int = 4255, name: String, sku: String, price: String? = nil) -> Int {
        let id = allocate("element")
        var values = [70001: sku]
        if let price { values[70003] = price }
        sales.elements[id] = FakeElement(id: id, catalogID: catalog, name: name, values: values)
        return id
    }

    /// A lead a manager works on (`least_open` counts the open ones).
    @discardableResult
    package func seedLead(responsible: Int, pipeline: Int = 3177727, status: Int = 32392160) -> Int {
        let id = allocate("lead")
        let time = Int(now)
        var lead = FakeEntity(id: id, name: "Lead \(id)", responsibleUserID: responsible, createdAt: time, updatedAt: time)
        (lead.pipelineID, lead.statusID) = (pipeline, status)
        leads[id] = lead
        return id
    }

    /// The account's plan without lists (`false`), or a user without access to them.
    package func setLists(available: Bool = true, allowed: Bool = true) {
        sales.listsAvailable = available
        sales.listsAllowed = allowed
    }

    /// Removes the products list's SKU field (a list set up without one).
    package func dropSKUField() {
        for index in sales.catalogs.indices { sales.catalogs[index].fields.removeAll { $0.code == "SKU" } }
    }

    var incomingLeads: [FakeIncoming] { sales.incoming.values.sorted { $0.leadID < $1.leadID } }
    var tasks: [FakeTask] { sales.tasks.values.sorted { $0.id < $1.id } }
    var elements: [FakeElement] { sales.elements.values.sorted { $0.id < $1.id } }
    func links(of lead: Int) -> [Int: FakeLink] { sales.links[lead] ?? [:] }
    func lead(_ id: Int) -> FakeEntity? { leads[id] }
    func contact(_ id: Int) -> FakeEntity? { contacts[id] }
    var visibleContactCount: Int { contacts.values.filter { !$0.hidden }.count }
}

extension FakeAmoState {
    /// A manager deletes a product from the list.
    func deleteElement(_ id: Int) { sales.elements[id] = nil }
}
