import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import AmoSyncCLI
@testable import TestSupport
@testable import TestFixtures

/// The daemon and the fake amoCRM over loopback: orders and forms in, CRM state out.
@Suite struct EndToEndTests {
    /// With amoCRM's duplicate control off and on: on, the form of a customer whose order lead is
    /// open is merged into that lead (its note still arrives).
    @Test(arguments: [false, true])
    func ordersAndFormsBecomeLeadsContactsAndNotes(duplicateControl: Bool) async throws {
        let fake = try await RunningFake.start()
        await fake.state.setDuplicateControl(duplicateControl)
        let daemon = try await RunningDaemon.start(fake: fake)
        defer { fake.stop() }
        #expect(
            try await daemon.send(
                "/v1/orders",
                json: sampleOrder(
                    id: "1042", categories: [40, 12, 3],
                    extra: ["utm": ["source": "yandex"], "weight": 1.2])
            ).status == 202)
        #expect(
            try await daemon.send("/v1/forms/callback", json: ["name": "Anna", "phone": "+7 912 555 01 02", "message": "Call me"]).status
                == 202)
        try await daemon.waitIdle()
        let state = await fake.state.snapshot()
        let leads = try #require(state["leads"]?.arrayValue)
        let contacts = try #require(state["contacts"]?.arrayValue)
        #expect(leads.count == (duplicateControl ? 1 : 2))
        #expect(contacts.count == 1, "the form's phone is the order customer's phone: one contact")
        let contactID = contacts[0]["id"]
        let order = try #require(leads.first { $0["name"] == "Заказ #1042" })
        #expect(order["pipeline_id"] == 23456)
        #expect(order["status_id"] == 567890)
        #expect(order["responsible_user_id"] == 123453)
        #expect(order["price"] == 5490)
        #expect(order.value(at: "_embedded.contacts.0.id") == contactID)
        #expect(order.value(at: "_embedded.tags.0.name") == "shop")
        let fields = customFields(order)
        #expect(fields["Товары"] == ["Kettle (K-77) 5100 × 1 = 5100"])
        #expect(fields["Доставка"] == ["Courier"])
        #expect(fields["Вес"] == ["1.2"])
        #expect(fields["UTM_SOURCE"] == ["yandex"])
        #expect(fields["amosync_key"] == ["orders:1042"])
        let goods = state["custom_fields"]?["leads"]?.arrayValue?.first { $0["name"] == "Товары" }
        #expect(goods?["type"] == "textarea")
        if !duplicateControl {
            let form = try #require(leads.first { $0["name"] == "Заявка с сайта: callback" })
            #expect(form["status_id"] == 32392160)
            #expect(customFields(form)["Сообщение"] == ["Call me"])
            #expect(form.value(at: "_embedded.contacts.0.id") == contactID)
        }
        let contact = customFields(contacts[0])
        #expect(contact["PHONE"] == ["+79125550102"])
        #expect(contact["EMAIL"] == ["anna@example.org"])
        let notes = try #require(state["notes"]?.arrayValue)
        #expect(notes.count == 2)
        #expect(
            notes.contains { $0["entity_id"] == order["id"] && $0.value(at: "params.text")?.stringValue?.contains("Оплата: Card") == true })
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.allSatisfy { $0.state == .done && $0.attempts == 1 })
        #expect(Set(jobs.compactMap(\.progress.leadID)) == Set(leads.compactMap { $0["id"]?.intValue }))
        if duplicateControl {
            #expect(notes.allSatisfy { $0["entity_id"] == order["id"] }, "both notes on the one open lead")
        }
        await daemon.stop()
    }

    /// Without `orders.pipeline_id`/`status_id` (as `amosync init --offline` writes it) the lead
    /// carries neither, and amoCRM puts it in the main pipeline's first stage.
    @Test func withoutAPipelineLeadsGoWhereAmoCRMPutsThem() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake) { json in
            json.remove("orders.pipeline_id")
            json.remove("orders.status_id")
            json.remove("orders.categories")
        }
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(id: "7001")).status == 202)
        try await daemon.waitIdle()
        let job = try #require(try await daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(job.plan.lead?.pipelineID == nil && job.plan.lead?.statusID == nil)
        let lead = try #require(await fake.state.snapshot()["leads"]?.arrayValue?.first)
        #expect(lead["pipeline_id"] == 3177727)
        #expect(lead["status_id"] == 32392159)
        await daemon.stop()
    }

    @Test func existingContactIsMatchedExactlyAndMergedWithoutLosingValues() async throws {
        let fake = try await RunningFake.start()
        let anna = await fake.state.seedContact(name: "Анна (менеджер)", phones: ["8 (912) 555-01-02"], updatedAgo: 100)
        // A fuzzy search hit: its name holds the digits, its phone is someone else's.
        let decoy = await fake.state.seedContact(name: "Заказ 9125550102", phones: ["+7 999 000-00-00"])
        let daemon = try await RunningDaemon.start(fake: fake)
        defer { fake.stop() }
        #expect(try await daemon.send("/v1/orders", json: sampleOrder(id: "1")).status == 202)
        try await daemon.waitIdle()
        let state = await fake.state.snapshot()
        let contacts = try #require(state["contacts"]?.arrayValue)
        #expect(contacts.count == 2, "no new contact")
        let merged = try #require(contacts.first { $0["id"]?.intValue == anna })
        #expect(merged["name"] == "Анна (менеджер)", "name is readonly")
        #expect(customFields(merged)["PHONE"] == ["8 (912) 555-01-02"], "the same number is not added again")
        #expect(customFields(merged)["EMAIL"] == ["anna@example.org"], "the new email is added")
        let untouched = try #require(contacts.first { $0["id"]?.intValue == decoy })
        #expect(customFields(untouched)["EMAIL"] == nil)
        #expect(state["leads"]?.value(at: "0._embedded.contacts.0.id")?.intValue == anna)
        await daemon.stop()
    }

    @Test func severalMatchesPickTheMostRecentlyUpdatedAndSayWhy() async throws {
        let fake = try await RunningFake.start()
        let older = await fake.state.seedContact(name: "Old", phones: ["+79125550102"], updatedAgo: 1000)
        let newer = await fake.state.seedContact(name: "New", emails: ["ANNA@example.org"], updatedAgo: 10)
        let daemon = try await RunningDaemon.start(fake: fake)
        defer { fake.stop() }
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1"))
        try await daemon.waitIdle()
        let job = try await #require(try daemon.store.list(JobFilter()).first)
        #expect(job.progress.contactID == newer)
        #expect(job.warnings.contains("2 contacts match this customer (\(older), \(newer)): used #\(newer), the most recently updated"))
        await daemon.stop()
    }

    @Test func aBurstOf503IsRetriedWithBackoff() async throws {
        let fake = try await RunningFake.start()
        let daemon = try await RunningDaemon.start(fake: fake)
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.failNext = [.init(count: 4, status: 503)]
        await fake.state.setFaults(faults)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1"))
        try await daemon.waitIdle()
        let job = try await #require(try daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(job.attempts > 1)
        let attempts = try await daemon.store.attempts(of: job.id)
        #expect(attempts.first?.httpStatus == 503)
        #expect(attempts.last?.outcome == .done)
        #expect((await fake.state.snapshot())["leads"]?.arrayValue?.count == 1)
        await daemon.stop()
    }

    @Test func throttlingPausesEverythingWithoutSpendingAttempts() async throws {
        let fake = try await RunningFake.start()
        let daemon = try await RunningDaemon.start(fake: fake)
        defer { fake.stop() }
        var faults = FakeFaults()
        faults.failNext = [.init(count: 1, status: 429)]
        await fake.state.setFaults(faults)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1"))
        try await daemon.waitIdle()
        let job = try await #require(try daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(job.attempts == 1, "a throttled attempt is refunded")
        await #expect(try daemon.store.attempts(of: job.id).map(\.outcome) == [.throttled, .done])
        #expect(await daemon.daemon.health.throttlePauses == 1)
        await daemon.stop()
    }

    @Test func aRejectedLeadFailsAloneWithAmoCRMsValidationErrors() async throws {
        let fake = try await RunningFake.start()
        let daemon = try await RunningDaemon.start(fake: fake) {
            $0.set("orders.categories", ["99": ["pipeline_id": 99999, "status_id": 1]])
        }
        defer { fake.stop() }
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "bad", phone: "89120000001", email: nil, categories: [99]))
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "good", phone: "89120000002", email: nil))
        try await daemon.waitIdle()
        let jobs = try await daemon.store.list(JobFilter())
        let bad = try #require(jobs.first { $0.externalID == "bad" })
        #expect(bad.state == .failed)
        #expect(jobs.first { $0.externalID == "good" }?.state == .done)
        let shown = await JobReport.showJSON(bad, attempts: try daemon.store.attempts(of: bad.id), config: daemon.daemon.config)
        #expect(shown["state"] == "failed")
        #expect(shown.value(at: "attempt_log.0.http_status") == 400)
        #expect(
            shown.value(at: "attempt_log.0.validation_errors.0") == [
                "path": "pipeline_id", "code": "NotSupportedChoice",
                "detail": "The value you selected is not a valid choice.",
            ])
        let text = await JobReport.showText(bad, attempts: try daemon.store.attempts(of: bad.id), config: daemon.daemon.config)
        #expect(text.contains("POST /api/v4/leads/complex  HTTP 400"))
        #expect(text.contains("pipeline_id: NotSupportedChoice"))
        #expect((await fake.state.snapshot())["leads"]?.arrayValue?.count == 1)
        await daemon.stop()
    }

    @Test func refusedValuesAreDroppedWithWarningsInsteadOfSinkingTheLead() async throws {
        let fake = try await RunningFake.start()
        let daemon = try await RunningDaemon.start(fake: fake) {
            $0.set("orders.lead_fields", ["delivery.name": "Способ доставки", "weight": ["name": "Вес", "type": "numeric"]])
        }
        defer { fake.stop() }
        _ = try await daemon.send(
            "/v1/orders",
            json: sampleOrder(
                id: "1",
                extra: [
                    "delivery": ["name": "Drone"], "weight": "heavy", "responsible_user_id": 999_999,
                ]))
        try await daemon.waitIdle()
        let job = try await #require(try daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(job.warnings.contains("delivery.name → Способ доставки: \"Drone\" is not an option of this list, value dropped"))
        #expect(job.warnings.contains("weight → Вес: \"heavy\" is not a number, value dropped"))
        #expect(job.warnings.contains { $0.hasPrefix("responsible user 999999 refused by amoCRM") })
        let lead = try #require((await fake.state.snapshot())["leads"]?.arrayValue?.first)
        #expect(lead["responsible_user_id"] == 504141, "the account's default user")
        #expect(customFields(lead)["Способ доставки"] == nil)
        await daemon.stop()
    }

    @Test func aChangedOrderUpdatesItsLead() async throws {
        let fake = try await RunningFake.start()
        let daemon = try await RunningDaemon.start(fake: fake)
        defer { fake.stop() }
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "7"))
        let update = try await daemon.send("/v1/orders", json: sampleOrder(id: "7", extra: ["status": "completed", "total": 6000]))
        #expect(update.json?["kind"] == "order_update")
        try await daemon.waitIdle()
        let leads = try #require((await fake.state.snapshot())["leads"]?.arrayValue)
        #expect(leads.count == 1)
        #expect(leads[0]["status_id"] == 142)
        #expect(leads[0]["pipeline_id"] == 3177727)
        #expect(leads[0]["price"] == 6000)
        await #expect(try daemon.store.list(JobFilter()).allSatisfy { $0.state == .done })
        await daemon.stop()
    }

    @Test func aLostAnswerDoesNotCreateASecondLeadOrNote() async throws {
        let fake = try await RunningFake.start(overHTTP: true)  // a connection closed after the write
        var faults = FakeFaults()
        faults.afterApply = ["POST /api/v4/leads/complex": [.drop], "POST /api/v4/leads/notes": [.drop]]
        await fake.state.setFaults(faults)
        let daemon = try await RunningDaemon.start(fake: fake) { $0.set("amocrm.timeout_seconds", 1) }
        defer { fake.stop() }
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "1"))
        try await daemon.waitIdle()
        let state = await fake.state.snapshot()
        #expect(state["leads"]?.arrayValue?.count == 1)
        #expect(state["notes"]?.arrayValue?.count == 1)
        #expect(state["contacts"]?.arrayValue?.count == 1)
        let job = try await #require(try daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(job.attempts == 3, "two lost answers, then success")
        await daemon.stop()
    }
}
