import Foundation
import Testing

@testable import AmoSyncCore
@testable import TestFixtures

/// The third round of genuine shapes (`Tests/Fixtures`, sources in its README): Tilda carts in
/// every shape Tilda sends, no HTML entity or tag from any platform, what the customer paid.
@Suite struct PlatformShapesTests {
    static let config = MappingFixtures.config {
        $0.set(
            "orders.lead_fields",
            ["goods": "Товары", "coupons": "Купон", "fees": "Сборы", "payment.name": "Оплата", "delivery.name": "Доставка"])
    }

    static func lines(_ note: String?) -> [String] { (note ?? "").split(separator: "\n").map(String.init) }

    static func fields(_ plan: LeadPlan?) -> [String: String] {
        Dictionary((plan?.fields ?? []).map { ($0.field.label, $0.value) }, uniquingKeysWith: { $1 })
    }

    /// A Tilda submission as the webhook delivers it: the urlencoded (or JSON) body decoded, the
    /// cart found, the order mapped under the orders rules.
    static func tildaCart(_ name: String) throws -> MappedJob {
        let kind: BodyDecoder.Kind = name.hasSuffix(".json") ? .json : .urlencoded
        guard case .object(let values) = try BodyDecoder.decode(try Fixtures.data(name), as: kind) else {
            throw MappingError(path: "", problem: "the fixture is not a form")
        }
        let payment = try #require(TildaCart.payment(values), "the cart is recognised")
        let order = TildaCart.order(values, payment: payment, nameInput: "Name", phoneInput: "Phone", emailInput: "Email", fallbackID: "x")
        return try Mapper(config: config).mapOrder(order, source: "tilda", requireContact: false)
    }

    /// `payment` as one input holding JSON, products as `name=amount` lines, a 50 % promo.
    @Test func aTildaCartSentAsAJSONStringWithProductLines() throws {
        let job = try Self.tildaCart("tilda/cart-json-string-1487047237.urlencoded")
        #expect(job.externalID == "1487047237")
        let lead = try #require(job.plan.lead)
        #expect(lead.price == 500, "the amount paid, after the promo")
        #expect(Self.fields(lead)["Купон"] == "МХЛ50 −500")
        #expect(Self.fields(lead)["Товары"] == "Участие ЮС Байкал 2026 1000 × 1 = 1000")
        #expect(Self.fields(lead)["Оплата"] == nil, "sys none: no online payment")
        #expect(job.plan.contact?.name == "Мария")
        #expect(job.plan.contact?.phones == ["+79950451149"])
        let note = Self.lines(job.plan.note)
        #expect(
            note == [
                "Заказ #1487047237", "Товары:", "Участие ЮС Байкал 2026 1000 × 1 = 1000", "Купоны: МХЛ50 −500", "Итого: 500",
            ], "\(note)")
        #expect(!(job.plan.note ?? "").contains("{"), "no raw JSON in the note")
    }

    /// Paid through CloudPayments: the payment system and its transaction in the note.
    @Test func aTildaCartPaidThroughAPaymentSystem() throws {
        let job = try Self.tildaCart("tilda/cart-json-string-cloudpayments.urlencoded")
        #expect(job.externalID == "1869817991")
        let lead = try #require(job.plan.lead)
        #expect(lead.price == 5, "4.90 paid")
        let fields = Self.fields(lead)
        #expect(fields["Оплата"] == "cloudpayments (транзакция 3521002298)")
        #expect(fields["Купон"] == "TEST −485.1")
        #expect(Self.lines(job.plan.note).contains("Оплата: cloudpayments (транзакция 3521002298)"))
        #expect(Self.lines(job.plan.note).contains("5 км Весна 2027 (Vesna5b-2027) 490 × 1 = 490"))
    }

    /// Tilda's JSON webhook: products as objects, the buyer's payment system, an entity in a
    /// product name, the delivery city.
    @Test func aTildaCartAsAJSONBody() throws {
        let job = try Self.tildaCart("tilda/cart-json-body-yakassa.json")
        #expect(job.externalID == "1624284557")
        let lead = try #require(job.plan.lead)
        #expect(lead.price == 28)
        let note = Self.lines(job.plan.note)
        #expect(note.contains("Чай \"Лапсанг\" (TEA-7) 2 × 3 = 6"), "&quot; decoded: \(note)")
        #expect(note.contains("Оплата: yakassa (транзакция 2b2d447b-000f-5000-9999-999999999999)"))
        #expect(note.contains("Доставка: Самовывоз (0)"))
        #expect(note.contains("Адрес: Пермь"))
        #expect(job.plan.contact?.emails == ["alexey@example.org"])
    }

    @Test(
        arguments: [
            ("Чайник x 2=2000", "Чайник", 2, 1000), ("Чайник х 3 = 3000", "Чайник", 3, 1000), ("Коврик × 4=100", "Коврик", 4, 25),
            ("Участие ЮС Байкал 2026=1000", "Участие ЮС Байкал 2026", 1, 1000), ("Дизайн x=проект", "Дизайн x=проект", 1, nil),
            ("Консультация", "Консультация", 1, nil),
        ] as [(String, String, Int, Int?)])
    func aTildaProductLineIsANameQuantityAndAmount(line: String, name: String, quantity: Int, price: Int?) throws {
        let item = try #require(TildaCart.item(line: line))
        #expect(item["name"]?.stringValue == name)
        #expect(item["quantity"]?.intValue == quantity)
        #expect(item["price"]?.intValue == price)
    }

    /// WooCommerce escapes every title: a shipping method, a fee, a coupon, item meta, the
    /// customer's note, the customer's name; variations say what the buyer picked.
    @Test func noHTMLEntityOrTagFromWooCommerceReachesAmoCRM() throws {
        let input = try WooCommerceAdapter.order(try JSONValue.parse(try Fixtures.data("woocommerce/order-8831-usps-variations.json")))
        let job = try Mapper(config: Self.config).mapOrder(input, source: "woo", requireContact: false)
        let lead = try #require(job.plan.lead)
        #expect(lead.price == 88, "87.90 USD")
        let fields = Self.fields(lead)
        #expect(fields["Доставка"] == "USPS Ground Advantage™")
        #expect(fields["Сборы"] == "Gift wrap & card 0.00 USD")
        #expect(fields["Купон"] == "spring&summer −5.00 USD")
        #expect(job.plan.contact?.name == "Jordan O'Neil")
        #expect(job.plan.contact?.phones == ["+16502530000"])
        let note = Self.lines(job.plan.note)
        #expect(note.contains("Hoodie - Blue, Yes (woo-hoodie-blue-logo) 40.00 × 1 = 40.00 USD"), "what the name says is not repeated")
        #expect(note.contains("V-Neck T-Shirt – Size: large (woo-vneck-tee-large) 18.00 × 2 = 36.00 USD"), "an attribute without a label")
        #expect(note.contains("Beanie with Logo – Engraving: For Anna & Bob 3.95 × 1 = 3.95 USD"), "meta with markup, decoded")
        #expect(note.contains("Комментарий: Leave at the door & ring twice"))
        #expect(note.contains("Возвраты: 3.95 USD (Beanie out of stock)"), "a partial refund is shown")
        #expect(note.contains("Thanks!"), "<br /> is a line break")
        let everything = (job.plan.note ?? "") + fields.values.joined() + (job.plan.contact?.name ?? "")
        #expect(!everything.contains("&#") && !everything.contains("&amp;") && !everything.contains("<"), "\(everything)")
        #expect(!everything.contains("_reduced_stock"), "hidden meta stays hidden")
    }

    /// A shop in EUR, a customer paying in GBP: the lead's price is the shop's, the note says
    /// what the customer paid; custom line properties are shown, hidden ones not.
    @Test func whatTheCustomerPaidInTheirCurrency() throws {
        let input = try ShopifyAdapter.order(try JSONValue.parse(try Fixtures.data("shopify/order-presentment-gbp.json")))
        let job = try Mapper(config: Self.config).mapOrder(input, source: "shop", requireContact: false)
        let lead = try #require(job.plan.lead)
        #expect(lead.price == 162, "the shop's 162.04 EUR")
        let note = Self.lines(job.plan.note)
        #expect(note.contains("Итого: 162.04 EUR (в валюте покупателя: 142.32 GBP)"), "\(note)")
        #expect(note.contains("Linen Shirt - M / Sand – Monogram: O.B. (LS-M-SAND) 76.02 × 2 = 152.04 EUR"), "\(note)")
        #expect(job.plan.contact?.phones == ["+447700900123"])
        // The same currency on both sides says nothing more.
        var same = try JSONValue.parse(try Fixtures.data("shopify/order-presentment-gbp.json"))
        same.set("presentment_currency", "EUR")
        same.set("total_price_set", ["presentment_money": ["amount": "162.04", "currency_code": "EUR"]])
        let plain = try Mapper(config: Self.config).mapOrder(try ShopifyAdapter.order(same), source: "shop", requireContact: false)
        #expect(Self.lines(plain.plan.note).contains("Итого: 162.04 EUR"))
    }

    @Test(arguments: [
        ("Ground Advantage&#8482;", "Ground Advantage™"), ("Gift &amp; wrap", "Gift & wrap"), ("Ship &amp;#8482;", "Ship ™"),
        ("<strong>Bold</strong> name", "Bold name"), ("line<br>two<br/>three", "line\ntwo\nthree"), ("5 < 7 > 3", "5 < 7 > 3"),
        ("&lt;em&gt;x&lt;/em&gt;", "x"), ("a &unknown; b", "a &unknown; b"), ("R&D", "R&D"),
    ])
    func platformTextIsPlain(raw: String, plain: String) {
        #expect(PlatformText.plain(raw) == plain)
    }
}
