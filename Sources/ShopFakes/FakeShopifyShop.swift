import AmoSyncCore
import Foundation

/// A Shopify shop as its GraphQL Admin API and its webhooks behave, for tests: an access token
/// in `X-Shopify-Access-Token` (a static one, or one from the client credentials grant that
/// expires), 401 otherwise; the calculated-cost bucket (a query is charged before it runs and
/// answered `THROTTLED` with HTTP 200 when the bucket cannot pay, every answer carrying
/// `extensions.cost`); `orderClose`, `orderCancel` (its documented required arguments),
/// `tagsAdd` with `userErrors`; and signed `orders/create`, `orders/updated` and
/// `orders/cancelled` webhooks in the REST order shape, delivered one at a time.
package actor FakeShopifyShop {
    package struct Counts: Sendable, Equatable {
        package var graphQL = 0
        package var throttled = 0
        package var unauthorized = 0
        package var tokensIssued = 0
        package var closes = 0
        package var cancels = 0
        package var tagsAdded = 0
        package var webhooksDelivered = 0
        package var webhooksFailed = 0
        package var maxCostExceeded = 0
    }

    /// Stable versions: `YYYY-01`, `-04`, `-07`, `-10`.
    static func isVersion(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        return parts.count == 2 && parts[0].count == 4 && Int(parts[0]) != nil && ["01", "04", "07", "10"].contains(parts[1])
    }
    package let domain: String
    let staticToken: String?
    let clientID: String
    let clientSecret: String
    /// How long a token from the client credentials grant lives (Shopify: 86,399 s).
    var tokenLifetime: TimeInterval = 86_399
    var issued: [String: Date] = [:]
    package internal(set) var counts = Counts()
    /// The bucket: at most `maximum` points, `restoreRate` back a second.
    let maximum: Double
    let restoreRate: Double
    var available: Double
    var bucketAt = Date()
    /// The HTTP status of a `THROTTLED` answer: Shopify's is 200; 429 as some report it.
    var throttledStatus = 200
    package func answerThrottledWith(_ status: Int) { throttledStatus = status }
    /// `drain(to:)`: nothing is restored before the next query.
    var heldEmpty = false
    var orders: [Int: JSONValue] = [:]
    package internal(set) var staffNotes: [Int: [String]] = [:]
    var nextID = 450_789_469
    var nextNumber = 1000
    /// The app's webhook subscriptions (`orders/create` …), signed with `hookSecret`.
    var subscriptions: [(id: Int, topic: String, uri: URL)] = []
    var lastSubscription = 7_000
    var hookSecret = ""
    var outbox: [(topic: String, body: Data)] = []
    var delivering = false

    package init(
        domain: String = "example.myshopify.com", accessToken: String?, clientID: String, clientSecret: String, maximum: Double = 2000,
        restoreRate: Double = 100
    ) {
        self.domain = domain
        self.staticToken = accessToken
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.maximum = maximum
        self.restoreRate = restoreRate
        self.available = maximum
    }

    /// Points the shop's order webhooks at `url`, signed with `secret` (the app's client secret).
    package func subscribe(_ url: URL, secret: String) {
        hookSecret = secret
        for topic in ["orders/create", "orders/updated", "orders/cancelled", "orders/delete"] {
            subscriptions.removeAll { $0.topic == topic }
            lastSubscription += 1
            subscriptions.append((lastSubscription, topic, url))
        }
    }

    /// Shopify removes a subscription after retrying a failing delivery for 48 hours.
    package func removeSubscription(_ topic: String) { subscriptions.removeAll { $0.topic == topic } }
    package func subscribed(_ topic: String) -> [String] {
        subscriptions.filter { $0.topic == topic }.map(\.uri.absoluteString)
    }

    /// Another client of the same app keeps the bucket at `points` until the next query comes.
    package func drain(to points: Double) {
        available = points
        heldEmpty = true
    }

    /// Every token the grant gave out ends now (their 24 hours are over).
    package func expireTokens() { issued = issued.mapValues { _ in .distantPast } }

    package func order(_ id: Int) -> JSONValue? { orders[id] }
    /// Staff tag an order in the admin (its `orders/updated` follows).
    package func staffTag(_ id: Int, _ tag: String) {
        change(id) { $0["tags"] = .string((Self.tags($0["tags"]?.stringValue) + [tag]).joined(separator: ", ")) }
    }

    /// Staff delete an order (its `orders/delete` webhook carries only the id).
    package func delete(_ id: Int) {
        guard orders.removeValue(forKey: id) != nil else { return }
        deliver("orders/delete", ["id": .number(JSONNumber(id))])
    }
    package func tags(of id: Int) -> [String] { Self.tags(orders[id]?["tags"]?.stringValue) }

    /// A customer checks out: a new order, and its `orders/create` delivery.
    @discardableResult
    package func checkout(name: String, phone: String, email: String, financialStatus: String = "paid") -> Int {
        nextID += 1
        nextNumber += 1
        orders[nextID] = Self.order(
            id: nextID, number: nextNumber, name: name, phone: phone, email: email, financialStatus: financialStatus, at: Date())
        deliver("orders/create", orders[nextID]!)
        return nextID
    }

    /// Answers one request: `POST /admin/oauth/access_token`, `POST /admin/api/{version}/graphql.json`.
    package func handle(method: String, path: String, token: String?, contentType: String?, body: Data) -> (status: Int, body: JSONValue) {
        if method == "POST", path == "/admin/oauth/access_token" { return grant(body, contentType: contentType) }
        let parts = path.split(separator: "/").map(String.init)
        guard method == "POST", parts.count == 4, parts[0] == "admin", parts[1] == "api", parts[3] == "graphql.json",
            Self.isVersion(parts[2])
        else { return (404, ["errors": "Not Found"]) }
        guard let token, token == staticToken || (issued[token].map { $0 > Date() } ?? false) else {
            counts.unauthorized += 1
            return (401, ["errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"])
        }
        guard let request = try? JSONValue.parse(body), let query = request["query"]?.stringValue else {
            return (400, ["errors": ["query": "Required parameter missing or invalid"]])
        }
        counts.graphQL += 1
        let answer = graphQL(query, variables: request["variables"]?.objectValue ?? [:])
        let throttled = answer["errors"]?.arrayValue?.first?["extensions"]?["code"] == "THROTTLED"
        return (throttled ? throttledStatus : 200, answer)
    }

    /// The client credentials grant: form-encoded or JSON `grant_type`, `client_id`, `client_secret`.
    func grant(_ body: Data, contentType: String?) -> (status: Int, body: JSONValue) {
        let fields: [String: String]
        if contentType?.hasPrefix("application/json") == true {
            fields = ((try? JSONValue.parse(body))?.objectValue ?? [:]).compactMapValues(\.stringValue)
        } else {
            fields = Dictionary(BodyDecoder.parseURLEncoded(String(decoding: body, as: UTF8.self)), uniquingKeysWith: { $1 })
        }
        guard fields["grant_type"] == "client_credentials" else {
            return (400, ["error": "unsupported_grant_type", "error_description": "The authorization grant type is not supported."])
        }
        guard fields["client_id"] == clientID, let secret = fields["client_secret"],
            Hashing.constantTimeEqual(Array(secret.utf8), Array(clientSecret.utf8))
        else {
            return (
                400,
                [
                    "error": "invalid_client",
                    "error_description": .string(
                        "Client authentication failed due to unknown client, no client authentication included, "
                            + "or unsupported authentication method."),
                ]
            )
        }
        counts.tokensIssued += 1
        let token = "shpat_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        issued[token] = Date().addingTimeInterval(tokenLifetime)
        return (
            200,
            ["access_token": .string(token), "scope": "read_orders,write_orders", "expires_in": .number(JSONNumber(Int(tokenLifetime)))]
        )
    }

    func refill() {
        let now = Date()
        if !heldEmpty { available = min(maximum, available + restoreRate * now.timeIntervalSince(bucketAt)) }
        heldEmpty = false
        bucketAt = now
    }

    /// `extensions.cost` as Shopify reports it.
    func cost(requested: Double, actual: Double?) -> JSONValue {
        [
            "cost": [
                "requestedQueryCost": .number(JSONNumber(requested)), "actualQueryCost": actual.map { .number(JSONNumber($0)) } ?? .null,
                "throttleStatus": [
                    "maximumAvailable": .number(JSONNumber(maximum)), "currentlyAvailable": .number(JSONNumber(available.rounded(.down))),
                    "restoreRate": .number(JSONNumber(restoreRate)),
                ],
            ]
        ]
    }

    // MARK: Webhook deliveries, one at a time in the order they happened.

    func deliver(_ topic: String, _ order: JSONValue) {
        guard subscriptions.contains(where: { $0.topic == topic }) else { return }
        outbox.append((topic, order.canonicalData))
        if !delivering {
            delivering = true
            Task { await self.drain() }
        }
    }

    private func drain() async {
        while !outbox.isEmpty {
            let (topic, body) = outbox.removeFirst()
            guard let url = subscriptions.first(where: { $0.topic == topic })?.uri else { continue }
            let status = await HookDelivery.post(
                body, to: url,
                headers: [
                    "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": Hashing.hmacBase64(body, secret: hookSecret),
                    "X-Shopify-Shop-Domain": domain, "X-Shopify-API-Version": "2025-10",
                    "X-Shopify-Webhook-Id": UUID().uuidString.lowercased(),
                    "X-Shopify-Event-Id": UUID().uuidString.lowercased(), "X-Shopify-Triggered-At": FakeWooShop.timestamp(Date()) + "Z",
                ])
            if (200..<300).contains(status) { counts.webhooksDelivered += 1 } else { counts.webhooksFailed += 1 }
        }
        delivering = false
    }

    /// Deliveries not yet made.
    package var pendingDeliveries: Int { outbox.count + (delivering ? 1 : 0) }

    static func tags(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
