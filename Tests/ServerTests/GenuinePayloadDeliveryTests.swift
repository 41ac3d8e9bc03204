import Foundation
import Testing

@testable import AmoCRMFake
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestFixtures
@testable import TestSupport

/// A genuine platform body through the daemon (`GenuinePayloadTests` maps the same bodies).
@Suite struct GenuinePayloadDeliveryTests {
    /// The same WooCommerce order through the daemon: what reaches the fake amoCRM.
    @Test func theWooCommerceOrderReachesAmoCRM() async throws {
        let fake = try await RunningFake.start()
        defer { fake.stop() }
        let daemon = try await RunningDaemon.start(fake: fake) { json in
            json.set("sources", ["woo": ["type": "woocommerce", "secret": .string("wc-secret")]])
        }
        let body = try Fixtures.data("woocommerce/order-727-fee-coupon.json")
        let answer = try await daemon.send(
            "/v1/hooks/woo", body: body, contentType: "application/json", token: nil,
            headers: ["X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": webhookSignature(body, "wc-secret")])
        #expect(answer.status == 202)
        try await daemon.waitIdle()
        await daemon.stop()
        let state = await fake.state.snapshot()
        let lead = try #require(state["leads"]?.arrayValue?.first)
        #expect(lead["price"] == 125)
        let contact = try #require(state["contacts"]?.arrayValue?.first)
        #expect(contact["name"] == "John Doe")
        #expect(customFields(contact)["PHONE"] == ["+15555555555"])
        let note = state["notes"]?.value(at: "0.params.text")?.stringValue ?? ""
        #expect(note.contains("Ship Your Idea – Color: Black"), "entities decoded: \(note)")
        #expect(!note.contains("Оплата: \n") && !note.hasSuffix("Оплата: "))
    }
}
