import AmoSyncCore
import Foundation

/// A WooCommerce shop as its REST API v3 and its webhooks behave, for tests and `sandbox`:
/// orders in the documented shape, Basic auth with a consumer key and secret (401 otherwise),
/// the core status enum (400 `rest_invalid_param` otherwise), order notes, and an
/// `order.updated` webhook signed like WooCommerce signs it, delivered one at a time and
/// disabled after 5 failed deliveries in a row.
package actor FakeWooShop {
    package struct Counts: Sendable, Equatable {
        /// Status changes made through the API (`PUT /orders/{id}`).
        package var apiStatusWrites = 0
        /// Status changes made by the shop's staff (`/__shop/orders/{id}/status`).
        package var staffStatusChanges = 0
        package var notes = 0
        package var unauthorized = 0
        package var webhooksDelivered = 0
        package var webhooksFailed = 0
        /// `GET /orders` pages listed, and `GET /webhooks` reads.
        package var listRequests = 0
        package var webhookReads = 0
    }

    package static let statuses = ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"]
    let consumerKey: String
    let consumerSecret: String
    var orders: [Int: JSONValue] = [:]
    var orderNotes: [Int: [String]] = [:]
    var nextOrder = 1000
    package internal(set) var counts = Counts()
    /// The shop's webhooks (one a topic, as WooCommerce keeps them): each off after 5 failed
    /// deliveries in a row.
    var hooks: [Hook] = []
    var outbox: [(hook: Int, body: Data)] = []
    var delivering = false
    var listsHeld = false
    var listWaiters: [CheckedContinuation<Void, Never>] = []
    /// WooCommerce before 5.8: `modified_after` is not a parameter yet, and is ignored.
    package var ignoresModifiedAfter = false
    package func setIgnoresModifiedAfter(_ ignores: Bool) { ignoresModifiedAfter = ignores }
    /// A shop (or a caching proxy) that drops `include` and answers with its newest orders.
    package var ignoresInclude = false
    package func setIgnoresInclude(_ ignores: Bool) { ignoresInclude = ignores }

    package init(consumerKey: String, consumerSecret: String) {
        self.consumerKey = consumerKey
        self.consumerSecret = consumerSecret
    }

    package func status(of id: Int) -> String? { orders[id]?["status"]?.stringValue }
    package func notes(of id: Int) -> [String] { orderNotes[id] ?? [] }
    package var orderIDs: [Int] { orders.keys.sorted() }

    /// A customer checks out: a new order, and its `order.created` delivery.
    @discardableResult
    package func checkout(name: String, phone: String, email: String, status: String = "processing") -> Int {
        nextOrder += 1
        let id = nextOrder
        orders[id] = Self.order(id: id, name: name, phone: phone, email: email, status: status, at: Date())
        deliver("order.created", orders[id]!)
        return id
    }

    /// The shop's staff change an order's status in wp-admin.
    package func staffSetStatus(_ id: Int, _ status: String) {
        guard orders[id] != nil, orders[id]?["status"]?.stringValue != status else { return }
        counts.staffStatusChanges += 1
        setStatus(id, status)
    }

    /// Each order's statuses as they were set, with the time (for a failing test's message).
    package private(set) var history: [Int: [String]] = [:]
    private func setStatus(_ id: Int, _ status: String) {
        guard case .object(var order) = orders[id] else { return }
        history[id, default: []].append("\(status)@\(Date().timeIntervalSince1970)")
        order["status"] = .string(status)
        let now = Self.timestamp(Date())
        order["date_modified"] = .string(now)
        order["date_modified_gmt"] = .string(now)
        orders[id] = .object(order)
        deliver("order.updated", .object(order))
    }

    /// Answers one REST request (`/wp-json/wc/v3/…`); the headers are the list's totals.
    package func handle(
        method: String, path: String, query: [String: String] = [:], authorization: String?, body: Data
    ) -> (
        status: Int, body: JSONValue, headers: [String: String]
    ) {
        let expected = "Basic " + Data("\(consumerKey):\(consumerSecret)".utf8).base64EncodedString()
        guard let authorization, Hashing.constantTimeEqual(Array(authorization.utf8), Array(expected.utf8)) else {
            counts.unauthorized += 1
            return (401, Self.error("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.", 401), [:])
        }
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts[0...2] == ["wp-json", "wc", "v3"] else {
            return (404, Self.error("rest_no_route", "No route was found matching the URL and request method.", 404), [:])
        }
        if parts[3] == "webhooks", parts.count <= 5 {
            let answer = webhooks(method: method, id: parts.count == 5 ? parts[4] : nil, body: body, query: query)
            return (answer.status, answer.body, [:])
        }
        if parts == ["wp-json", "wc", "v3", "orders"], method == "GET" { return list(query) }
        let answer = order(method: method, parts: parts, body: body)
        return (answer.status, answer.body, [:])
    }

    /// `GET|PUT /orders/{id}`, `POST /orders/{id}/notes`.
    func order(method: String, parts: [String], body: Data) -> (status: Int, body: JSONValue) {
        guard parts.count >= 5, parts[3] == "orders", let id = Int(parts[4]), orders[id] != nil else {
            return (404, Self.error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404))
        }
        switch (method, parts.count) {
        case ("GET", 5):
            return (200, orders[id]!)
        case ("PUT", 5), ("POST", 5), ("PATCH", 5):
            guard let json = try? JSONValue.parse(body), case .object(let fields) = json else {
                return (400, Self.error("rest_invalid_json", "Invalid JSON body passed.", 400))
            }
            if let status = fields["status"] {
                guard let text = status.stringValue, Self.statuses.contains(text) else {
                    return (
                        400,
                        .object([
                            "code": "rest_invalid_param", "message": "Invalid parameter(s): status",
                            "data": [
                                "status": 400,
                                "params": ["status": .string("status is not one of \(Self.statuses.joined(separator: ", ")).")],
                            ],
                        ])
                    )
                }
                if orders[id]?["status"]?.stringValue != text {
                    counts.apiStatusWrites += 1
                    setStatus(id, text)
                }
            }
            return (200, orders[id]!)
        case ("POST", 6) where parts[5] == "notes":
            guard let note = (try? JSONValue.parse(body))?["note"]?.stringValue, !note.isEmpty else {
                return (400, Self.error("rest_missing_callback_param", "Missing parameter(s): note", 400))
            }
            counts.notes += 1
            orderNotes[id, default: []].append(note)
            let noteID = 500 + counts.notes
            return (201, ["id": .number(JSONNumber(noteID)), "note": .string(note), "customer_note": false])
        default:
            return (404, Self.error("rest_no_route", "No route was found matching the URL and request method.", 404))
        }
    }

    /// What the shop's people do, without auth (`sandbox`, tests): `POST /__shop/orders`
    /// `{"name", "phone", "email"}` checks out; `POST /__shop/orders/{id}/status` `{"status"}` is staff
    /// in wp-admin; `GET /__shop/orders/{id}` is the order with its notes.
    package func control(method: String, path: String, body: Data) -> (status: Int, body: JSONValue) {
        let parts = path.split(separator: "/").map(String.init)
        let json = (try? JSONValue.parse(body)) ?? [:]
        switch (method, parts.count) {
        case ("POST", 2) where parts[1] == "orders":
            let id = checkout(
                name: json["name"]?.stringValue ?? "Anna Ivanova", phone: json["phone"]?.stringValue ?? "+7 912 555-01-02",
                email: json["email"]?.stringValue ?? "anna@example.org")
            return (201, ["id": .number(JSONNumber(id)), "status": .string(status(of: id) ?? "")])
        case ("GET", 3) where parts[1] == "orders":
            guard let id = Int(parts[2]), let order = orders[id] else { return (404, Self.error("no_order", "no such order", 404)) }
            return (
                200,
                ["id": .number(JSONNumber(id)), "status": order["status"] ?? .null, "notes": .array(notes(of: id).map(JSONValue.string))]
            )
        case ("POST", 4) where parts[1] == "orders" && parts[3] == "status":
            guard let id = Int(parts[2]), orders[id] != nil, let status = json["status"]?.stringValue, Self.statuses.contains(status) else {
                return (400, Self.error("bad_request", "an order id and one of \(Self.statuses.joined(separator: ", ")) are needed", 400))
            }
            staffSetStatus(id, status)
            return (200, ["id": .number(JSONNumber(id)), "status": .string(status)])
        default:
            return (404, Self.error("rest_no_route", "unknown control path \(path)", 404))
        }
    }

    static func error(_ code: String, _ message: String, _ status: Int) -> JSONValue {
        ["code": .string(code), "message": .string(message), "data": ["status": .number(JSONNumber(status))]]
    }

    // MARK: The order, in REST API v3's documented shape.

    static func timestamp(_ date: Date) -> String { WooCommerceAdapter.gmtText(date) }

    static func order(id: Int, name: String, phone: String, email: String, status: String, at date: Date) -> JSONValue {
        let time = timestamp(date)
        let names = name.split(separator: " ", maxSplits: 1).map(String.init)
        let billing: JSONValue = [
            "first_name": .string(names.first ?? name), "last_name": .string(names.count > 1 ? names[1] : ""), "company": "",
            "address_1": "Lenina 5", "address_2": "", "city": "Perm", "state": "", "postcode": "614000", "country": "RU",
            "email": .string(email), "phone": .string(phone),
        ]
        return [
            "id": .number(JSONNumber(id)), "parent_id": 0, "number": .string("\(id)"), "order_key": .string("wc_order_\(id)"),
            "created_via": "checkout", "version": "9.4.2", "status": .string(status), "currency": "RUB", "date_created": .string(time),
            "date_created_gmt": .string(time), "date_modified": .string(time), "date_modified_gmt": .string(time),
            "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "390.00", "shipping_tax": "0.00", "cart_tax": "0.00",
            "total": "5490.00", "total_tax": "0.00", "prices_include_tax": false, "customer_id": 0, "customer_ip_address": "203.0.113.7",
            "customer_user_agent": "Mozilla/5.0", "customer_note": "", "billing": billing,
            "shipping": [
                "first_name": .string(names.first ?? name), "last_name": "", "company": "", "address_1": "Lenina 5", "address_2": "",
                "city": "Perm", "state": "", "postcode": "614000", "country": "RU", "phone": "",
            ],
            "payment_method": "cod", "payment_method_title": "Cash on delivery", "transaction_id": "", "date_paid": .null,
            "date_paid_gmt": .null, "date_completed": .null, "date_completed_gmt": .null, "cart_hash": "", "meta_data": [],
            "line_items": [
                [
                    "id": .number(JSONNumber(id * 10)), "name": "Kettle", "product_id": 77, "variation_id": 0, "quantity": 1,
                    "tax_class": "", "subtotal": "5100.00", "subtotal_tax": "0.00", "total": "5100.00", "total_tax": "0.00", "taxes": [],
                    "meta_data": [], "sku": "K-77", "price": 5100,
                ]
            ],
            "tax_lines": [],
            "shipping_lines": [
                [
                    "id": .number(JSONNumber(id * 10 + 1)), "method_title": "Courier", "method_id": "flat_rate", "total": "390.00",
                    "total_tax": "0.00", "taxes": [], "meta_data": [],
                ]
            ],
            "fee_lines": [], "coupon_lines": [], "refunds": [],
        ]
    }
}
