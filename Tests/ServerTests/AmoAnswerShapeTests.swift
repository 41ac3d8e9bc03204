import Foundation
import Testing
@testable import AmoAPI
@testable import AmoSyncCore
@testable import AmoCRMFake
@testable import TestSupport
@testable import TestFixtures

/// amoCRM's documented answers for incoming leads, tasks, links, users and lists, read by the
/// daemon's own code, and the fake's answers to the same requests in the same shape.
@Suite struct AmoAnswerShapeTests {
    static func fixture(_ name: String) throws -> Data { try Fixtures.data("amocrm/\(name)") }

    /// The fake's raw answer to one request.
    static func ask(
        _ fake: RunningFake, _ method: String, _ path: String, query: [String: String] = [:], body: JSONValue? = nil
    ) async throws -> (status: Int, json: JSONValue) {
        var request = FakeRequest(
            method: method, path: path, query: query, headers: ["Authorization": "Bearer \(fake.token)"],
            body: body?.canonicalData ?? Data())
        request.target = path
        let response = await fake.state.handle(request)
        return (response.status, response.body.isEmpty ? .null : try JSONValue.parse(response.body))
    }

    /// The keys of the first item of `_embedded.KEY` that both sides must have (links and
    /// account ids are the real service's own).
    static func keys(_ json: JSONValue, _ key: String) -> Set<String> {
        Set(json.value(at: "_embedded.\(key)")?.arrayValue?.first?.objectValue?.keys.map { $0 } ?? []).subtracting(["_links", "account_id"])
    }

    @Test func anIncomingLeadAnswerReadsAsDocumentedAndTheFakeAnswersAlike() async throws {
        let read = try Endpoints.createUnsortedForms([]).read(200, try Self.fixture("unsorted-forms-created.json"))
        let form = try #require(read.items.first)
        #expect(form.uid == "aa401affb0094076b74442bc3f401d53e103f264d6668fd3ecfd5acef42f")
        #expect(form.requestID == "0")
        #expect(form.embedded?.leads?.first?.id == 7706509)
        #expect(form.embedded?.contacts?.first?.id == 11075541)

        let fake = try await RunningFake.start()
        let body: JSONValue = [
            [
                "source_uid": "orders:1", "source_name": "amosync", "pipeline_id": 3177727, "created_at": 1_700_000_000,
                "metadata": [
                    "form_id": "callback", "form_name": "Callback", "form_page": "https://shop.example/contacts",
                    "form_sent_at": 1_700_000_000, "ip": "203.0.113.7",
                ],
                "_embedded": [
                    "leads": [["name": "Callback request", "price": 0]],
                    "contacts": [
                        ["name": "Ivan", "custom_fields_values": [["field_code": "PHONE", "values": [["value": "+79123456789"]]]]]
                    ],
                ],
                "request_id": "0",
            ]
        ]
        let answer = try await Self.ask(fake, "POST", "/api/v4/leads/unsorted/forms", body: body)
        #expect(answer.status == 200)
        let documented = try JSONValue.parse(try Self.fixture("unsorted-forms-created.json"))
        #expect(Self.keys(answer.json, "unsorted") == Self.keys(documented, "unsorted"))
        // Sent again while it waits in incoming leads: amoCRM's "there can't be 2 identical entities".
        #expect(try await Self.ask(fake, "POST", "/api/v4/leads/unsorted/forms", body: body).status == 400)
        // A lead cannot be made in the incoming stage any other way.
        let direct = try await Self.ask(
            fake, "POST", "/api/v4/leads", body: [["name": "x", "status_id": 32392156, "pipeline_id": 3177727]])
        #expect(direct.status == 400)
        #expect(direct.json.value(at: "validation-errors.0.errors.0.path")?.stringValue == "status_id")
    }

    @Test func tasksAndLinksReadAsDocumentedAndTheFakeIsStrictAboutThem() async throws {
        let tasks = try Endpoints.createTasks([]).read(200, try Self.fixture("tasks-created.json"))
        #expect(tasks.items.map(\.id) == [4745251, 4747929])
        #expect(tasks.items.map(\.requestID) == ["0", "1"])
        let links = try Endpoints.linkLeads([]).read(200, try Self.fixture("links-created.json"))
        #expect(links.items.first?.metadata == EntityLink.Metadata(catalogID: 4255, quantity: 2))

        let fake = try await RunningFake.start()
        let lead = await fake.state.seedLead(responsible: 504141)
        let element = await fake.state.seedElement(name: "Kettle", sku: "K-77")
        // complete_till is required; an inactive user cannot have a task.
        let refused = try await Self.ask(
            fake, "POST", "/api/v4/tasks",
            body: [
                ["text": "Позвонить", "entity_id": .number(JSONNumber(lead)), "entity_type": "leads", "request_id": "0"],
                [
                    "text": "Позвонить", "entity_id": .number(JSONNumber(lead)), "entity_type": "leads", "complete_till": 1_700_000_900,
                    "responsible_user_id": 600601, "request_id": "1",
                ],
            ])
        #expect(refused.status == 400)
        let paths = (refused.json.value(at: "validation-errors")?.arrayValue ?? []).flatMap { item in
            (item["errors"]?.arrayValue ?? []).map { "\(item["request_id"]?.textValue ?? "?"):\($0["path"]?.stringValue ?? "")" }
        }
        #expect(Set(paths) == ["0:complete_till", "1:responsible_user_id"])
        let made = try await Self.ask(
            fake, "POST", "/api/v4/tasks",
            body: [["text": "Позвонить", "entity_id": .number(JSONNumber(lead)), "entity_type": "leads", "complete_till": 1_700_000_900]])
        #expect(Self.keys(made.json, "tasks") == Self.keys(try JSONValue.parse(try Self.fixture("tasks-created.json")), "tasks"))
        // A link names the element's list; a page of a list is 250 at most.
        let wrongList = try await Self.ask(
            fake, "POST", "/api/v4/leads/link",
            body: [
                [
                    "entity_id": .number(JSONNumber(lead)), "entity_type": "leads", "to_entity_id": .number(JSONNumber(element)),
                    "to_entity_type": "catalog_elements", "metadata": ["catalog_id": 1, "quantity": 2],
                ]
            ])
        #expect(wrongList.json.value(at: "validation-errors.0.errors.0.path")?.stringValue == "metadata.catalog_id")
        let linked = try await Self.ask(
            fake, "POST", "/api/v4/leads/link",
            body: [
                [
                    "entity_id": .number(JSONNumber(lead)), "entity_type": "leads", "to_entity_id": .number(JSONNumber(element)),
                    "to_entity_type": "catalog_elements", "metadata": ["catalog_id": 4255, "quantity": 2],
                ]
            ])
        #expect(Self.keys(linked.json, "links") == Self.keys(try JSONValue.parse(try Self.fixture("links-created.json")), "links"))
        #expect(try await Self.ask(fake, "GET", "/api/v4/catalogs/4255/elements", query: ["limit": "251"]).status == 400)
    }

    @Test func usersTaskTypesAndListsReadAsDocumented() throws {
        let users = try Endpoints.users().read(200, try Self.fixture("users-page.json"))
        #expect(users.items.map(\.isActive) == [true, false])
        let account = try Endpoints.account(with: ["task_types"]).read(200, try Self.fixture("account-task-types.json"))
        #expect(account.embedded?.taskTypes?.map(\.id) == [1, 2, 3012])
        let catalogs = try Endpoints.catalogs().read(200, try Self.fixture("catalogs-page.json"))
        #expect(catalogs.items.first { $0.type == Catalog.products }?.id == 4255)
    }
}

extension AmoAnswerShapeTests {
    /// What a test or a benchmark of another process sets up through `/__fake/…`.
    @Test func theFakesControlSetsUpListsUsersProductsAndLeads() async throws {
        let fake = try await RunningFake.start()
        #expect(try await Self.ask(fake, "POST", "/__fake/lists", body: ["available": false]).status == 200)
        #expect(try await Self.ask(fake, "GET", "/api/v4/catalogs").status == 402)
        _ = try await Self.ask(fake, "POST", "/__fake/lists", body: ["allowed": false])
        #expect(try await Self.ask(fake, "GET", "/api/v4/catalogs").status == 403)
        _ = try await Self.ask(fake, "POST", "/__fake/lists", body: [:])
        #expect(try await Self.ask(fake, "POST", "/__fake/users/123453", body: ["active": false]).status == 200)
        let users = try Endpoints.users().read(200, try await Self.ask(fake, "GET", "/api/v4/users").json.canonicalData)
        #expect(users.items.filter { !$0.isActive }.map(\.id) == [123453, 600601])
        #expect(try await Self.ask(fake, "POST", "/__fake/users/42", body: ["active": false]).status == 404)
        let element = try await Self.ask(fake, "POST", "/__fake/elements", body: ["name": "Kettle", "sku": "K-77", "price": "5100"])
        let found = try await Self.ask(fake, "GET", "/api/v4/catalogs/4255/elements", query: ["query": "K-77"])
        #expect(found.json.value(at: "_embedded.elements.0.id") == element.json["id"])
        let lead = try await Self.ask(fake, "POST", "/__fake/leads", body: ["responsible_user_id": 581651])
        #expect(await fake.state.lead(lead.json["id"]?.intValue ?? 0)?.responsibleUserID == 581651)
        let state = try await Self.ask(fake, "GET", "/__fake/state").json
        #expect(state["catalog_elements"]?.arrayValue?.count == 1)
        #expect(state["incoming"]?.arrayValue != nil && state["tasks"]?.arrayValue != nil && state["links"]?.arrayValue != nil)
    }
}
