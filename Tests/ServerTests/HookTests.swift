import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import TestSupport
@testable import TestFixtures

/// Native webhooks and browser forms against the running daemon (a real browser: `BrowserFormTests`).
@Suite struct HookTests {
    static let wooSecret = "wc-secret"
    static let shopifySecret = "shpss_0123456789"

    static func start(_ fake: RunningFake) async throws -> RunningDaemon {
        try await RunningDaemon.start(fake: fake) { json in
            json.set(
                "sources",
                [
                    "woo": ["type": "woocommerce", "secret": .string(wooSecret)],
                    "shop": ["type": "shopify", "secret": .string(shopifySecret)],
                    "tilda": ["type": "tilda", "form": "tilda"],
                ])
            json.set("catalog", ["products": ["77": [40, 12, 3]], "skus": ["M1": [40]]])
            json.set(
                "forms.tilda",
                ["contact": ["name": "Name", "phone": "Phone", "email": "Email"], "lead_fields": ["Comment": "Комментарий"]])
            json.set(
                "forms.open", ["public": true, "honeypot": "website", "allowed_origins": ["https://shop.example"], "per_ip_per_minute": 3])
            json.set("utm_fields", ["utm_source": "UTM_SOURCE", "utm_campaign": "UTM_CAMPAIGN"])
        }
    }

    /// A WooCommerce REST v3 order as its webhook delivers it (trimmed to the fields amosync reads).
    static let wooOrder = Data(
        #"""
        {"id":1042,"parent_id":0,"number":"1042","status":"processing","currency":"RUB","date_created":"2026-11-20T10:00:00",
         "discount_total":"0.00","shipping_total":"390.00","total":"5490.00","customer_id":7,"customer_note":"Call after 18:00",
         "billing":{"first_name":"Anna","last_name":"Ivanova","company":"","address_1":"Lenina 5","address_2":"","city":"Perm","state":"",
           "postcode":"614000","country":"RU","email":"anna@example.org","phone":"8 (912) 555-01-02"},
         "shipping":{"first_name":"Anna","last_name":"Ivanova","company":"","address_1":"Lenina 5","address_2":"kv. 12","city":"Perm",
           "state":"","postcode":"614000","country":"RU","phone":""},
         "payment_method":"card","payment_method_title":"Card",
         "line_items":[{"id":11,"name":"Kettle","product_id":77,"variation_id":0,"quantity":1,"subtotal":"5100.00","total":"5100.00",
           "sku":"K-77","price":5100,"meta_data":[]}],
         "shipping_lines":[{"id":12,"method_title":"Courier","method_id":"flat_rate","total":"390.00"}],
         "fee_lines":[],"coupon_lines":[{"id":13,"code":"spring","discount":"0.00"}],
         "meta_data":[{"id":1,"key":"_wc_order_attribution_utm_source","value":"yandex"},{"id":2,"key":"utm_campaign","value":"spring"}]}
        """#.utf8)

    @Test func wooCommerceOrdersArriveSignedAndOnce() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await Self.start(fake)
        let ping = try await daemon.send(
            "/v1/hooks/woo", body: Data("webhook_id=17".utf8), contentType: "application/x-www-form-urlencoded", token: nil)
        #expect(ping.status == 200)
        let headers = ["X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": webhookSignature(Self.wooOrder, Self.wooSecret)]
        let first = try await daemon.send(
            "/v1/hooks/woo", body: Self.wooOrder, contentType: "application/json", token: nil, headers: headers)
        #expect(first.status == 202)
        let again = try await daemon.send(
            "/v1/hooks/woo", body: Self.wooOrder, contentType: "application/json", token: nil, headers: headers)
        #expect(again.status == 200)
        #expect(again.json?["duplicate"] == true)
        let forged = try await daemon.send(
            "/v1/hooks/woo", body: Self.wooOrder, contentType: "application/json", token: nil,
            headers: ["X-WC-Webhook-Signature": webhookSignature(Self.wooOrder, "wrong")])
        #expect(forged.status == 401)
        #expect(try await daemon.send("/v1/hooks/nope", json: [:], token: nil).status == 404)
        try await daemon.waitIdle()
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.count == 1)
        #expect(jobs[0].source == "woo")
        let lead = try #require((await fake.state.snapshot())["leads"]?.arrayValue?.first)
        #expect(lead["pipeline_id"] == 23456, "category routing through catalog.products")
        #expect(lead["price"] == 5490)
        #expect(customFields(lead)["UTM_SOURCE"] == ["yandex"])
        #expect(customFields(lead)["UTM_CAMPAIGN"] == ["spring"])
        let contact = try #require((await fake.state.snapshot())["contacts"]?.arrayValue?.first)
        #expect(contact["name"] == "Anna Ivanova")
        #expect(customFields(contact)["PHONE"] == ["+79125550102"])
        let note = (await fake.state.snapshot())["notes"]?.value(at: "0.params.text")?.stringValue ?? ""
        #expect(note.contains("Доставка: Courier (390 ₽)"))
        #expect(note.contains("Комментарий: Call after 18:00"))
        #expect(note.contains("Купоны: spring"))
        #expect(jobs[0].input.value(at: "address.street") == "Lenina 5, kv. 12")
        #expect(jobs[0].input["coupons"] == [["code": "spring", "amount": 0]])
        await daemon.stop()
    }

    @Test func shopifyOrdersWithLandingSiteUTM() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await Self.start(fake)
        let body = Data(
            #"""
            {"id":5940139491234,"name":"#1001","order_number":1001,"email":"b@example.org","phone":"+79125550103",
             "created_at":"2026-11-20T10:00:00+03:00",
             "currency":"USD","total_price":"59.97","subtotal_price":"39.98","financial_status":"paid","note":"Gift wrap",
             "note_attributes":[{"name":"utm_campaign","value":"winter"}],"tags":"vip","landing_site":"/?utm_source=vk&utm_medium=social",
             "referring_site":"https://vk.com/",
             "customer":{"id":1,"first_name":"Boris","last_name":"K","email":"b@example.org","phone":null},
             "shipping_address":{"address1":"Main st 1","address2":"","city":"Kazan","zip":"420000","country":"Russia",
                                 "phone":"+79125550103"},
             "line_items":[{"id":1,"product_id":1,"variant_id":2,"title":"Mug","sku":"M1","quantity":2,"price":"19.99","vendor":"Shop"}],
             "shipping_lines":[{"title":"Post","price":"19.99"}]}
            """#.utf8)
        let headers = [
            "X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            "X-Shopify-Hmac-Sha256": webhookSignature(body, Self.shopifySecret),
        ]
        #expect(
            try await daemon.send("/v1/hooks/shop", body: body, contentType: "application/json", token: nil, headers: headers).status == 202
        )
        #expect(
            try await daemon.send("/v1/hooks/shop", body: body, contentType: "application/json", token: nil, headers: headers).status == 200
        )
        #expect(
            try await daemon.send(
                "/v1/hooks/shop", body: body, contentType: "application/json", token: nil,
                headers: ["X-Shopify-Hmac-Sha256": "AAAA"]
            ).status == 401)
        try await daemon.waitIdle()
        let lead = try #require((await fake.state.snapshot())["leads"]?.arrayValue?.first)
        #expect(lead["name"] == "Заказ #1001")
        #expect(lead["price"] == 60)
        #expect(lead["pipeline_id"] == 23456, "category routing through catalog.skus")
        let job = try await #require(try daemon.store.list(JobFilter()).first)
        #expect(
            job.warnings.contains { $0.hasPrefix("status 32392161 refused by amoCRM for pipeline 23456") },
            "status_map's status belongs to another pipeline: dropped with a warning")
        #expect(customFields(lead)["UTM_SOURCE"] == ["vk"])
        #expect(customFields(lead)["UTM_CAMPAIGN"] == ["winter"])
        #expect(customFields(lead)["Товары"] == ["Mug (M1) 19.99 × 2 = 39.98 USD"])
        await daemon.stop()
    }

    @Test func tildaFormsTestPingTranidDedupeAndCookies() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await Self.start(fake)
        let test = try await daemon.send(
            "/v1/hooks/tilda", body: Data("test=test".utf8), contentType: "application/x-www-form-urlencoded", token: nil)
        #expect(test.status == 200)
        let body = Data(
            ("Name=Anna&Phone=%2B7+912+555-01-02&Email=anna%40example.org&Comment=Need+a+quote&formid=form123456789"
                + "&tranid=1234567%3A89012345&COOKIES=utm_source%3Dyandex%3B+utm_campaign%3Dspring%3B+_ga%3DGA1.2.111.222").utf8)
        #expect(
            try await daemon.send("/v1/hooks/tilda", body: body, contentType: "application/x-www-form-urlencoded", token: nil).status == 202
        )
        #expect(
            try await daemon.send("/v1/hooks/tilda", body: body, contentType: "application/x-www-form-urlencoded", token: nil).status == 200
        )
        try await daemon.waitIdle()
        let state = await fake.state.snapshot()
        #expect(state["leads"]?.arrayValue?.count == 1)
        let lead = try #require(state["leads"]?.arrayValue?.first)
        #expect(customFields(lead)["Комментарий"] == ["Need a quote"])
        #expect(customFields(lead)["UTM_SOURCE"] == ["yandex"])
        let contact = try #require(state["contacts"]?.arrayValue?.first)
        #expect(contact["name"] == "Anna")
        #expect(customFields(contact)["EMAIL"] == ["anna@example.org"])
        await #expect(try daemon.store.list(JobFilter()).first?.externalID == "1234567:89012345")
        await daemon.stop()
    }

    @Test func browserFormsCORSHoneypotAndFloodLimit() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await Self.start(fake)
        let preflight = try await daemon.send(
            "/v1/forms/open", method: "OPTIONS", token: nil,
            headers: ["Origin": "https://shop.example", "Access-Control-Request-Method": "POST"])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "https://shop.example")
        #expect(preflight.header("Access-Control-Allow-Methods")?.contains("POST") == true)
        let foreign = try await daemon.send("/v1/forms/open", method: "OPTIONS", token: nil, headers: ["Origin": "https://evil.example"])
        #expect(foreign.header("Access-Control-Allow-Origin") == nil)
        let fetched = try await daemon.send(
            "/v1/forms/open", json: ["phone": "89120000001"], token: nil, headers: ["Origin": "https://shop.example"])
        #expect(fetched.status == 202)
        #expect(fetched.header("Access-Control-Allow-Origin") == "https://shop.example")
        let bot = try await daemon.send(
            "/v1/forms/open", body: Data("phone=89120000002&website=http%3A%2F%2Fspam".utf8),
            contentType: "application/x-www-form-urlencoded", token: nil, headers: ["Accept": "text/html"])
        #expect(bot.status == 200, "a bot sees the thank-you page")
        await #expect(try daemon.store.list(JobFilter()).count == 1, "the honeypot submission was not queued")
        _ = try await daemon.send("/v1/forms/open", json: ["phone": "89120000003"], token: nil)
        let flooded = try await daemon.send("/v1/forms/open", json: ["phone": "89120000004"], token: nil)
        #expect(flooded.status == 429)
        #expect(Int(flooded.header("Retry-After") ?? "") ?? 0 > 0)
        await daemon.stop()
    }
}

/// Signed webhooks with money out of range.
@Suite struct SignedMoneyTests {
    /// A signed order whose money is out of range is stored as `skipped` with the field named
    /// (answered 200: the platform must not switch the webhook off), and the daemon goes on
    /// (a signed `"total":"1e19"` or `"total_price":"NaN"` once crashed it).
    @Test(arguments: [
        ("woo", #"{"id":7,"total":"1e19","billing":{"phone":"+79125550199"},"line_items":[]}"#, "X-WC-Webhook-Signature", "wc-secret"),
        (
            "shop", #"{"id":8,"total_price":"NaN","phone":"+79125550199","line_items":[{"title":"x","price":"1","quantity":"1e400"}]}"#,
            "X-Shopify-Hmac-Sha256", "shpss"
        ),
    ])
    func signedOutOfRangeMoneyNeverCrashes(source: String, body: String, header: String, secret: String) async throws {
        let daemon = try await RunningDaemon.start(fake: StaticFake()) { json in
            json.set("sources", ["woo": ["type": "woocommerce", "secret": "wc-secret"], "shop": ["type": "shopify", "secret": "shpss"]])
        }
        let data = Data(body.utf8)
        let answer = try await daemon.send(
            "/v1/hooks/\(source)", body: data, contentType: "application/json",
            token: nil, headers: [header: webhookSignature(data, secret)])
        #expect(answer.status == 200)
        #expect(answer.json?["state"] == "skipped")
        #expect(answer.json?["reason"]?.stringValue?.contains(source == "woo" ? "total:" : "quantity") == true, "\(answer.json!)")
        #expect(try await daemon.send("/healthz", method: "GET", token: nil).status == 200, "still running")
        await daemon.stop()
    }
}
