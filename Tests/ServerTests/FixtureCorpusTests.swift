import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// Every body under `Tests/Fixtures` delivered the way its platform delivers it (signed, with
/// the topic header, form-encoded for Tilda) to the intake routes, and the stored job asserted:
/// state, lead, contact and the note line by line.
@Suite struct FixtureCorpusTests {
    static func intake() throws -> IntakeRouterTests.Intake {
        try IntakeRouterTests.Intake { json in
            json.set("server.max_body_bytes", 65536)
            json.set("orders.status_map", ["processing": 555, "paid": 556, "completed": 142, "cancelled": 143])
            json.set("orders.lead_fields", ["coupons": "Купон", "payment.name": "Оплата", "delivery.name": "Доставка"])
        }
    }

    /// Posts a fixture as its platform would and returns the answer's status and the stored job.
    static func deliver(_ name: String, source: String, topic: String? = nil) async throws -> (HTTPResponse.Status, Job?) {
        let intake = try intake()
        let status = try await post(try Fixtures.data(name), source: source, topic: topic, json: name.hasSuffix(".json"), to: intake)
        return (status, try await intake.store.list(JobFilter()).first)
    }

    /// The request a platform sends: WooCommerce's and Shopify's delivery headers, Tilda's form encoding.
    static func post(
        _ body: Data, source: String, topic: String?, json: Bool = false, to intake: IntakeRouterTests.Intake
    ) async throws -> HTTPResponse.Status {
        var headers: HTTPFields = [.contentType: "application/json"]
        var uri = "/v1/hooks/\(source)"
        func set(_ name: String, _ value: String?) { headers[HTTPField.Name(name)!] = value }
        switch source {
        case "woo":
            set("User-Agent", "WooCommerce/10.2.1 Hookshot (WordPress/6.8.3)")
            set("X-WC-Webhook-Source", "https://kaffeehaus.example/")
            set("X-WC-Webhook-Topic", topic)
            set("X-WC-Webhook-Resource", topic?.split(separator: ".").first.map(String.init))
            set("X-WC-Webhook-Event", topic?.split(separator: ".").last.map(String.init))
            set("X-WC-Webhook-ID", "14")
            set("X-WC-Webhook-Delivery-ID", "4bd6c3ef2c0e1f52a7b8c9d0e1f2a3b4")
            set("X-WC-Webhook-Signature", webhookSignature(body, "wc-secret"))
        case "shop":
            set("X-Shopify-Topic", topic)
            set("X-Shopify-Shop-Domain", "jsmith.myshopify.com")
            set("X-Shopify-API-Version", "2025-10")
            set("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
            set("X-Shopify-Hmac-Sha256", webhookSignature(body, "shpss_0123456789"))
        default:
            // Tilda posts form-encoded, or JSON when the webhook is set to send JSON.
            if !json { headers[.contentType] = "application/x-www-form-urlencoded" }
            uri += "?key=tilda-key"
        }
        let (path, fields) = (uri, headers)
        return try await intake.test { client in
            try await client.execute(uri: path, method: .post, headers: fields, body: ByteBuffer(bytes: body)) { $0.status }
        }
    }

    static func lines(_ note: String?) -> [String] { (note ?? "").split(separator: "\n").map(String.init) }

    static func fields(_ plan: LeadPlan?) -> [String: String] {
        Dictionary((plan?.fields ?? []).map { ($0.field.label, $0.value) }, uniquingKeysWith: { $1 })
    }

    /// WooCommerce 10 `order.updated`, compact, as `wp_json_encode` writes it (`\/`, `\u00fc`): a
    /// German store with prices including tax, order attribution meta, a completed order.
    @Test func aWooCommerceOrderFromAGermanStoreWithTaxIncludedPrices() async throws {
        let (status, stored) = try await Self.deliver("woocommerce/order-5120-updated-de.json", source: "woo", topic: "order.updated")
        #expect(status == .accepted)
        let job = try #require(stored)
        #expect(job.state == .queued)
        #expect(job.externalID == "5120")
        let lead = try #require(job.plan.lead)
        #expect(lead.name == "Заказ #5120")
        #expect(lead.price == 39, "38.80 EUR")
        #expect(lead.statusID == 142, "completed → status_map")
        let fields = Self.fields(lead)
        #expect(fields["Оплата"] == "PayPal")
        #expect(fields["Доставка"] == "DHL Paket")
        #expect(fields["UTM_SOURCE"] == "newsletter", "_wc_order_attribution_utm_source")
        #expect(fields["UTM_MEDIUM"] == "email")
        let contact = try #require(job.plan.contact)
        #expect(contact.name == "Lisa Müller")
        #expect(contact.phones == ["+491712345678"], "billing.country DE: 0171 … is a German mobile")
        #expect(contact.emails == ["lisa.mueller@example.de"])
        #expect(job.warnings.isEmpty, "\(job.warnings)")
        #expect(
            Self.lines(job.plan.note) == [
                "Заказ #5120",
                "Товары:",
                "Kaffeebecher & Untersetzer (KB-SET) 12.50 × 2 = 25.00 EUR",
                "Espresso 250 g (ESP-250) 8.90 × 1 = 8.90 EUR",
                "Доставка: DHL Paket (4.90 EUR)",
                "Оплата: PayPal",
                "Адрес: Berlin, Hauptstraße 5, Hinterhaus",
                "Итого: 38.80 EUR",
                "Комментарий: Bitte beim Nachbarn abgeben",
                "UTM: utm_campaign=herbst-2025, utm_medium=email, utm_source=newsletter",
            ], "line prices with their tax (the payload's `price` is 10.505 without it)")
    }

    /// `order.deleted` carries only the id: stored as skipped with the reason, answered 200.
    @Test func aWooCommerceDeletionIsSkippedNotRefused() async throws {
        let (status, stored) = try await Self.deliver("woocommerce/order-5120-deleted.json", source: "woo", topic: "order.deleted")
        #expect(status == .ok)
        let job = try #require(stored)
        #expect(job.state == .skipped)
        #expect(job.externalID == "5120")
        #expect(job.lastError?.contains("deleted in WooCommerce (order.deleted)") == true, "\(job.lastError ?? "")")
        #expect(job.plan.lead == nil && job.plan.contact == nil)
    }

    /// Shopify's `orders/cancelled` test notification: 18-digit ids, the `555-555-SHIP` phone,
    /// two variants of one product, a discount without a code, two gateways.
    @Test func aShopifyCancellationTestNotification() async throws {
        let (status, stored) = try await Self.deliver("shopify/orders-cancelled-9999.json", source: "shop", topic: "orders/cancelled")
        #expect(status == .accepted)
        let job = try #require(stored)
        #expect(job.externalID == "1234", "order_number")
        let lead = try #require(job.plan.lead)
        #expect(lead.name == "Заказ #1234")
        #expect(lead.price == 403)
        #expect(lead.statusID == 143 && lead.mappedStatusID == 143, "cancelled_at → the status mapped for cancelled")
        #expect(Self.fields(lead)["Оплата"] == "visa, bogus")
        let contact = try #require(job.plan.contact)
        #expect(contact.name == "John Smith")
        #expect(contact.emails == ["jon@example.com"], "the order's email before the customer's")
        #expect(contact.phones.isEmpty)
        #expect(contact.unmatchedPhones == ["555-555-SHIP"], "kept as written, never a match key")
        #expect(job.warnings == [#"customer.phone: "555-555-SHIP" is not a valid phone number for US, value dropped"#])
        #expect(
            Self.lines(job.plan.note) == [
                "Заказ #1234",
                "Товары:",
                "Example T-Shirt - Small (example-shirt-s) 199.00 × 1 = 199.00 USD",
                "Example T-Shirt - Medium (example-shirt-m) 199.00 × 1 = 199.00 USD",
                "Доставка: Generic Shipping (10.00 USD)",
                "Скидка: 5.00 USD",
                "Оплата: visa, bogus",
                "Телефон (не распознан): 555-555-SHIP",
                "Адрес: Shippington, 123 Shipping Street",
                "Итого: 403.00 USD",
            ])
    }

    /// `orders/create`, then `orders/updated` when the order is paid: one order, the update queued
    /// behind it and carrying the status the lead moves to.
    @Test func aShopifyOrderCreatedThenUpdated() async throws {
        let intake = try Self.intake()
        var order = try JSONValue.parse(try Fixtures.data("shopify/order-1001.json"))
        #expect(try await Self.post(order.canonicalData, source: "shop", topic: "orders/create", to: intake) == .accepted)
        order.set("financial_status", "paid")
        order.set("updated_at", "2008-01-11T09:30:00-05:00")
        #expect(try await Self.post(order.canonicalData, source: "shop", topic: "orders/updated", to: intake) == .accepted)
        #expect(try await Self.post(order.canonicalData, source: "shop", topic: "orders/updated", to: intake) == .ok, "a resend")
        let jobs = try await intake.store.list(JobFilter()).sorted { $0.id < $1.id }
        #expect(jobs.map(\.externalID) == ["1001", "1001"])
        #expect(jobs.last?.plan.lead?.mappedStatusID == 556, "paid → status_map")
        #expect(jobs.first?.plan.lead?.mappedStatusID == nil, "partially_refunded is not mapped")
    }

    /// A POS sale: no customer, no email, no addresses. A lead without a contact, with a warning.
    @Test func aShopifyPOSSaleWithoutACustomer() async throws {
        let (status, stored) = try await Self.deliver("shopify/pos-order-1002-no-customer.json", source: "shop", topic: "orders/create")
        #expect(status == .accepted)
        let job = try #require(stored)
        #expect(job.state == .queued)
        #expect(job.plan.contact == nil)
        #expect(job.plan.lead?.price == 19, "18.90 EUR")
        #expect(job.warnings == ["the order has no usable phone or email: the lead is created without a contact"])
        #expect(
            Self.lines(job.plan.note) == [
                "Заказ #1002", "Товары:", "Tasse Berlin - Weiß (MUG-BER-W) 9.45 × 2 = 18.90 EUR", "Оплата: cash", "Итого: 18.90 EUR",
            ])
    }

    /// A Tilda form with Tilda's own UTM cookie, Yandex Metrica's id and a Roistat visit.
    @Test func aTildaCallbackFormWithCookies() async throws {
        let (status, stored) = try await Self.deliver("tilda/form-callback.urlencoded", source: "tilda")
        #expect(status == .accepted)
        let job = try #require(stored)
        #expect(job.kind == .form)
        #expect(job.externalID == "3245871:4582910021", "tranid")
        let lead = try #require(job.plan.lead)
        let fields = Self.fields(lead)
        #expect(fields["UTM_SOURCE"] == "google", "TILDAUTM")
        #expect(fields["UTM_MEDIUM"] == "cpc")
        #expect(fields["roistat"] == "778899", "roistat_visit")
        let contact = try #require(job.plan.contact)
        #expect(contact.name == "Иван Петров")
        #expect(contact.phones == ["+79125550104"])
        #expect(contact.emails == ["ivan.petrov@example.ru"])
        #expect(
            Self.lines(job.plan.note) == [
                "Заявка с формы tilda",
                "Comments: Перезвоните после 18:00",
                "Email: Ivan.Petrov@Example.ru",
                "Name: Иван Петров",
                "Phone: +7 (912) 555-01-04",
                "formname: Обратный звонок",
                "UTM: _ym_uid=1700000000123456789, roistat=778899, utm_campaign=autumn_sale, utm_medium=cpc, utm_source=google",
            ])
    }

    /// A Tilda cart from Kazakhstan: a product option, a promo code, courier delivery with an address.
    @Test func aTildaCartWithOptionsPromoCodeAndDelivery() async throws {
        let (status, stored) = try await Self.deliver("tilda/cart-1876543210.urlencoded", source: "tilda")
        #expect(status == .accepted)
        let job = try #require(stored)
        #expect(job.kind == .order)
        #expect(job.externalID == "1876543210", "payment[orderid]")
        let lead = try #require(job.plan.lead)
        #expect(lead.name == "Заказ #1876543210")
        #expect(lead.price == 6215)
        let fields = Self.fields(lead)
        #expect(fields["Купон"] == "AUTUMN −635", "the amount taken off, not the promo's \"10%\"")
        #expect(fields["Доставка"] == "Курьер по Алматы")
        #expect(fields["roistat"] == "445566")
        let contact = try #require(job.plan.contact)
        #expect(contact.name == "Айгерим Садыкова")
        #expect(contact.phones == ["+77011234567"])
        #expect(contact.emails == ["aigerim@example.kz"])
        #expect(
            Self.lines(job.plan.note) == [
                "Заказ #1876543210",
                "Товары:",
                "Чайник «Утро» – Цвет: Белый (KT-01) 4900 × 1 = 4900",
                "Кружка (MUG-1) 725 × 2 = 1450",
                "Доставка: Курьер по Алматы (500)",
                "Купоны: AUTUMN −635",
                "Адрес: Казахстан, Алматы, ул. Абая 1",
                "Итого: 6215",
                "UTM: roistat=445566",
            ])
    }

    /// The third round: Tilda carts in each shape, WooCommerce's escaped titles, Shopify's
    /// presentment currency — posted as the platforms post them.
    @Test(
        arguments: [
            ("tilda/cart-json-string-1487047237.urlencoded", "tilda", nil, "1487047237", 500, "Купоны: МХЛ50 −500"),
            (
                "tilda/cart-json-string-cloudpayments.urlencoded", "tilda", nil, "1869817991", 5,
                "Оплата: cloudpayments (транзакция 3521002298)"
            ),
            ("tilda/cart-json-body-yakassa.json", "tilda", nil, "1624284557", 28, "Чай \"Лапсанг\" (TEA-7) 2 × 3 = 6"),
            (
                "woocommerce/order-8831-usps-variations.json", "woo", "order.created", "8831", 88,
                "Доставка: USPS Ground Advantage™ (7.95 USD)"
            ),
            (
                "shopify/order-presentment-gbp.json", "shop", "orders/paid", "2087", 162,
                "Итого: 162.04 EUR (в валюте покупателя: 142.32 GBP)"
            ),
        ] as [(String, String, String?, String, Int, String)])
    func genuineShapesOfTheThirdRound(file: String, source: String, topic: String?, id: String, price: Int, line: String) async throws {
        let (status, stored) = try await Self.deliver(file, source: source, topic: topic)
        #expect(status == .accepted)
        let job = try #require(stored)
        #expect(job.kind == .order)
        #expect(job.externalID == id)
        #expect(job.plan.lead?.price == price)
        #expect(Self.lines(job.plan.note).contains(line), "\(Self.lines(job.plan.note))")
        let text = (job.plan.note ?? "") + (job.plan.lead?.fields.map(\.value).joined() ?? "")
        #expect(!text.contains("&#") && !text.contains("&amp;") && !text.contains("&quot;") && !text.contains("{\""), "\(text)")
    }
}
