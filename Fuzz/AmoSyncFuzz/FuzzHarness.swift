import AmoAPI
import Foundation
import AmoSyncCore

/// One fuzz input through what the public intake does with untrusted bytes — body decoding
/// (JSON, urlencoded, multipart), the WooCommerce, Shopify and Tilda-cart adapters, mapping,
/// storing the plan's JSON and reading it back — and through what amosync does with amoCRM's
/// answers (a `leads/complex` result, a contact page, a problem with validation errors), as a
/// hostile server could give them. The first byte picks the route. Any trap is a finding; so
/// is a broken invariant (`check`).
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
        switch selector % 9 {
        case 0: order(try? BodyDecoder.decode(Data(body), as: .json))
        case 1: form(try? BodyDecoder.decode(Data(body), as: .urlencoded))
        case 2: form(try? BodyDecoder.decode(Data(body), as: .multipart(boundary: "B")))
        case 3: if let value = try? JSONValue.parse(Data(body)) { order(try? WooCommerceAdapter.order(value)) }
        case 4: if let value = try? JSONValue.parse(Data(body)) { order(try? ShopifyAdapter.order(value)) }
        case 5: _ = BodyDecoder.kind(of: String(decoding: body, as: UTF8.self))
        case 6: complexAnswer(Data(body))
        case 7: contactPage(Data(body))
        default: problem(Data(body))
        }
    }

    /// A `leads/complex` answer is believed only when it fits: every id positive, every entry
    /// answered once, by a request id that was sent.
    static func complexAnswer(_ body: Data) {
        guard let results = try? AmoJSON.decode([ComplexResult].self, from: body) else { return }
        guard let sorted = try? BatchAnswer.sort(results, sent: 50) else { return }
        check(sorted.keys.allSatisfy { (0..<50).contains($0) }, "an answer was sorted to an entry that was not sent")
        check(sorted.values.allSatisfy { $0.id > 0 && ($0.contactID ?? 1) > 0 }, "an id that is not positive was believed")
        let unmerged = results.filter { !$0.merged }.map(\.id)
        check(Set(unmerged).count == unmerged.count, "one id was believed for two entries")
    }

    /// A contact page: sorted like a batch answer, and every contact read for matching.
    static func contactPage(_ body: Data) {
        guard let page = try? AmoJSON.decode(Page<Contact>.self, from: body) else { return }
        if let sorted = try? BatchAnswer.sort(page, sent: 10, id: \.id, requestID: \.requestID) {
            check(sorted.values.allSatisfy { ($0.id ?? 0) > 0 }, "a contact id that is not positive was believed")
        }
        for contact in page.items {
            for value in contact.phones.compactMap(\.text) { _ = ContactKey.phone(value, countryCode: "7") }
            for value in contact.emails.compactMap(\.text) { _ = ContactKey.email(value) }
        }
    }

    /// An error answer: every validation path is read into a typed one.
    static func problem(_ body: Data) {
        guard let problem = try? AmoJSON.decode(Problem.self, from: body) else { return }
        for group in problem.validationErrors ?? [] { for error in group.errors { _ = error.field } }
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
        // The Tilda hook reads a cart out of the same fields.
        if case .object(let values) = value, let payment = TildaCart.payment(values) {
            let cart = TildaCart.order(
                values, payment: payment, nameInput: "Name", phoneInput: "Phone", emailInput: "Email", fallbackID: "fuzz")
            if let mapped = try? mapper.mapOrder(cart, source: "tilda", requireContact: false) { stored(mapped) }
        }
    }

    /// What is written is read back as the same value.
    static func roundTrip(_ value: JSONValue) {
        check((try? JSONValue.parse(value.canonicalData)) == value, "canonical JSON does not read back as the same value")
    }

    /// A plan intake would store always decodes again (no poison job).
    static func stored(_ mapped: MappedJob) {
        let text = mapped.plan.json.canonicalData
        check((try? DeliveryPlan(json: JSONValue.parse(text))) == mapped.plan, "a stored plan does not read back as itself")
    }

    static func check(_ condition: Bool, _ message: String) {
        if !condition { fatalError(message) }
    }
}
