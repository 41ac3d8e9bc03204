import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// Every status code of the intake API, through the router and its middleware as the daemon
/// assembles them (`RouterClient`: no socket), with a queue in memory behind them.
@Suite struct IntakeRouterTests {
    struct Intake {
        let dir = TempDir()
        let store: SQLiteStore
        let health: DeliveryHealth
        let client: RouterClient

        init(configure: (inout JSONValue) -> Void = { _ in }) throws {
            var json = testConfig(fake: StaticFake(), dir: dir)
            json.set("server.max_body_bytes", 4096)
            json.set("forms.open.per_ip_per_minute", 2)
            json.set("forms.open.allowed_origins", ["https://shop.example"])
            json.set(
                "sources",
                [
                    "woo": ["type": "woocommerce", "secret": "wc-secret"],
                    "shop": ["type": "shopify", "secret": "shpss_0123456789"],
                    "tilda": ["type": "tilda", "form": "tilda", "secret": "tilda-key"],
                ])
            json.set("forms.tilda", ["contact": ["name": "Name", "phone": "Phone", "email": "Email"]])
            json.set("utm_fields", ["utm_source": "UTM_SOURCE", "utm_medium": "UTM_MEDIUM", "roistat": "roistat"])
            configure(&json)
            let config = try Config.parse(json.canonicalData, environment: [:])
            store = try SQLiteStore(database: try DatabaseQueue())
            health = DeliveryHealth(store: store)
            let routes = IntakeRoutes(
                config: config, writer: IntakeWriter(store: store), store: store, health: health, doorbell: Doorbell(),
                logger: quietLogger())
            let router = Router(context: IntakeContext.self)
            IntakeRoutes.register(Live(routes), on: router, logger: quietLogger())
            client = RouterClient(router)
        }

        /// Requests straight to the router (no socket).
        func test<Value>(_ body: (RouterClient) async throws -> Value) async throws -> Value {
            try await body(client)
        }
    }

    static let auth: HTTPFields = [.authorization: "Bearer \(RunningDaemon.intakeToken)", .contentType: "application/json"]

    static func body(_ json: JSONValue) -> ByteBuffer { ByteBuffer(bytes: json.canonicalData) }

    static func json(_ response: RouterClient.Answer) throws -> JSONValue { try JSONValue.parse(Data(buffer: response.body)) }

    @Test func ordersAreAcceptedOnceThenReportedAsDuplicates() async throws {
        let intake = try Intake()
        try await intake.test { client in
            try await client.execute(uri: "/v1/orders", method: .post, headers: Self.auth, body: Self.body(sampleOrder(id: "1"))) {
                response throws in
                #expect(response.status == .accepted)
                #expect(try Self.json(response)["state"] == "queued")
            }
            try await client.execute(uri: "/v1/orders", method: .post, headers: Self.auth, body: Self.body(sampleOrder(id: "1"))) {
                response throws in
                #expect(response.status == .ok)
                #expect(try Self.json(response)["duplicate"] == true)
            }
        }
        #expect(try await intake.store.stats().counts[.queued] == 1)
    }

    @Test func refusalsNameTheProblemAndStoreNothing() async throws {
        let intake = try Intake()
        try await intake.test { client in
            try await client.execute(uri: "/v1/orders", method: .post, body: Self.body(sampleOrder(id: "1"))) { response throws in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect(try Self.json(response)["error"] == "unauthorized")
            }
            var wrong = Self.auth
            wrong[.authorization] = "Bearer not-the-token"
            try await client.execute(uri: "/v1/contacts", method: .post, headers: wrong, body: Self.body(["phone": "+79125550102"])) {
                response throws in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/orders", method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"id": 1,}"#)) {
                response throws in
                #expect(response.status == .badRequest)
                #expect(try Self.json(response)["message"]?.stringValue?.contains("at byte 9") == true)
            }
            var text = Self.auth
            text[.contentType] = "text/plain"
            try await client.execute(uri: "/v1/orders", method: .post, headers: text, body: ByteBuffer(string: "hello")) {
                response throws in
                #expect(response.status == .unsupportedMediaType)
                #expect(try Self.json(response)["error"] == "unsupported_content_type")
            }
            try await client.execute(
                uri: "/v1/orders", method: .post, headers: Self.auth, body: ByteBuffer(repeating: 0x20, count: 5000)
            ) { response throws in
                #expect(response.status == .contentTooLarge)
                #expect(try Self.json(response)["message"]?.stringValue?.contains("server.max_body_bytes (4096 bytes)") == true)
            }
            try await client.execute(uri: "/v1/orders", method: .post, headers: Self.auth, body: Self.body(["id": "1", "total": -5])) {
                response throws in
                #expect(response.status == .unprocessableContent)
                #expect(try Self.json(response)["details"]?.arrayValue?.isEmpty == false)
            }
            try await client.execute(uri: "/v1/forms/nope", method: .post, headers: Self.auth, body: Self.body([:])) { response throws in
                #expect(response.status == .notFound)
                #expect(try Self.json(response)["message"] == "no form named nope in the configuration")
            }
            try await client.execute(uri: "/v1/hooks/woo", method: .post, headers: Self.auth, body: Self.body(["id": 1])) {
                response throws in
                #expect(response.status == .unauthorized)
                #expect(try Self.json(response)["error"] == "bad_signature")
            }
        }
        #expect(try await intake.store.stats().counts.values.reduce(0, +) == 0)
    }

    @Test func aPrivateFormNeedsTheTokenAPublicOneALimit() async throws {
        let intake = try Intake()
        let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .accept: "text/html", .origin: "https://shop.example"]
        try await intake.test { client in
            try await client.execute(uri: "/v1/forms/callback", method: .post, headers: form, body: ByteBuffer(string: "phone=1")) {
                response throws in
                #expect(response.status == .unauthorized)
            }
            for index in 0..<2 {
                try await client.execute(
                    uri: "/v1/forms/open", method: .post, headers: form, body: ByteBuffer(string: "name=A&phone=%2B7912555010\(index)")
                ) { response throws in
                    #expect(response.status == .seeOther)
                    #expect(response.headers[.location] == "https://shop.example/thanks")
                    #expect(response.headers[.accessControlAllowOrigin] == "https://shop.example")
                }
            }
            try await client.execute(uri: "/v1/forms/open", method: .post, headers: form, body: ByteBuffer(string: "phone=3")) {
                response throws in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter].flatMap(Int.init) ?? 0 > 0)
                #expect(response.headers[.accessControlAllowOrigin] == "https://shop.example", "the page can read the refusal")
            }
            try await client.execute(uri: "/v1/forms/open", method: .options, headers: [.origin: "https://shop.example"]) {
                response throws in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowMethods] == "POST, OPTIONS")
            }
            try await client.execute(uri: "/v1/forms/open", method: .options, headers: [.origin: "https://evil.example"]) {
                response throws in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
        #expect(try await intake.store.stats().counts[.queued] == 2)
    }

    @Test func readinessSaysWhichCheckFailed() async throws {
        let intake = try Intake()
        try await intake.test { client in
            try await client.execute(uri: "/readyz", method: .get) { response throws in
                #expect(response.status == .ok)
            }
            await intake.health.credentialsFailed("token revoked by the account's admin")
            try await client.execute(uri: "/readyz", method: .get) { response throws in
                #expect(response.status == .serviceUnavailable)
                let body = try Self.json(response)
                #expect(body["problems"] == ["amocrm_credentials"])
                #expect(!String(buffer: response.body).contains("revoked"), "the reason stays in the log and in stats")
            }
            try await client.execute(uri: "/healthz", method: .get) { response throws in #expect(response.status == .ok) }
        }
    }

    /// Tilda cannot sign: with `secret` set, the webhook URL carries it as `?key=`.
    @Test func tildaNeedsItsKeyInTheURLExceptForItsSetUpCheck() async throws {
        let intake = try Intake()
        let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        let submission = ByteBuffer(string: "Name=Anna&Phone=%2B7%20912%20555-01-02&formid=form123456789&tranid=1234567%3A890")
        try await intake.test { client in
            try await client.execute(uri: "/v1/hooks/tilda", method: .post, headers: form, body: ByteBuffer(string: "test=test")) {
                response throws in
                #expect(response.status == .ok, "the set-up check gets 200 without a key")
            }
            for uri in ["/v1/hooks/tilda", "/v1/hooks/tilda?key=wrong", "/v1/hooks/tilda?key=tilda-ke"] {
                try await client.execute(uri: uri, method: .post, headers: form, body: submission) { response throws in
                    #expect(response.status == .unauthorized, "\(uri)")
                    #expect(try Self.json(response)["error"] == "bad_key")
                }
            }
            #expect(try await intake.store.stats().counts.values.reduce(0, +) == 0)
            try await client.execute(uri: "/v1/hooks/tilda?key=tilda-key", method: .post, headers: form, body: submission) {
                response throws in
                #expect(response.status == .accepted)
            }
        }
        let jobs = try await intake.store.list(JobFilter())
        #expect(jobs.map(\.externalID) == ["1234567:890"])
    }

    static func signed(_ body: String, header: String, secret: String, topic: (String, String)) -> (HTTPFields, ByteBuffer) {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name(header)!] = webhookSignature(Data(body.utf8), secret)
        headers[HTTPField.Name(topic.0)!] = topic.1
        return (headers, ByteBuffer(string: body))
    }

    /// A signed delivery is never refused for its content (WooCommerce disables a webhook after
    /// five failed deliveries): deletions, other topics and unmappable orders are stored as
    /// `skipped` with the reason and answered 200; a resend is a duplicate.
    @Test func signedDeliveriesWithNothingToDeliverAreSkippedNotRefused() async throws {
        let intake = try Intake()
        let woo = ("X-WC-Webhook-Signature", "wc-secret")
        let cases: [(body: String, platform: (String, String), topic: (String, String), reason: String)] = [
            (#"{"id":4567}"#, woo, ("X-WC-Webhook-Topic", "order.deleted"), "deleted in WooCommerce (order.deleted)"),
            (#"{"id":12,"name":"Kettle"}"#, woo, ("X-WC-Webhook-Topic", "product.updated"), "topic product.updated is not an order"),
            (
                #"{"id":4568,"status":"processing","total":"1e19","billing":{"phone":"+7 912 555-01-02"},"line_items":[]}"#, woo,
                ("X-WC-Webhook-Topic", "order.created"), "total: must be between 0 and"
            ),
            (#"{"id":4569,"#, woo, ("X-WC-Webhook-Topic", "order.created"), "the body is not valid JSON"),
            (
                #"{"id":820982911946154508,"email":"jon@example.com"}"#, ("X-Shopify-Hmac-Sha256", "shpss_0123456789"),
                ("X-Shopify-Topic", "customers/create"), "customers/create does not carry an order"
            ),
        ]
        try await intake.test { client in
            for item in cases {
                let source = item.platform.0 == "X-WC-Webhook-Signature" ? "woo" : "shop"
                let (headers, body) = Self.signed(item.body, header: item.platform.0, secret: item.platform.1, topic: item.topic)
                for attempt in 0..<2 {
                    try await client.execute(uri: "/v1/hooks/\(source)", method: .post, headers: headers, body: body) { response throws in
                        #expect(response.status == .ok, "\(item.topic.1): \(String(buffer: response.body))")
                        let json = try Self.json(response)
                        #expect(json["state"] == "skipped")
                        #expect(json["reason"]?.stringValue?.contains(item.reason) == true, "\(json)")
                        #expect((json["duplicate"] == true) == (attempt == 1), "a resend is a duplicate")
                    }
                }
            }
        }
        var filter = JobFilter()
        filter.states = [.skipped]
        let skipped = try await intake.store.list(filter)
        #expect(skipped.count == cases.count)
        #expect(skipped.allSatisfy { $0.lastError?.isEmpty == false })
        #expect(try await intake.store.stats().counts[.queued] == 0)
        #expect(try await intake.store.claimBatch(limit: 10, leaseFor: 60).isEmpty, "nothing to deliver")
    }

    /// A Shopify POS sale has no customer: a lead without a contact, with a warning, not a 422.
    @Test func anOrderWithoutContactDataBecomesALeadWithoutAContact() async throws {
        let intake = try Intake()
        let pos = #"""
            {"id":5940139491299,"order_number":1002,"name":"#1002","email":"","phone":null,"customer":null,"source_name":"pos",
             "currency":"USD","total_price":"19.99","financial_status":"paid","location_id":905684977,
             "line_items":[{"id":1,"product_id":632910392,"title":"Mug","sku":"M1","quantity":1,"price":"19.99"}]}
            """#
        let (headers, body) = Self.signed(
            pos, header: "X-Shopify-Hmac-Sha256", secret: "shpss_0123456789", topic: ("X-Shopify-Topic", "orders/create"))
        try await intake.test { client in
            try await client.execute(uri: "/v1/hooks/shop", method: .post, headers: headers, body: body) { response throws in
                #expect(response.status == .accepted, "\(String(buffer: response.body))")
            }
        }
        let job = try #require(try await intake.store.list(JobFilter()).first)
        #expect(job.state == .queued)
        #expect(job.plan.contact == nil)
        #expect(job.plan.lead?.price == 20)
        #expect(job.warnings.contains("the order has no usable phone or email: the lead is created without a contact"))
    }

    /// A Tilda cart (the `payment[...]` group of a form with a cart block, form-encoded as Tilda
    /// sends it) is an order: price, goods, the customer from the form's inputs, UTM from Tilda's
    /// own `TILDAUTM` cookie and `roistat_visit` for the `roistat` mapping.
    @Test func aTildaCartIsAnOrderWithGoodsPriceAndTracking() async throws {
        let intake = try Intake()
        let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        let cart =
            "Name=Anna&Phone=%2B7+912+555-01-02&Email=anna%40example.org"
            + "&payment%5Borderid%5D=1234567890&payment%5Bamount%5D=1450"
            + "&payment%5Bproducts%5D%5B0%5D%5Bname%5D=%D0%9A%D1%80%D1%83%D0%B6%D0%BA%D0%B0"
            + "&payment%5Bproducts%5D%5B0%5D%5Bprice%5D=725&payment%5Bproducts%5D%5B0%5D%5Bquantity%5D=2"
            + "&payment%5Bproducts%5D%5B0%5D%5Bamount%5D=1450&payment%5Bproducts%5D%5B0%5D%5Bsku%5D=MUG-1"
            + "&formid=form123456789&tranid=1234567%3A1234567890"
            + "&COOKIES=TILDAUTM%3Dutm_source%253Dyandex%257C%257C%257Cutm_medium%253Dcpc%3B+roistat_visit%3D123456"
        try await intake.test { client in
            for expected in [HTTPResponse.Status.accepted, .ok] {
                try await client.execute(uri: "/v1/hooks/tilda?key=tilda-key", method: .post, headers: form, body: ByteBuffer(string: cart))
                {
                    response throws in
                    #expect(response.status == expected, "a resend is a duplicate: \(String(buffer: response.body))")
                }
            }
        }
        let job = try #require(try await intake.store.list(JobFilter()).first)
        #expect(job.kind == .order)
        #expect(job.externalID == "1234567890", "payment[orderid]")
        let lead = try #require(job.plan.lead)
        #expect(lead.price == 1450)
        let fields = Dictionary(lead.fields.map { ($0.field.label, $0.value) }, uniquingKeysWith: { $1 })
        #expect(fields["UTM_SOURCE"] == "yandex")
        #expect(fields["UTM_MEDIUM"] == "cpc")
        #expect(fields["roistat"] == "123456")
        #expect(job.plan.note?.contains("Кружка (MUG-1) 725 × 2 = 1450") == true, "\(job.plan.note ?? "")")
        #expect(job.plan.contact?.phones == ["+79125550102"])
        #expect(job.plan.contact?.emails == ["anna@example.org"])
    }

    /// A cart line with only its `amount` (no unit price) is priced amount / quantity.
    @Test func aTildaCartLineWithOnlyAnAmountIsPriced() throws {
        let values: [String: JSONValue] = [
            "Phone": "89125550102", "payment[orderid]": "77", "payment[amount]": "900",
            "payment[products][0][name]": "Tea", "payment[products][0][quantity]": "3", "payment[products][0][amount]": "900",
        ]
        let payment = try #require(TildaCart.payment(values))
        let order = TildaCart.order(
            values, payment: payment, nameInput: "Name", phoneInput: "Phone", emailInput: "Email", fallbackID: "x")
        #expect(order.value(at: "items.0.price") == 300)
        #expect(order.value(at: "items.0.quantity") == 3)
        #expect(order["id"] == "77")
        #expect(order.value(at: "customer.phone") == "89125550102")
    }

    /// Without `tranid` a Tilda resend is recognized by its content; a submission with no values
    /// is stored as skipped (answered 200), not turned into an empty lead.
    @Test func tildaWithoutTranidDedupesByContentAndAnEmptySubmissionIsSkipped() async throws {
        let intake = try Intake()
        let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        try await intake.test { client in
            for expected in [HTTPResponse.Status.accepted, .ok] {
                try await client.execute(
                    uri: "/v1/hooks/tilda?key=tilda-key", method: .post, headers: form,
                    body: ByteBuffer(string: "Name=Oleg&Phone=89125550103&formid=form1")
                ) { response throws in
                    #expect(response.status == expected)
                }
            }
            try await client.execute(
                uri: "/v1/hooks/tilda?key=tilda-key", method: .post, headers: form, body: ByteBuffer(string: "formid=form1&Name=")
            ) { response throws in
                #expect(response.status == .ok)
                #expect(try Self.json(response)["state"] == "skipped")
                #expect(try Self.json(response)["reason"]?.stringValue?.contains("the submission has no values") == true)
            }
            var json = Self.auth
            json[.contentType] = "application/json"
            try await client.execute(uri: "/v1/forms/profile", method: .post, headers: json, body: ByteBuffer(string: "{}")) {
                response throws in
                #expect(response.status == .unprocessableContent, "an empty form post names the problem")
            }
        }
        #expect(try await intake.store.stats().counts[.queued] == 1)
        #expect(try await intake.store.stats().counts[.skipped] == 1)
    }
}
