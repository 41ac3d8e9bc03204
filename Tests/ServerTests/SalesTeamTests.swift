import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport
@testable import TestFixtures

/// Incoming leads, the manager's task and distribution, against the strict fake amoCRM.
@Suite struct SalesTeamTests {
    /// Tilda posts its form through `/v1/hooks/tilda`, exactly as recorded.
    static func postTilda(_ daemon: RunningDaemon, _ body: Data) async throws -> HTTPResult {
        try await daemon.send(
            "/v1/hooks/tilda?key=tilda-key", body: body, contentType: "application/x-www-form-urlencoded", token: nil)
    }

    static func incomingForms(_ json: inout JSONValue) {
        json.set("forms.callback.unsorted", true)
        json.set("forms.tilda", ["contact": ["name": "Name", "phone": "Phone", "email": "Email"], "unsorted": true])
        json.set("sources", ["tilda": ["type": "tilda", "form": "tilda", "secret": "tilda-key"]])
    }

    @Test func aFormBecomesAnIncomingLeadWithItsFormDataAndAKnownCustomerStaysOneContact() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let known = await fake.state.seedContact(name: "Иван Петров", phones: ["+7 (912) 555-01-04"])
        let daemon = try await RunningDaemon.start(fake: fake, configure: Self.incomingForms)
        // Tilda's own submission (a known customer), and a site's form from a browser (a new one).
        #expect(try await Self.postTilda(daemon, try Fixtures.data("tilda/form-callback.urlencoded")).status == 202)
        let browser = try await daemon.send(
            "/v1/forms/callback", body: Data("name=Olga&phone=%2B7+912+555-09-09&message=Call+me".utf8),
            contentType: "application/x-www-form-urlencoded", headers: ["Referer": "https://shop.example/contacts"])
        #expect(browser.status == 202)
        try await daemon.waitIdle()

        let incoming = await fake.state.incomingLeads
        #expect(incoming.count == 2)
        let tilda = try #require(incoming.first { $0.contactID == known })
        #expect(tilda.newContact == false, "the known customer is referenced by id, not sent again")
        #expect(tilda.metadata.formID == "form512334455")
        #expect(tilda.metadata.formName == "Обратный звонок")
        #expect(tilda.sourceName == "amosync")
        let site = try #require(incoming.first { $0.contactID != known })
        #expect(site.newContact)
        #expect(site.metadata.formPage == "https://shop.example/contacts")
        #expect(site.metadata.ip == "127.0.0.1")
        #expect(site.metadata.formName == "callback")
        // The leads wait in the pipeline's incoming stage; the new contact is hidden until accepted.
        for form in incoming {
            let lead = try #require(await fake.state.lead(form.leadID))
            #expect(lead.statusID == 32392156)
        }
        #expect(await fake.state.visibleContactCount == 1)
        let stats = await fake.state.requestStats()
        #expect(stats.byEndpoint["POST /api/v4/leads/complex"] == nil)
        let notes = await fake.state.snapshot()["notes"]?.arrayValue ?? []
        #expect(Set(notes.compactMap { $0["entity_id"]?.intValue }) == Set(incoming.map(\.leadID)), "each lead has its note at once")

        for form in incoming {
            let accepted = await fake.state.acceptIncoming(form.uid, ["user_id": 504141])
            #expect(accepted.status == 200)
        }
        #expect(await fake.state.visibleContactCount == 2, "the known customer is one contact after acceptance")
        for form in incoming { #expect(await fake.state.lead(form.leadID)?.statusID == 32392159) }
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.allSatisfy { $0.state == .done && $0.progress.incomingUID != nil })
        await daemon.stop()
    }

    @Test func anIncomingLeadWhoseAnswerWasLostIsFoundNotSentTwice() async throws {
        let fake = try await RunningFake.start(overHTTP: true)
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.afterApply = ["POST /api/v4/leads/unsorted/forms": [.drop]]
        await fake.state.setFaults(faults)
        let daemon = try await RunningDaemon.start(fake: fake) {
            Self.incomingForms(&$0)
            $0.set("amocrm.timeout_seconds", 1)
        }
        _ = try await daemon.send("/v1/forms/callback", json: ["name": "Olga", "phone": "+79125550909"])
        try await daemon.waitIdle()
        #expect(await fake.state.incomingLeads.count == 1)
        #expect(await fake.state.requestStats().byEndpoint["POST /api/v4/leads/unsorted/forms"] == 1)
        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(job.attempts == 2)
        #expect(job.progress.leadID == (await fake.state.incomingLeads.first?.leadID))
        await daemon.stop()
    }

    @Test func eachNewLeadGetsOneTaskForItsResponsibleUserEvenWhenAnAnswerIsLost() async throws {
        let fake = try await RunningFake.start(overHTTP: true)
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.afterApply = ["POST /api/v4/tasks": [.drop]]
        await fake.state.setFaults(faults)
        let dir = TempDir()
        let configure: (inout JSONValue) -> Void = {
            $0.set("orders.task", ["text": "Позвонить: {customer.name}, заказ {id}", "due_minutes": 15, "type_id": 3012])
            $0.set("amocrm.timeout_seconds", 1)
        }
        try await BatchDeliveryTests.prequeue(
            [sampleOrder(id: "1", phone: "89120000001"), sampleOrder(id: "2", phone: "89120000002", categories: [40])], fake: fake,
            dir: dir, configure: configure)
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir, configure: configure)
        try await daemon.waitIdle()
        let tasks = await fake.state.tasks
        #expect(tasks.count == 2, "a lost answer made no second task")
        #expect(await fake.state.requestStats().byEndpoint["POST /api/v4/tasks"] == 1, "both in one request, found again after the loss")
        let jobs = try await daemon.store.list(JobFilter())
        for job in jobs {
            let task = try #require(tasks.first { $0.entityID == job.progress.leadID })
            #expect(task.text == "Позвонить: Anna Ivanova, заказ \(job.externalID)")
            #expect(task.typeID == 3012)
            let lead = try #require(await fake.state.lead(task.entityID))
            #expect(task.responsibleUserID == lead.responsibleUserID)
            #expect(task.completeTill >= lead.createdAt + 15 * 60)
            #expect(job.state == .done)
            #expect(job.progress.taskID == task.id)
        }
        #expect(tasks.contains { $0.responsibleUserID == 123453 }, "category 40's responsible user has the task of its lead")
        await daemon.stop()
    }

    @Test func roundRobinTakesTurnsAcrossRestartsAndSkipsAnInactiveUser() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let dir = TempDir()
        let configure: (inout JSONValue) -> Void = {
            $0.set("orders.rotation", ["users": [504141, 600601, 123453], "mode": "round_robin"])
            $0.set("orders.task", ["text": "Позвонить"])
        }
        try await BatchDeliveryTests.prequeue(
            (1...4).map { sampleOrder(id: "\($0)", phone: "8912000000\($0)", email: nil) }
                + [sampleOrder(id: "category", phone: "89120000009", email: nil, categories: [40])], fake: fake, dir: dir,
            configure: configure)
        var daemon = try await RunningDaemon.start(fake: fake, dir: dir, configure: configure)
        try await daemon.waitIdle()
        await daemon.stop()
        daemon = try await RunningDaemon.start(fake: fake, dir: dir, configure: configure)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "5", phone: "89120000005", email: nil))
        try await daemon.waitIdle()
        let jobs = try await daemon.store.list(JobFilter()).sorted { $0.id < $1.id }
        var owners: [String: Int] = [:]
        for job in jobs {
            let leadID = try #require(job.progress.leadID)
            let lead = try #require(await fake.state.lead(leadID))
            owners[job.externalID] = lead.responsibleUserID
            let task = try #require(await fake.state.tasks.first { $0.entityID == lead.id })
            #expect(task.responsibleUserID == lead.responsibleUserID, "the task is for whom the lead went to")
        }
        #expect(owners["category"] == 123453, "a category rule names the user: no turn is taken")
        #expect(["1", "2", "3", "4"].compactMap { owners[$0] }.sorted() == [123453, 123453, 504141, 504141], "two turns each")
        #expect(owners["5"] == 504141, "the turn survived the restart")
        let rotated = jobs.filter { $0.externalID != "category" }
        #expect(rotated.allSatisfy { $0.warnings.contains("rotation: user 600601 is inactive in amoCRM and was skipped") })
        await daemon.stop()
    }

    @Test func leastOpenGivesTheLeadToWhoeverHasFewestOpenLeadsInThePipeline() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        for _ in 0..<2 { await fake.state.seedLead(responsible: 504141) }
        await fake.state.seedLead(responsible: 123453)
        for _ in 0..<5 { await fake.state.seedLead(responsible: 123453, status: 142) }  // won: not open
        for _ in 0..<5 { await fake.state.seedLead(responsible: 123453, pipeline: 23456, status: 567890) }  // another pipeline
        let dir = TempDir()
        let configure: (inout JSONValue) -> Void = { $0.set("orders.rotation", ["users": [504141, 123453], "mode": "least_open"]) }
        try await BatchDeliveryTests.prequeue(
            (1...3).map { sampleOrder(id: "\($0)", phone: "8912000000\($0)", email: nil) }, fake: fake, dir: dir, configure: configure)
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir, configure: configure)
        try await daemon.waitIdle()
        var owners: [Int] = []
        for job in try await daemon.store.list(JobFilter()).sorted(by: { $0.id < $1.id }) {
            let leadID = try #require(job.progress.leadID)
            owners.append(try #require(await fake.state.lead(leadID)).responsibleUserID)
        }
        // 2 open against 1 (closed leads and other pipelines do not count): 123453 gets one (2 : 2),
        // then the tie goes to the lower id (2 : 3), then 504141 has fewer.
        #expect(owners == [123453, 123453, 504141])
        #expect(await fake.state.requestStats().byEndpoint["GET /api/v4/leads"] == 1, "one count for the batch")
        await daemon.stop()
    }
}

/// `amosync check` for the new keys, against the fake account.
@Suite struct SalesCheckTests {
    /// `client`: one connection for several checks, so that they share its rate limit.
    static func findings(
        _ fake: RunningFake, client: AmoClient? = nil, _ configure: (inout JSONValue) -> Void
    ) async throws -> [AccountCheck.Finding] {
        var json = testConfig(fake: fake, dir: TempDir())
        configure(&json)
        let config = try Config.parse(json.canonicalData, environment: [:])
        return try await AccountCheck(config: config, client: try client ?? testAccount(fake).client).run()
    }

    @Test func everyNewKeyIsCheckedAgainstTheAccount() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        await fake.state.dropSKUField()
        let findings = try await Self.findings(fake) {
            $0.set("orders.rotation", ["users": [504141, 600601, 777], "mode": "least_open"])
            $0.set("orders.task", ["text": "Позвонить", "type_id": 99])
            $0.set("orders.products", ["catalog_id": "auto"])
            $0.set("forms.callback.unsorted", true)
            $0.set("forms.callback.pipeline_id", 23456)  // a pipeline without incoming leads
            $0.set("forms.callback.status_id", 567890)
        }
        let lines = findings.filter(\.isProblem).map(\.line)
        #expect(lines.contains("orders.rotation.users.1: user 600601 is inactive in amoCRM: new leads skip them"))
        #expect(lines.contains("orders.rotation.users.2: no user 777 in the account"))
        #expect(
            lines.contains(
                "orders.task.type_id: no task type 99 in the account; its types: 1 (Связаться), 2 (Встреча), 3012 (Отправить КП)"))
        #expect(
            lines.contains(
                "orders.products: list Товары (4255) has no field SKU (orders.products.sku_field); orders are still delivered, "
                    + "with their items as text"))
        #expect(lines.contains { $0.hasPrefix("forms.callback.unsorted: pipeline 23456 (Опт) has incoming leads turned off") })
        #expect(lines.count == 5)
    }

    @Test func aPlanWithoutListsAndAUserWithoutAccessAreNamed() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        await fake.state.setLists(available: false)
        let client = try testAccount(fake).client
        var lines = try await Self.findings(fake, client: client) { $0.set("orders.products", ["catalog_id": 4255]) }.filter(\.isProblem)
            .map(\.line)
        #expect(lines.contains { $0.hasPrefix("orders.products.catalog_id: the account's plan has no lists (HTTP 402") })
        await fake.state.setLists(available: true, allowed: false)
        lines = try await Self.findings(fake, client: client) { $0.set("orders.products", ["catalog_id": 4255]) }.filter(\.isProblem).map(
            \.line)
        #expect(lines.contains { $0.hasPrefix("orders.products.catalog_id: amoCRM refused the lists (HTTP 403)") })
        await fake.state.setLists()
        let findings = try await Self.findings(fake, client: client) {
            $0.set("orders.products", ["catalog_id": 4255])
            $0.set("orders.task", ["text": "Позвонить", "type_id": 3012])
            $0.set("orders.rotation", ["users": [504141, 123453]])
        }
        #expect(findings.filter(\.isProblem).isEmpty)
        #expect(findings.contains { $0.line == "orders.products: items are linked as elements of list 4255 by its field SKU (#70001)" })
    }
}

extension SalesTeamTests {
    @Test func anIncomingAnswerNamingAnotherOrdersLeadIsNotBelieved() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake) { $0.set("orders.unsorted", true) }
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "first", phone: "89120000001"))
        try await daemon.waitIdle()
        let first = try #require(try await daemon.store.list(JobFilter()).first?.progress.leadID)
        var faults = FakeFaults()
        faults.afterApply = ["POST /api/v4/leads/unsorted/forms": [.hostile("firstLead")]]
        await fake.state.setFaults(faults)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "second", phone: "89120000002"))
        try await daemon.waitIdle()
        let second = try #require(try await daemon.store.list(JobFilter()).first { $0.externalID == "second" })
        #expect(second.state == .done)
        #expect(second.progress.leadID != first, "the answer named the first order's lead")
        #expect(await fake.state.incomingLeads.count == 2, "found again by its stamp, not sent twice")
        #expect(
            try await daemon.store.attempts(of: second.id).contains { $0.error?.contains("is already the lead of orders first") == true })
        await daemon.stop()
    }
}
