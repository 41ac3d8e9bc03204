import Foundation
import Testing
@testable import AmoSyncCore
@testable import TestFixtures

/// The way back to the shop, pure parts: amoCRM's webhook body, the one decision rule, the config.
@Suite struct StatusBackTests {
    /// amoCRM's webhook for two stage changes in one POST, as its documentation lists the keys
    /// (`leads[status][N][…]`, then `account[…]`), form-encoded.
    static let genuineBody = [
        "leads[status][0][id]=25399013", "leads[status][0][name]=%D0%97%D0%B0%D0%BA%D0%B0%D0%B7+%231042",
        "leads[status][0][status_id]=142", "leads[status][0][old_status_id]=32392161", "leads[status][0][price]=5490",
        "leads[status][0][responsible_user_id]=504141", "leads[status][0][last_modified]=1764748800",
        "leads[status][0][modified_user_id]=504141", "leads[status][0][created_user_id]=504141",
        "leads[status][0][date_create]=1764662400", "leads[status][0][pipeline_id]=3177727", "leads[status][0][account_id]=1231414",
        "leads[status][0][custom_fields][0][id]=100", "leads[status][0][custom_fields][0][values][0][value]=yandex",
        "leads[status][1][id]=25399014", "leads[status][1][status_id]=143", "leads[status][1][old_status_id]=32392159",
        "leads[status][1][pipeline_id]=3177727", "leads[status][1][last_modified]=1764748801",
        "account[subdomain]=example", "account[id]=1231414", "account[_links][self]=https%3A%2F%2Fexample.amocrm.ru",
    ].joined(separator: "&")

    @Test func theWebhookBodyGivesEveryStageChangeAndTheAccount() {
        let body = AmoWebhookBody.parse(Data(Self.genuineBody.utf8))
        #expect(body.subdomain == "example")
        #expect(body.accountID == 1_231_414)
        #expect(
            body.changes == [
                StageChange(leadID: 25_399_013, statusID: 142, pipelineID: 3_177_727, oldStatusID: 32_392_161, changedAt: 1_764_748_800),
                StageChange(leadID: 25_399_014, statusID: 143, pipelineID: 3_177_727, oldStatusID: 32_392_159, changedAt: 1_764_748_801),
            ])
    }

    @Test func otherEventsAndBrokenEntriesAreLeftOut() {
        let body = AmoWebhookBody.parse(
            Data(
                "leads[add][0][id]=1&leads[status][0][id]=abc&leads[status][0][status_id]=142&leads[status][1][id]=5&account[subdomain]=x"
                    .utf8))
        #expect(body.changes.isEmpty, "an added lead, a lead id that is no number and a move without status_id are not stage changes")
        #expect(body.subdomain == "x")
    }

    static let back = [142: "completed", 143: "cancelled", 32_392_159: "processing", 32_392_161: "on-hold"]
    static let forward = ["processing": 32_392_159, "on-hold": 32_392_161, "completed": 142, "cancelled": 143, "paid": 32_392_161]

    @Test func aStageIsWrittenOnlyWhenTheOrderIsNotAlreadyThere() {
        func decide(_ stage: Int, _ current: String?) -> StatusBackDecision {
            StatusBackDecision.decide(stage: stage, map: Self.back, current: current, forward: Self.forward)
        }
        #expect(decide(142, "processing") == .write("completed"))
        #expect(decide(142, nil) == .write("completed"), "an order whose status amosync does not know is written")
        guard case .leave = decide(142, "completed") else { Issue.record("the order is already completed"); return }
        // Many-to-one: paid and on-hold both lead to 32392161; a paid order there is left alone.
        guard case .leave = decide(32_392_161, "paid") else { Issue.record("paid already leads to the stage"); return }
        guard case .leave = decide(32_392_162, "processing") else { Issue.record("an unmapped stage leaves the order alone"); return }
        #expect(decide(32_392_161, "processing") == .write("on-hold"))
    }

    @Test func theEchoesOfEitherSideAreNoWork() {
        // The shop moved the order to completed; amosync moved the lead to status_map[completed];
        // amoCRM's webhook for that move finds the order where the stage asks it to be.
        let stage = Self.forward["completed"]!
        #expect(StatusBackDecision.decide(stage: stage, map: Self.back, current: "completed", forward: Self.forward) != .write("completed"))
        // amosync wrote cancelled for stage 143; the shop's echo is the written status, and the
        // webhook of any later re-read finds the order at it.
        guard case .leave = StatusBackDecision.decide(stage: 143, map: Self.back, current: "cancelled", forward: Self.forward) else {
            Issue.record("the written status is not written again")
            return
        }
    }

    func problems(_ edit: (inout JSONValue) -> Void) -> [String] {
        var json = ConfigTests.minimal
        edit(&json)
        do {
            _ = try Config.parse(json.canonicalData, environment: ConfigTests.env)
            return []
        } catch let error as ConfigError {
            return error.problems.map(\.line)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func theConfigRefusesWhatWouldLeakOrNeverWork() {
        let plainHTTP = problems {
            $0.set(
                "sources",
                [
                    "woo": [
                        "type": "woocommerce", "secret": "s",
                        "api": ["url": "http://shop.example", "consumer_key": "ck_1", "consumer_secret": "cs_1"],
                        "status_back": ["142": "completed"],
                    ]
                ])
        }
        #expect(plainHTTP.contains { $0.hasPrefix("sources.woo.api.url:") && $0.contains("https") }, "\(plainHTTP)")
        let noAPI = problems { $0.set("sources", ["woo": ["type": "woocommerce", "secret": "s", "status_back": ["142": "completed"]]]) }
        #expect(noAPI.contains { $0.hasPrefix("sources.woo.status_back:") }, "\(noAPI)")
        let badShopify = problems {
            $0.set(
                "sources",
                [
                    "shop": [
                        "type": "shopify", "secret": "s", "api": ["shop": "example.myshopify.com", "access_token": "t"],
                        "status_back": ["142": "archive", "abc": "close"],
                    ]
                ])
        }
        #expect(badShopify.contains { $0.hasPrefix("sources.shop.status_back.142:") }, "\(badShopify)")
        #expect(badShopify.contains { $0.hasPrefix("sources.shop.status_back.abc:") }, "\(badShopify)")
        let shortKey = problems {
            $0.set(
                "amocrm",
                [
                    "subdomain": "example", "long_lived_token": "env:AMO_TOKEN",
                    "webhook": ["public_url": "https://a.example", "key": "short"],
                ])
        }
        #expect(shortKey.contains { $0.hasPrefix("amocrm.webhook.key:") }, "\(shortKey)")
        let own = problems { $0.set("orders", ["status_back": ["url": "http://shop.example/amosync", "secret": "x", "map": [:]]]) }
        #expect(own.contains { $0.hasPrefix("orders.status_back.url:") }, "\(own)")
        #expect(own.contains { $0.hasPrefix("orders.status_back.secret:") }, "\(own)")
        #expect(own.contains { $0.hasPrefix("orders.status_back.map:") }, "\(own)")
    }

    @Test func aCompleteSetUpReads() throws {
        var json = ConfigTests.minimal
        json.set(
            "amocrm",
            [
                "subdomain": "example", "long_lived_token": "env:AMO_TOKEN",
                "webhook": ["public_url": "https://amosync.shop.example/", "key": "k0123456789abcdef0123456789abcdef"],
                "events_poll_minutes": 2,
            ])
        json.set(
            "sources",
            [
                "woo": [
                    "type": "woocommerce", "secret": "s",
                    "api": ["url": "https://shop.example", "consumer_key": "ck_1", "consumer_secret": "cs_1"],
                    "status_back": ["142": "completed", "143": "cancelled"],
                ]
            ])
        let config = try Config.parse(json.canonicalData, environment: ConfigTests.env)
        #expect(config.amocrm.webhook?.destination == "https://amosync.shop.example/v1/amocrm/events/k0123456789abcdef0123456789abcdef")
        #expect(config.amocrm.eventsPollMinutes == 2)
        #expect(config.sources["woo"]?.statusBack == [142: "completed", 143: "cancelled"])
        #expect(config.sources["woo"]?.api?.base == "https://shop.example")
        #expect(config.writesStatusBack)
        let printed = "\(config.sources["woo"]!.api!) \(String(reflecting: config.sources["woo"]!.api!))"
        #expect(!printed.contains("cs_1") && !printed.contains("ck_1"), "a shop's keys are never printed: \(printed)")
    }

    @Test func aShopifySourceTakesAStaticTokenOrClientCredentials() throws {
        var json = ConfigTests.minimal
        json.set(
            "sources",
            [
                "shop": [
                    "type": "shopify", "secret": "s",
                    "api": ["shop": "example.myshopify.com", "client_id": "id-1", "client_secret": "shpss_1", "version": "2026-01"],
                    "status_back": ["142": "close", "143": "cancel", "32392162": "tag:sent"],
                ]
            ])
        let config = try Config.parse(json.canonicalData, environment: ConfigTests.env)
        let api = try #require(config.sources["shop"]?.api)
        #expect(api.base == "https://example.myshopify.com")
        #expect(api.version == "2026-01")
        #expect(api.accessToken == nil && api.clientSecret == "shpss_1")
        #expect(config.sources["shop"]?.statusBack == [142: "close", 143: "cancel", 32_392_162: "tag:sent"])
        #expect(!"\(api)".contains("shpss_1"))
        let neither = problems {
            $0.set("sources", ["shop": ["type": "shopify", "secret": "s", "api": ["shop": "example.myshopify.com", "client_id": "id-1"]]])
        }
        #expect(
            neither.contains { $0.hasPrefix("sources.shop.api.access_token:") && $0.contains("client_id and client_secret") }, "\(neither)")
        let notMyShopify = problems {
            $0.set("sources", ["shop": ["type": "shopify", "secret": "s", "api": ["shop": "https://shop.example", "access_token": "t"]]])
        }
        #expect(notMyShopify.contains { $0.hasPrefix("sources.shop.api.shop:") }, "\(notMyShopify)")
    }
}
