import AmoAPI
import AmoSyncCore
import Foundation

/// One Shopify shop's GraphQL Admin API as amosync uses it: its access token and its cost
/// bucket. Requests go one at a time.
///
/// - The token is `api.access_token`, or one fetched with the client credentials grant
///   (`POST /admin/oauth/access_token`), which lives 24 hours and has no refresh: it is fetched
///   again 5 minutes before it ends, or when Shopify answers 401 to it.
/// - The bucket is what Shopify reports in `extensions.cost.throttleStatus` of every answer
///   (`currentlyAvailable`, `restoreRate`): a query that would not fit waits until it does. A
///   `THROTTLED` answer (HTTP 200) is waited out the same way and sent again.
actor ShopifySession {
    let source: String
    let api: Config.ShopAPI
    let transport: any HTTPTransport
    let clock: any TimeSource
    var timeout: TimeInterval = 20
    /// A fetched token and when to fetch the next.
    private var fetched: (token: String, renewAt: ContinuousClock.Instant)?
    /// Shopify's last report, and when it came (after Shopify counted it: what restores from
    /// then on is never more than what Shopify restores).
    private var bucket: (available: Double, rate: Double, at: ContinuousClock.Instant)?
    private var inFlight = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// Tries of one query Shopify keeps throttling (another app of the same shop… is not one:
    /// the bucket is per app and shop, so this is amosync's other process or a cost estimate off).
    static let tries = 5

    init(source: String, api: Config.ShopAPI, transport: any HTTPTransport, clock: any TimeSource) {
        self.source = source
        self.api = api
        self.transport = transport
        self.clock = clock
    }

    /// Runs one GraphQL operation costing about `cost` points; returns its `data`.
    func run(_ query: String, variables: [String: JSONValue], cost: Double, label: String) async throws(ShopError) -> JSONValue {
        await acquire()
        defer { release() }
        var refetched = false
        for _ in 0..<Self.tries {
            await waitForRoom(cost)
            let token = try await accessToken(label: label)
            let response = try await post(query, variables: variables, token: token, label: label)
            if response.status == 401, api.accessToken == nil, !refetched {
                // A fetched token Shopify no longer takes (revoked, or its 24 hours are over).
                fetched = nil
                refetched = true
                continue
            }
            let json = try? JSONValue.parse(response.body)
            if response.status == 429 {
                // Throttled as REST throttles (some proxies, older shops): the cost report if the body
                // has one, else `Retry-After`, else a second.
                let reported = Self.throttleStatus(json)
                if let reported { bucket = (reported.available, reported.rate, clock.now) }
                let wait = response.header("Retry-After").flatMap(Double.init) ?? (reported == nil ? 1 : 0)
                if wait > 0 { try? await clock.sleep(for: .seconds(min(wait, 60))) }
                continue
            }
            guard (200..<300).contains(response.status) else {
                throw ShopError(
                    kind: ShopError.kind(of: response.status), request: label, status: response.status,
                    detail: (Self.errors(json) ?? AmoClient.preview(response.body)) + Self.advice(response.status, source: source))
            }
            guard let json else {
                throw ShopError(kind: .transient, request: label, status: response.status, detail: "the answer is not JSON")
            }
            if let reported = Self.throttleStatus(json) { bucket = (reported.available, reported.rate, clock.now) }
            let errors = json["errors"]?.arrayValue ?? []
            if errors.contains(where: { $0["extensions"]?["code"]?.stringValue == "THROTTLED" || $0["message"]?.stringValue == "Throttled" }
            ) {
                if bucket == nil { try? await clock.sleep(for: .seconds(1)) }
                continue
            }
            if !errors.isEmpty {
                throw ShopError(kind: .rejected, request: label, status: response.status, detail: Self.errors(json) ?? "GraphQL errors")
            }
            return json["data"] ?? .null
        }
        throw ShopError(kind: .transient, request: label, status: 200, detail: "Shopify throttled the query \(Self.tries) times")
    }

    /// Waits until the bucket, as Shopify last reported it and restored since, holds `cost`.
    private func waitForRoom(_ cost: Double) async {
        guard let bucket else { return }
        let restored = bucket.available + bucket.rate * (clock.now - bucket.at).seconds
        guard restored < cost else { return }
        try? await clock.sleep(for: .seconds((cost - restored) / bucket.rate))
    }

    private func post(
        _ query: String, variables: [String: JSONValue], token: String, label: String
    ) async throws(ShopError)
        -> IncomingResponse
    {
        guard let url = URL(string: "\(api.base)/admin/api/\(api.version)/graphql.json") else {
            throw ShopError(kind: .rejected, request: label, status: nil, detail: "sources.\(source).api.shop does not make a URL")
        }
        let body: JSONValue = ["query": .string(query), "variables": .object(variables)]
        let request = OutgoingRequest(
            method: "POST", url: url,
            headers: [
                "X-Shopify-Access-Token": token, "Content-Type": "application/json", "Accept": "application/json",
                "User-Agent": "amosync/\(AmoSync.version)",
            ], body: body.canonicalData, timeout: timeout)
        return try await transport.shop(request, label: label)
    }

    /// The token to send: the configured one, or a fetched one still good for 5 minutes.
    private func accessToken(label: String) async throws(ShopError) -> String {
        if let token = api.accessToken { return token }
        if let fetched, clock.now < fetched.renewAt { return fetched.token }
        let grant = "POST /admin/oauth/access_token"
        guard let url = URL(string: "\(api.base)/admin/oauth/access_token") else {
            throw ShopError(kind: .rejected, request: grant, status: nil, detail: "sources.\(source).api.shop does not make a URL")
        }
        let form = [("grant_type", "client_credentials"), ("client_id", api.clientID ?? ""), ("client_secret", api.clientSecret ?? "")]
            .map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        let sent = clock.now
        let response = try await transport.shop(
            OutgoingRequest(
                method: "POST", url: url,
                headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"], body: Data(form.utf8),
                timeout: timeout), label: grant)
        let json = try? JSONValue.parse(response.body)
        guard (200..<300).contains(response.status), let token = json?["access_token"]?.stringValue, !token.isEmpty else {
            // {"error": "invalid_client", "error_description": "…"}: never the body itself, which may hold a token.
            let reason = [json?["error"]?.stringValue, json?["error_description"]?.stringValue].compactMap { $0 }.joined(separator: ": ")
            throw ShopError(
                kind: response.status == 200 ? .transient : ShopError.kind(of: response.status), request: grant, status: response.status,
                detail: (reason.isEmpty ? "no access_token in the answer" : RefererPolicy.printable(reason))
                    + " (check sources.\(source).api.client_id and client_secret: the app must be installed in the shop)")
        }
        let lifetime = json?["expires_in"]?.doubleValue ?? 86_399
        fetched = (token, sent + .seconds(max(lifetime - 300, lifetime / 2)))
        return token
    }

    /// `extensions.cost.throttleStatus`: what the bucket holds and how fast it fills.
    static func throttleStatus(_ json: JSONValue?) -> (available: Double, rate: Double)? {
        guard let status = json?["extensions"]?["cost"]?["throttleStatus"], let available = status["currentlyAvailable"]?.doubleValue,
            let rate = status["restoreRate"]?.doubleValue, rate > 0
        else { return nil }
        return (available, rate)
    }

    /// GraphQL's `errors` (an array of `{"message"}`) or REST's (`{"errors": "…"}`), as one line.
    static func errors(_ json: JSONValue?) -> String? {
        if let text = json?["errors"]?.stringValue { return RefererPolicy.printable(text) }
        let messages = (json?["errors"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
        return messages.isEmpty ? nil : RefererPolicy.printable(messages.joined(separator: "; "))
    }

    static func advice(_ status: Int, source: String) -> String {
        switch status {
        case 401: " (check sources.\(source).api.access_token, or client_id and client_secret)"
        case 403: " (the app needs the write_orders access scope)"
        case 404: " (check sources.\(source).api.shop and version)"
        case 402, 423: " (the shop is frozen or locked: Shopify refuses its API until the shop is reopened)"
        default: ""
        }
    }

    private func acquire() async {
        if inFlight {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            inFlight = true
        }
    }

    private func release() {
        if waiting.isEmpty { inFlight = false } else { waiting.removeFirst().resume() }
    }
}

/// The sessions of the Shopify sources, kept while their settings stay the same (a reload with
/// another token or shop starts a new one).
actor ShopifySessions {
    let transport: any HTTPTransport
    let clock: any TimeSource
    private var sessions: [String: (settings: [String?], session: ShopifySession)] = [:]

    init(transport: any HTTPTransport, clock: any TimeSource) {
        self.transport = transport
        self.clock = clock
    }

    func session(source: String, api: Config.ShopAPI) -> ShopifySession {
        let settings = [api.base, api.version, api.accessToken, api.clientID, api.clientSecret]
        if let kept = sessions[source], kept.settings == settings { return kept.session }
        let session = ShopifySession(source: source, api: api, transport: transport, clock: clock)
        sessions[source] = (settings, session)
        return session
    }
}
