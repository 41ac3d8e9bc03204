import Foundation
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import AmoSyncCLI

/// Native webhooks and browser forms, over loopback against the running daemon.
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

    static func sign(_ body: Data, _ secret: String) -> String {
        Data(Hashing.hmacSHA256(key: Array(secret.utf8), message: Array(body))).base64EncodedString()
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

    @Test func hmacKnownVectors() {
        // RFC 4231, test case 2.
        let digest = Hashing.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(digest.map { String(format: "%02x", $0) }.joined() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // The way WooCommerce and Shopify sign: base64 of the raw body's HMAC (computed with Python's hmac).
        #expect(
            Hashing.verifyHMACBase64("xspNGMrVWxIcQDyrXfbm2UqRDdmgJAuEN8sLb9BkThg=", body: Array(#"{"id":1}"#.utf8), secret: "wc-secret"))
        #expect(
            !Hashing.verifyHMACBase64("xspNGMrVWxIcQDyrXfbm2UqRDdmgJAuEN8sLb9BkThg=", body: Array(#"{"id":2}"#.utf8), secret: "wc-secret"))
        #expect(!Hashing.verifyHMACBase64(nil, body: [], secret: "x"))
    }

    @Test func wooCommerceOrdersArriveSignedAndOnce() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await Self.start(fake)
        let ping = try await daemon.send(
            "/v1/hooks/woo", body: Data("webhook_id=17".utf8), contentType: "application/x-www-form-urlencoded", token: nil)
        #expect(ping.status == 200)
        let headers = ["X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": Self.sign(Self.wooOrder, Self.wooSecret)]
        let first = try await daemon.send(
            "/v1/hooks/woo", body: Self.wooOrder, contentType: "application/json", token: nil, headers: headers)
        #expect(first.status == 202)
        let again = try await daemon.send(
            "/v1/hooks/woo", body: Self.wooOrder, contentType: "application/json", token: nil, headers: headers)
        #expect(again.status == 200)
        #expect(again.json?["duplicate"] == true)
        let forged = try await daemon.send(
            "/v1/hooks/woo", body: Self.wooOrder, contentType: "application/json", token: nil,
            headers: ["X-WC-Webhook-Signature": Self.sign(Self.wooOrder, "wrong")])
        #expect(forged.status == 401)
        #expect(try await daemon.send("/v1/hooks/nope", json: [:], token: nil).status == 404)
        try await daemon.waitIdle()
        let jobs = try await daemon.store.list(JobFilter())
        #expect(jobs.count == 1)
        #expect(jobs[0].source == "woo")
        let lead = try #require((await fake.state.snapshot())["leads"]?.arrayValue?.first)
        #expect(lead["pipeline_id"] == 23456, "category routing through catalog.products")
        #expect(lead["price"] == 5490)
        #expect(EndToEndTests.fields(lead)["UTM_SOURCE"] == ["yandex"])
        #expect(EndToEndTests.fields(lead)["UTM_CAMPAIGN"] == ["spring"])
        let contact = try #require((await fake.state.snapshot())["contacts"]?.arrayValue?.first)
        #expect(contact["name"] == "Anna Ivanova")
        #expect(EndToEndTests.fields(contact)["PHONE"] == ["+79125550102"])
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
            "X-Shopify-Hmac-Sha256": Self.sign(body, Self.shopifySecret),
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
        #expect(EndToEndTests.fields(lead)["UTM_SOURCE"] == ["vk"])
        #expect(EndToEndTests.fields(lead)["UTM_CAMPAIGN"] == ["winter"])
        #expect(EndToEndTests.fields(lead)["Товары"] == ["Mug (M1) 19.99 × 2 = 39.98 USD"])
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
        #expect(EndToEndTests.fields(lead)["Комментарий"] == ["Need a quote"])
        #expect(EndToEndTests.fields(lead)["UTM_SOURCE"] == ["yandex"])
        let contact = try #require(state["contacts"]?.arrayValue?.first)
        #expect(contact["name"] == "Anna")
        #expect(EndToEndTests.fields(contact)["EMAIL"] == ["anna@example.org"])
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

    /// `chromium --headless --dump-dom`: the DOM of the page the browser ends on, with a profile
    /// of its own (a shared one can hand the page to another instance and print nothing). The
    /// wait runs on a thread of its own: blocking one of Swift's two pool threads here starved
    /// the in-process daemon the browser posts to, and the browser gave up with an empty page.
    static func runChromium(page: String, dir: TempDir, attempt: Int) async throws -> (dom: String, log: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium!)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=\(dir.file("profile-\(attempt)"))",
            "--virtual-time-budget=15000", "--dump-dom", "file://\(page)",
        ]
        let output = Pipe()
        process.standardOutput = output
        let log = dir.file("chromium-\(attempt).log")
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        let dom = await ProcessOutput.read(of: process, pipe: output)
        let errors = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return (dom, "exit \(process.terminationStatus): " + errors.split(separator: "\n").suffix(5).joined(separator: "\n"))
    }

    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A real browser submits a plain HTML form to a public form and lands on the redirect page.
    @Test(.enabled(if: HookTests.chromium != nil, "headless Chromium (Debian's chromium package) is not installed"))
    func aRealBrowserPostsAFormAndLandsOnTheRedirectPage() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake) {
            $0.set("forms.open", ["public": true, "redirect_url": .string("\(fake.baseURL)/__fake/thanks"), "required_fields": ["phone"]])
        }
        let dir = TempDir()
        let page = """
            <html><body onload="document.forms[0].submit()">
            <form method="post" action="http://127.0.0.1:\(daemon.port)/v1/forms/open">
              <input name="name" value="Browser User"><input name="phone" value="+7 912 000-77-77"><textarea name="message">Hello</textarea>
            </form></body></html>
            """
        try Data(page.utf8).write(to: URL(fileURLWithPath: dir.file("form.html")))
        // Chromium under a loaded test run sometimes ends before the navigation: up to three tries.
        var run = (dom: "", log: "")
        for attempt in 0..<3 where !run.dom.contains("Thank you") {
            run = try await Self.runChromium(page: dir.file("form.html"), dir: dir, attempt: attempt)
        }
        if run.dom.isEmpty {
            // No page at all, not even the form or an error page: the browser did not run here
            // (what the daemon answers cannot make it print nothing). Shown, not failed.
            withKnownIssue("headless Chromium printed no page in this environment: \(run.log)") { throw BrowserDidNotRun() }
            await daemon.stop()
            return
        }
        #expect(run.dom.contains("Thank you, we received your request"), "the browser landed on the redirect page: \(run.dom.prefix(300))")
        try await daemon.waitIdle()
        let job = try await #require(try daemon.store.list(JobFilter()).first)
        #expect(job.input["name"] == "Browser User")
        #expect(job.state == .done)
        await daemon.stop()
    }
}

struct BrowserDidNotRun: Error {}

/// What the fuzz run sent to the webhook routes before any signature was checked.
@Suite struct HookTransportTests {
    @Test(arguments: ["/v1/hooks/woo", "/v1/hooks/tilda", "/v1/hooks/shop"])
    func brokenChunkingIsABadRequestNotAnError(path: String) async throws {
        let capture = LogCapture()
        let daemon = try await RunningDaemon.start(fake: StaticFake(), logger: capture.logger()) { json in
            json.set(
                "sources",
                [
                    "woo": ["type": "woocommerce", "secret": "wc-secret"], "shop": ["type": "shopify", "secret": "shpss"],
                    "tilda": ["type": "tilda", "form": "callback"],
                ])
        }
        let client = try RawClient(port: daemon.port)
        client.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        client.shutdownWrite()
        let status = await client.readStatus()
        #expect(status == nil || status == 400, "\(status.map(String.init) ?? "closed")")
        #expect(!capture.all.contains { $0.hasPrefix("error") }, "\(capture.all)")
        await #expect(try daemon.store.list(JobFilter()).isEmpty)
        await daemon.stop()
    }

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
            token: nil, headers: [header: HookTests.sign(data, secret)])
        #expect(answer.status == 200)
        #expect(answer.json?["state"] == "skipped")
        #expect(answer.json?["reason"]?.stringValue?.contains(source == "woo" ? "total:" : "quantity") == true, "\(answer.json!)")
        #expect(try await daemon.send("/healthz", method: "GET", token: nil).status == 200, "still running")
        await daemon.stop()
    }
}
