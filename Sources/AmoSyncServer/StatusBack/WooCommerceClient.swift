import AmoAPI
import AmoSyncCore
import Foundation

/// WooCommerce REST v3: the order read and its status set (`PUT /wp-json/wc/v3/orders/{id}`),
/// then an order note saying which stage in amoCRM caused it. The consumer key and secret go
/// as Basic auth (over HTTPS: the config refuses a plain-http shop) and nowhere else.
struct WooCommerceClient: ShopClient {
    let source: String
    let api: Config.ShopAPI
    let transport: any HTTPTransport
    var timeout: TimeInterval = 20

    init(source: String, api: Config.ShopAPI, transport: any HTTPTransport) {
        self.source = source
        self.api = api
        self.transport = transport
    }

    func currentStatus(of order: ShopOrder, wanted: String) async throws(ShopError) -> String? {
        let answer = try await call("GET", "orders/\(Self.escaped(order.externalID))", body: nil)
        guard let status = answer["status"]?.stringValue else {
            throw ShopError(
                kind: .transient, request: Self.label("GET", "orders/\(order.externalID)"), status: 200, detail: "the order has no status")
        }
        return status
    }

    func write(_ status: String, order: ShopOrder, change: AppliedStage) async throws(ShopError) {
        let path = "orders/\(Self.escaped(order.externalID))"
        _ = try await call("PUT", path, body: ["status": .string(status)])
        let note =
            "amoCRM: lead \(change.leadID) moved to stage \(change.statusID)"
            + (change.pipelineID.map { " of pipeline \($0)" } ?? "") + "; amosync set the status to \(status). \(change.leadURL)"
        _ = try await call("POST", path + "/notes", body: ["note": .string(note), "customer_note": false])
    }

    /// `PUT /wp-json/wc/v3/orders/{id}`: a bounded label for logs and attempts.
    static func label(_ method: String, _ path: String) -> String { "\(method) " + AmoPath.template("/wp-json/wc/v3/\(path)") }

    static func escaped(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id
    }

    func call(_ method: String, _ path: String, body: JSONValue?) async throws(ShopError) -> JSONValue {
        try await exchange(method, path, query: "", body: body).json
    }

    /// One request; the answer's JSON and headers (a list's totals are in `X-WP-TotalPages`).
    func exchange(
        _ method: String, _ path: String, query: String, body: JSONValue?
    ) async throws(ShopError) -> (
        json: JSONValue, response: IncomingResponse
    ) {
        let label = Self.label(method, path)
        let credentials = Data("\(api.consumerKey ?? ""):\(api.consumerSecret ?? "")".utf8).base64EncodedString()
        var headers = ["Authorization": "Basic \(credentials)", "Accept": "application/json", "User-Agent": "amosync/\(AmoSync.version)"]
        if body != nil { headers["Content-Type"] = "application/json" }
        guard let url = URL(string: "\(api.base)/wp-json/wc/v3/\(path)" + (query.isEmpty ? "" : "?" + query)) else {
            throw ShopError(kind: .rejected, request: label, status: nil, detail: "sources.\(source).api.url does not make a URL")
        }
        let request = OutgoingRequest(method: method, url: url, headers: headers, body: body?.canonicalData, timeout: timeout)
        let response = try await transport.shop(request, label: label)
        let json = try? JSONValue.parse(response.body)
        guard (200..<300).contains(response.status) else {
            // WooCommerce's errors: {"code": "rest_invalid_param", "message": "…", "data": {"status": 400, "params": {…}}}
            var detail = [json?["code"]?.stringValue, json?["message"]?.stringValue].compactMap { $0 }.joined(separator: ": ")
            if let params = json?["data"]?["params"]?.objectValue {
                detail += " " + params.keys.sorted().compactMap { params[$0]?.stringValue }.joined(separator: "; ")
            }
            if response.status == 401 || response.status == 403 {
                detail += " (check sources.\(source).api.consumer_key and consumer_secret: the key needs Read/Write permission)"
            }
            throw ShopError(
                kind: ShopError.kind(of: response.status), request: label, status: response.status,
                detail: detail.isEmpty ? AmoClient.preview(response.body) : RefererPolicy.printable(detail))
        }
        guard let json else {
            throw ShopError(kind: .transient, request: label, status: response.status, detail: "the answer is not JSON")
        }
        return (json, response)
    }
}
