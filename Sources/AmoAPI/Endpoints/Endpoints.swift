import Foundation

/// amoCRM API v4 as amosync uses it: a function per endpoint, with its paging limits and its
/// answer type. No other code writes an `/api/v4` path or reads `_embedded`.
package enum Endpoints {
    /// Most items a list page returns (`limit`).
    package static let pageLimit = 250
    /// Custom field lists come 50 a page whatever `limit` asks.
    package static let fieldPageLimit = 50
    /// Most entities one write takes (amoCRM recommends 50; `leads/complex` refuses more).
    package static let batchLimit = 50

    static func page<T: Listed>(_ status: Int, _ body: Data) throws -> Page<T> {
        status == 204 || body.isEmpty ? Page(items: []) : try AmoJSON.decode(Page<T>.self, from: body)
    }

    static func get<T: Listed>(_ path: String, _ query: [(String, String)] = []) -> Endpoint<Page<T>> {
        Endpoint(method: .get, path: path, template: AmoPath.template(path), query: query, body: nil, read: page)
    }

    static func write<Body: Encodable, T: Listed>(
        _ method: Endpoint<Page<T>>.Method, _ path: String, _ body: Body
    ) throws -> Endpoint<Page<T>> {
        Endpoint(method: method, path: path, template: AmoPath.template(path), query: [], body: try AmoJSON.encode(body), read: page)
    }

    // MARK: Account

    package static func account(with: [String] = []) -> Endpoint<Account> {
        let path = AmoPath.v4("account")
        let query = with.isEmpty ? [] : [("with", with.joined(separator: ","))]
        return Endpoint(method: .get, path: path, template: path, query: query, body: nil) { _, body in
            try AmoJSON.decode(Account.self, from: body)
        }
    }

    package static func users(page: Int = 1) -> Endpoint<Page<User>> {
        get(AmoPath.v4("users"), [("limit", "\(pageLimit)"), ("page", "\(page)")])
    }

    package static func pipelines() -> Endpoint<Page<Pipeline>> { get(AmoPath.v4("leads/pipelines")) }

    // MARK: Custom fields

    package static func customFields(_ entity: CustomField.Entity, page: Int) -> Endpoint<Page<CustomField>> {
        get(AmoPath.v4("\(entity.rawValue)/custom_fields"), [("limit", "\(fieldPageLimit)"), ("page", "\(page)")])
    }

    package static func createCustomFields(_ entity: CustomField.Entity, _ fields: [CustomField]) throws -> Endpoint<Page<CustomField>> {
        try write(.post, AmoPath.v4("\(entity.rawValue)/custom_fields"), fields)
    }

    // MARK: Contacts

    /// A search in the contacts' filled fields (fuzzy: hits are checked by the caller).
    package static func contacts(query: String, limit: Int = 50) -> Endpoint<Page<Contact>> {
        get(AmoPath.v4("contacts"), [("query", query), ("limit", "\(limit)")])
    }

    /// Contacts by id, as amoCRM holds them now.
    package static func contacts(ids: [Int]) -> Endpoint<Page<Contact>> {
        get(AmoPath.v4("contacts"), ids.map { ("filter[id][]", "\($0)") } + [("limit", "\(pageLimit)")])
    }

    /// Contacts changed at or after `since` (Unix time), oldest change first: the contact
    /// index's full sync and its refreshes.
    package static func contacts(updatedSince since: Int, page: Int, limit: Int = pageLimit) -> Endpoint<Page<Contact>> {
        get(
            AmoPath.v4("contacts"),
            [("filter[updated_at][from]", "\(since)"), ("order[updated_at]", "asc"), ("limit", "\(limit)"), ("page", "\(page)")])
    }

    package static func createContacts(_ contacts: [Contact]) throws -> Endpoint<Page<Contact>> {
        try write(.post, AmoPath.v4("contacts"), contacts)
    }

    package static func updateContacts(_ contacts: [Contact]) throws -> Endpoint<Page<Contact>> {
        try write(.patch, AmoPath.v4("contacts"), contacts)
    }

    // MARK: Leads

    /// A search in the leads' filled fields, with their contacts.
    package static func leads(query: String) -> Endpoint<Page<Lead>> {
        get(AmoPath.v4("leads"), [("query", query), ("with", "contacts"), ("limit", "50")])
    }

    /// Leads created at or after `since` (Unix time), newest first, with their contacts: what a
    /// create that got no clear answer is looked for in.
    package static func leads(createdSince since: Int, page: Int = 1) -> Endpoint<Page<Lead>> {
        get(
            AmoPath.v4("leads"),
            [
                ("filter[created_at][from]", "\(since)"), ("order[created_at]", "desc"), ("with", "contacts"), ("limit", "\(pageLimit)"),
                ("page", "\(page)"),
            ])
    }

    package static func lead(_ id: Int) -> Endpoint<Lead> {
        let path = AmoPath.v4("leads/\(id)")
        return Endpoint(method: .get, path: path, template: AmoPath.template(path), query: [("with", "contacts")], body: nil) { _, body in
            try AmoJSON.decode(Lead.self, from: body)
        }
    }

    package static func updateLeads(_ leads: [Lead]) throws -> Endpoint<Page<Lead>> { try write(.patch, AmoPath.v4("leads"), leads) }

    /// Leads with their contacts (a new one as a whole, or an existing one by id) in one request:
    /// at most 50; the answer is a bare array.
    package static func createComplex(_ leads: [Lead]) throws -> Endpoint<[ComplexResult]> {
        let path = AmoPath.v4("leads/complex")
        return Endpoint(method: .post, path: path, template: path, query: [], body: try AmoJSON.encode(leads)) { _, body in
            try AmoJSON.decode([ComplexResult].self, from: body)
        }
    }

    // MARK: Notes

    package static func notes(lead: Int, page: Int = 1) -> Endpoint<Page<Note>> {
        get(AmoPath.v4("leads/\(lead)/notes"), [("limit", "\(pageLimit)"), ("page", "\(page)")])
    }

    package static func createNotes(_ notes: [Note]) throws -> Endpoint<Page<Note>> { try write(.post, AmoPath.v4("leads/notes"), notes) }

    // MARK: Webhooks and events

    package static func webhooks() -> Endpoint<Page<Webhook>> { get(AmoPath.v4("webhooks")) }

    package static func createWebhook(_ webhook: Webhook) throws -> Endpoint<Webhook> {
        let path = AmoPath.v4("webhooks")
        return Endpoint(method: .post, path: path, template: path, query: [], body: try AmoJSON.encode(webhook)) { _, body in
            try AmoJSON.decode(Webhook.self, from: body)
        }
    }

    package static func deleteWebhook(destination: String) throws -> Endpoint<Void> {
        let path = AmoPath.v4("webhooks")
        return Endpoint(
            method: .delete, path: path, template: path, query: [], body: try AmoJSON.encode(["destination": destination])
        ) { _, _ in () }
    }

    /// Events of one type created at or after `since`, oldest first.
    package static func events(type: String, since: Int, page: Int = 1) -> Endpoint<Page<Event>> {
        get(
            AmoPath.v4("events"),
            [("filter[type]", type), ("filter[created_at][from]", "\(since)"), ("limit", "100"), ("page", "\(page)")])
    }

    // MARK: Incoming leads, catalogs, links, tasks

    package static func createUnsortedForms(_ forms: [UnsortedForm]) throws -> Endpoint<Page<UnsortedForm>> {
        try write(.post, AmoPath.v4("leads/unsorted/forms"), forms)
    }

    package static func catalogs() -> Endpoint<Page<Catalog>> { get(AmoPath.v4("catalogs"), [("limit", "\(pageLimit)")]) }

    package static func catalogElements(_ catalog: Int, query: String) -> Endpoint<Page<CatalogElement>> {
        get(AmoPath.v4("catalogs/\(catalog)/elements"), [("query", query), ("limit", "\(pageLimit)")])
    }

    /// A page of a list's elements (the products index's full read).
    package static func catalogElements(_ catalog: Int, page: Int) -> Endpoint<Page<CatalogElement>> {
        get(AmoPath.v4("catalogs/\(catalog)/elements"), [("limit", "\(pageLimit)"), ("page", "\(page)")])
    }

    /// A list's fields (SKU, PRICE …).
    package static func catalogFields(_ catalog: Int, page: Int = 1) -> Endpoint<Page<CustomField>> {
        get(AmoPath.v4("catalogs/\(catalog)/custom_fields"), [("limit", "\(fieldPageLimit)"), ("page", "\(page)")])
    }

    package static func createCatalogElements(_ catalog: Int, _ elements: [CatalogElement]) throws -> Endpoint<Page<CatalogElement>> {
        try write(.post, AmoPath.v4("catalogs/\(catalog)/elements"), elements)
    }

    /// Links between leads and other entities, several leads in one request.
    package static func linkLeads(_ links: [EntityLink]) throws -> Endpoint<Page<EntityLink>> {
        try write(.post, AmoPath.v4("leads/link"), links)
    }

    /// Links taken off leads (an order update that dropped an item).
    package static func unlinkLeads(_ links: [EntityLink]) throws -> Endpoint<Page<EntityLink>> {
        try write(.post, AmoPath.v4("leads/unlink"), links)
    }

    package static func createTasks(_ tasks: [AmoTask]) throws -> Endpoint<Page<AmoTask>> { try write(.post, AmoPath.v4("tasks"), tasks) }

    /// The tasks on these leads: what a create that got no clear answer is looked for in.
    package static func tasks(leads: [Int], page: Int = 1) -> Endpoint<Page<AmoTask>> {
        get(
            AmoPath.v4("tasks"),
            [("filter[entity_type]", "leads")] + leads.map { ("filter[entity_id][]", "\($0)") } + [
                ("limit", "\(pageLimit)"), ("page", "\(page)"),
            ])
    }

    /// Open leads of these users in these stages (`least_open` counts them).
    package static func leads(responsible users: [Int], statuses: [(pipeline: Int, status: Int)], page: Int) -> Endpoint<Page<Lead>> {
        var query = users.map { ("filter[responsible_user_id][]", "\($0)") }
        for (index, stage) in statuses.enumerated() {
            query += [
                ("filter[statuses][\(index)][pipeline_id]", "\(stage.pipeline)"),
                ("filter[statuses][\(index)][status_id]", "\(stage.status)"),
            ]
        }
        return get(AmoPath.v4("leads"), query + [("limit", "\(pageLimit)"), ("page", "\(page)")])
    }

    /// Incoming leads of the form category.
    package static func unsorted(page: Int = 1) -> Endpoint<Page<UnsortedForm>> {
        get(AmoPath.v4("leads/unsorted"), [("filter[category][]", "forms"), ("limit", "\(pageLimit)"), ("page", "\(page)")])
    }

    /// A manager accepts an incoming lead: it moves to `status` (the pipeline's first stage when nil).
    package static func acceptUnsorted(_ uid: String, user: Int, status: Int?) throws -> Endpoint<UnsortedForm> {
        let path = AmoPath.v4("leads/unsorted/\(uid)/accept")
        var body: [String: Int] = ["user_id": user]
        if let status { body["status_id"] = status }
        return Endpoint(method: .post, path: path, template: AmoPath.template(path), query: [], body: try AmoJSON.encode(body)) { _, body in
            try AmoJSON.decode(UnsortedForm.self, from: body)
        }
    }

    /// A manager declines an incoming lead (spam): it and its new contact are gone.
    package static func declineUnsorted(_ uid: String, user: Int) throws -> Endpoint<Void> {
        let path = AmoPath.v4("leads/unsorted/\(uid)/decline")
        return Endpoint(
            method: .delete, path: path, template: AmoPath.template(path), query: [], body: try AmoJSON.encode(["user_id": user])
        ) { _, _ in () }
    }
}

extension Endpoints {
    /// Labels of the batch writes (`POST /api/v4/leads/complex`), for what a step records when an
    /// answer leaves an entity out.
    package enum Label {
        package static let complex = "POST " + AmoPath.v4("leads/complex")
        package static let createContacts = "POST " + AmoPath.v4("contacts")
        package static let updateLeads = "PATCH " + AmoPath.v4("leads")
        package static let createNotes = "POST " + AmoPath.v4("leads/notes")
        package static let createUnsorted = "POST " + AmoPath.v4("leads/unsorted/forms")
        package static let createTasks = "POST " + AmoPath.v4("tasks")
        package static let linkLeads = "POST " + AmoPath.v4("leads/link")
    }
}
