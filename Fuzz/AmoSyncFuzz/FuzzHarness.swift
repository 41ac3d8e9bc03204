import Foundation
@testable import AmoSyncCore

/// One fuzz input through what the public intake does with untrusted bytes: body decoding
/// (JSON, urlencoded, multipart), the WooCommerce and Shopify adapters, mapping, storing
/// the plan's JSON and reading it back. The first byte picks the route. Any trap is a
/// finding; so is a broken invariant (`check`).
enum FuzzHarness {
    static let config: Config = {
        let json = #"""
            {"database": {"path": "/nonexistent/fuzz.sqlite3"},
             "amocrm": {"subdomain": "fuzz", "long_lived_token": "t"},
             "intake": {"tokens": ["fuzz-intake-token-0123456789"]},
             "orders": {"pipeline_id": 1, "status_id": 2, "categories": {"40": {"pipeline_id": 3, "status_id": 4}},
                        "status_map": {"paid": 5}, "lead_fields": {"goods": "Goods", "delivery.name": "Delivery"}},
             "utm_fields": {"utm_source": "UTM_SOURCE"},
             "forms": {"callback": {"pipeline_id": 1, "status_id": 2, "lead_fields": {"message": "Message"}, "required_fields": ["phone"]}}}
            """#
        return try! Config.parse(Data(json.utf8), environment: [:])
    }()
    static let mapper = Mapper(config: config)

    static func run(_ input: Data) {
        guard let selector = input.first else { return }
        let body = input.dropFirst()
        switch selector % 6 {
        case 0: order(try? BodyDecoder.decode(Data(body), as: .json))
        case 1: form(try? BodyDecoder.decode(Data(body), as: .urlencoded))
        case 2: form(try? BodyDecoder.decode(Data(body), as: .multipart(boundary: "B")))
        case 3: if let value = try? JSONValue.parse(Data(body)) { order(try? WooCommerceAdapter.order(value)) }
        case 4: if let value = try? JSONValue.parse(Data(body)) { order(try? ShopifyAdapter.order(value)) }
        default: _ = BodyDecoder.kind(of: String(decoding: body, as: UTF8.self))
        }
    }

    static func order(_ value: JSONValue?) {
        guard let value else { return }
        roundTrip(value)
        if let mapped = try? mapper.mapOrder(value) { stored(mapped) }
        if let mapped = try? mapper.mapContact(value) { stored(mapped) }
    }

    static func form(_ value: JSONValue?) {
        guard let value else { return }
        roundTrip(value)
        if let mapped = try? mapper.mapForm("callback", values: value, externalID: "fuzz") { stored(mapped) }
    }

    /// What is written is read back as the same value.
    static func roundTrip(_ value: JSONValue) {
        check((try? JSONValue.parse(value.canonicalData)) == value, "canonical JSON does not read back as the same value")
    }

    /// A plan intake would store always decodes again (no poison job).
    static func stored(_ mapped: MappedJob) {
        let text = mapped.plan.json.canonicalData
        check((try? JSONDecoder().decode(DeliveryPlan.self, from: text)) == mapped.plan, "a stored plan does not decode to itself")
    }

    static func check(_ condition: Bool, _ message: String) {
        if !condition { fatalError(message) }
    }
}
