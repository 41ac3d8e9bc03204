import Foundation
import Testing

@testable import AmoSyncCore
@testable import TestFixtures

/// Platform bodies in the shape the platforms send (`Tests/Fixtures`, sources in its README),
/// mapped as a webhook would be, asserted field by field and the note line by line.
@Suite struct GenuinePayloadTests {
    static func fixture(_ name: String) throws -> JSONValue { try JSONValue.parse(try Fixtures.data(name)) }

    static let config = MappingFixtures.config {
        $0.set("orders.lead_fields", ["goods": "Товары", "coupons": "Купон", "fees": "Сборы", "payment.name": "Оплата"])
        $0.set("orders.status_map", ["processing": 555, "cancelled": 143])
    }

    @Test func aWooCommerceOrderWithAFeeACouponAndAUSPhone() throws {
        let input = try WooCommerceAdapter.order(try Self.fixture("woocommerce/order-727-fee-coupon.json"))
        let job = try Mapper(config: Self.config).mapOrder(input, source: "woo", requireContact: false)
        #expect(job.externalID == "727")
        let lead = try #require(job.plan.lead)
        #expect(lead.name == "Заказ #727")
        #expect(lead.price == 125, "124.85 USD, rounded: amoCRM's budget is whole")
        #expect(lead.statusID == 555, "processing → status_map")
        let fields = Dictionary(lead.fields.map { ($0.field.label, $0.value) }, uniquingKeysWith: { $1 })
        #expect(fields["Купон"] == "30$off −30.00 USD")
        #expect(fields["Сборы"] == "Gift wrap 125.50 USD")
        #expect(fields["Оплата"] == "Direct Bank Transfer")
        let contact = try #require(job.plan.contact)
        #expect(contact.name == "John Doe")
        #expect(contact.phones == ["+15555555555"], "billing.country US, not default_country_code 7")
        #expect(contact.emails == ["john.doe@example.com"])
        let note = try #require(job.plan.note).split(separator: "\n").map(String.init)
        #expect(
            note == [
                "Заказ #727",
                "Товары:",
                "Woo Single #1 3.00 × 2 = 6.00 USD",
                "Ship Your Idea – Color: Black, Size: M Test (Bar3) 12.00 × 1 = 12.00 USD",
                "Доставка: Flat Rate (10.00 USD)",
                "Сборы: Gift wrap 125.50 USD",
                "Купоны: 30$off −30.00 USD",
                "Скидка: 30.00 USD",
                "Оплата: Direct Bank Transfer",
                "Адрес: San Francisco, 969 Market",
                "Итого: 124.85 USD",
            ], "\(note)")
    }

    @Test func aShopifyOrderWithADiscountCodeGatewayAndNoteAttributes() throws {
        let input = try ShopifyAdapter.order(try Self.fixture("shopify/order-1001.json"))
        let job = try Mapper(config: Self.config).mapOrder(input, source: "shop", requireContact: false)
        #expect(job.externalID == "1001")
        let lead = try #require(job.plan.lead)
        #expect(lead.price == 599)
        let fields = Dictionary(lead.fields.map { ($0.field.label, $0.value) }, uniquingKeysWith: { $1 })
        #expect(fields["Купон"] == "TENOFF −10.00 USD")
        #expect(fields["Оплата"] == "bogus")
        let contact = try #require(job.plan.contact)
        #expect(contact.name == "Bob Norman")
        #expect(contact.phones == ["+557734881234"], "the order's phone, international")
        #expect(contact.emails == ["bob.norman@mail.example.com"])
        let note = try #require(job.plan.note).split(separator: "\n").map(String.init)
        #expect(
            note == [
                "Заказ #1001",
                "Товары:",
                "IPod Nano - 8gb - green – Custom Engraving Front: Happy Birthday (IPOD2008GREEN) 199.00 × 1 = 199.00 USD",
                "IPod Nano - 8gb - red (IPOD2008RED) 199.00 × 1 = 199.00 USD",
                "IPod Nano - 8gb - black (IPOD2008BLACK) 199.00 × 1 = 199.00 USD",
                "Доставка: Free Shipping (0.00 USD)",
                "Купоны: TENOFF −10.00 USD",
                "Скидка: 10.00 USD",
                "Оплата: bogus",
                "Адрес: Louisville, Chestnut Street 92",
                "Итого: 598.94 USD",
                "Атрибуты: colour: green, custom engraving: Happy Birthday",
            ], "\(note)")
    }

    /// `orders/cancelled` (or any update with `cancelled_at`) moves the lead to the status mapped
    /// for `cancelled`.
    @Test func aShopifyCancellationIsTheCancelledStatus() throws {
        var order = try Self.fixture("shopify/order-1001.json")
        order.set("cancelled_at", "2008-01-10T12:00:00-05:00")
        order.set("cancel_reason", "customer")
        let input = try ShopifyAdapter.order(order)
        #expect(input["status"] == "cancelled")
        let job = try Mapper(config: Self.config).mapOrder(input, source: "shop", requireContact: false)
        #expect(job.plan.lead?.mappedStatusID == 143)
    }

    /// Shopify's current sample payloads carry 18-digit product ids: two that differ only in the
    /// last digit (beyond a double's precision) route through their own `catalog` entries.
    @Test func eighteenDigitProductIDsRouteThroughTheirOwnCatalogEntries() throws {
        let config = MappingFixtures.config {
            $0.set("catalog", ["products": ["788032119674292922": [40], "788032119674292923": [12]]])
        }
        for (productID, pipeline) in [("788032119674292922", 200), ("788032119674292923", 300)] {
            let body =
                #"{"id":820982911946154508,"order_number":1234,"email":"jon@example.com","currency":"USD","total_price":"10.00","#
                + #""line_items":[{"id":866550311766439020,"product_id":\#(productID),"title":"Example T-Shirt","quantity":1,"#
                + #""price":"10.00"}]}"#
            let input = try ShopifyAdapter.order(try JSONValue.parse(Data(body.utf8)))
            #expect(input.value(at: "items.0.id") == .string(productID), "every digit kept")
            let job = try Mapper(config: config).mapOrder(input, source: "shop", requireContact: false)
            #expect(job.plan.lead?.pipelineID == pipeline, "\(productID)")
        }
    }
}
