import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport
@testable import TestFixtures

@Suite struct SiteUserTests {
    @Test func registrationsAndProfileEditsMaintainOneContact() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake) { $0.set("orders.contact_fields", ["city": "Город"]) }
        let first = try await daemon.send(
            "/v1/contacts", json: ["id": "u-17", "name": "Oleg", "email": "Oleg@Example.org", "city": "Perm"])
        #expect(first.status == 202)
        #expect(first.json?["kind"] == "contact")
        try await daemon.waitIdle()
        let edited = try await daemon.send(
            "/v1/contacts",
            json: [
                "id": "u-17", "name": "Oleg K.", "email": "oleg@example.org",
                "phone": "8 912 000 00 17", "city": "Kazan",
            ])
        #expect(edited.status == 202)
        #expect(try await daemon.send("/v1/contacts", json: ["id": "u-18", "name": "No keys"]).status == 422)
        try await daemon.waitIdle()
        let contacts = try #require((await fake.state.snapshot())["contacts"]?.arrayValue)
        #expect(contacts.count == 1)
        let fields = customFields(contacts[0])
        #expect(contacts[0]["name"] == "Oleg", "name is readonly on an existing contact")
        #expect(fields["EMAIL"] == ["oleg@example.org"])
        #expect(fields["PHONE"] == ["+79120000017"], "the new phone is added")
        #expect(fields["Город"] == ["Kazan"], "other fields are updated")
        #expect((await fake.state.snapshot())["leads"]?.arrayValue?.isEmpty == true)
        await daemon.stop()
    }

    @Test(
        arguments: [
            (
                "utm_source=yandex; utm_campaign=spring%20sale; _ga=GA1.2.111.222",
                ["utm_source": "yandex", "utm_campaign": "spring sale", "_ga": "111.222"]
            ),
            ("_ym_uid=1; other=x; gclid=abc", ["_ym_uid": "1", "gclid": "abc"]),
            ("garbage", [:]),
        ] as [(String, [String: String])])
    func cookieStrings(cookies: String, expected: [String: String]) {
        #expect(Mapper.cookieTracking(cookies) == expected.mapValues(JSONValue.string))
    }

    @Test func formCookiesFeedTrackingFieldsButExplicitInputsWin() throws {
        let config = MappingFixtures.config { $0.set("utm_fields", ["utm_source": "UTM_SOURCE", "_ga": "GA client id"]) }
        let job = try Mapper(config: config).mapForm(
            "callback",
            values: [
                "phone": "89120000001", "COOKIES": "utm_source=yandex; _ga=GA1.2.333.444", "utm_source": "google",
            ], externalID: "1")
        let fields = Dictionary(uniqueKeysWithValues: (job.plan.lead?.fields ?? []).map { ($0.field.label, $0.value) })
        #expect(fields["UTM_SOURCE"] == "google")
        #expect(fields["GA client id"] == "333.444")
        #expect(job.plan.note?.contains("COOKIES") == false, "the raw cookie string stays out of the note")
    }
}

@Suite struct FieldRuleTests {
    @Test func readonlyCustomFieldsAreNeverOverwrittenAndMissingFieldsWarnWithoutAutoCreate() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let existing = await fake.state.seedContact(name: "Anna", phones: ["+79125550102"])
        let daemon = try await RunningDaemon.start(fake: fake) {
            $0.set("contacts.readonly_fields", ["name", "POSITION"])
            $0.set("orders.contact_fields", ["position": "Должность", "note": "Заметка"])
            $0.set("fields", ["auto_create": ["contacts": false]])
        }
        // A manager filled the contact's position; the shop must not overwrite it.
        _ = try await daemon.send(
            "/v1/orders",
            json: sampleOrder(
                id: "1", phone: "+7 912 555 01 02", email: nil,
                extra: ["position": "Buyer", "note": "VIP"]))
        try await daemon.waitIdle()
        let job = try await #require(try daemon.store.list(JobFilter()).first)
        #expect(job.state == .done)
        #expect(job.progress.contactID == existing)
        #expect(job.warnings.contains("note → Заметка skipped: no field named Заметка in the account and auto-create is off"))
        let contact = try #require((await fake.state.snapshot())["contacts"]?.arrayValue?.first)
        #expect(customFields(contact)["POSITION"] == nil, "readonly by code: not written")
        await daemon.stop()
    }
}

@Suite struct SkipEmptyTests {
    @Test(arguments: [(true, ["Kazan"]), (false, nil)] as [(Bool, [String]?)])
    func anEmptyValueWipesAFieldOnlyWithSkipEmptyOff(skipEmpty: Bool, expected: [String]?) async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake) {
            $0.set("orders.contact_fields", ["city": "Город"])
            $0.set("fields", ["skip_empty": .bool(skipEmpty)])
        }
        _ = try await daemon.send("/v1/contacts", json: ["id": "u-1", "email": "a@example.org", "city": "Kazan"])
        try await daemon.waitIdle()
        _ = try await daemon.send("/v1/contacts", json: ["id": "u-1", "email": "a@example.org", "city": ""])
        try await daemon.waitIdle()
        let contact = try #require((await fake.state.snapshot())["contacts"]?.arrayValue?.first)
        #expect(customFields(contact)["Город"] == expected)
        await #expect(try daemon.store.list(JobFilter()).allSatisfy { $0.state == .done })
        await daemon.stop()
    }
}

@Suite struct SiteUserKeyTests {
    @Test func withoutAnIDTheJobIsKeyedByADigestNotByTheEmail() throws {
        let job = try Mapper(config: MappingFixtures.config()).mapContact(["email": "Oleg@Example.org"])
        #expect(job.externalID.hasPrefix("c-"))
        #expect(!job.externalID.contains("oleg"))
        #expect(job.searchKeys.contains("oleg@example.org"), "jobs find still finds it by email")
        #expect(try Mapper(config: MappingFixtures.config()).mapContact(["email": "oleg@example.org "]).externalID == job.externalID)
    }
}
