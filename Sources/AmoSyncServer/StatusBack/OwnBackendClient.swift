import AmoSyncCore
import Foundation

/// The shop's own backend (and the MODX plugin): `POST {url}` with JSON `{"order_id", "status",
/// "lead_id", "status_id", "pipeline_id", "changed_at"}` signed in `X-Amosync-Signature`
/// (base64 HMAC-SHA256 of the body with `orders.status_back.secret`), answered 2xx.
struct OwnBackendClient: ShopClient {
    let settings: Config.OwnStatusBack
    let transport: any HTTPTransport
    var timeout: TimeInterval = 20

    init(settings: Config.OwnStatusBack, transport: any HTTPTransport) {
        self.settings = settings
        self.transport = transport
    }

    /// The backend cannot be asked: amosync goes by the statuses it was sent and wrote.
    func currentStatus(of order: ShopOrder, wanted: String) async throws(ShopError) -> String? { nil }

    func write(_ status: String, order: ShopOrder, change: AppliedStage) async throws(ShopError) {
        var body: [String: JSONValue] = [
            "order_id": .string(order.externalID), "status": .string(status), "lead_id": .number(JSONNumber(change.leadID)),
            "status_id": .number(JSONNumber(change.statusID)),
            "changed_at": .string(ISO8601DateFormatter().string(from: change.changedAt)),
        ]
        body["pipeline_id"] = change.pipelineID.map { .number(JSONNumber($0)) } ?? .null
        let bytes = JSONValue.object(body).canonicalData
        let label = "POST orders.status_back.url"
        guard let url = URL(string: settings.url) else {
            throw ShopError(kind: .rejected, request: label, status: nil, detail: "orders.status_back.url is not a URL")
        }
        let request = OutgoingRequest(
            method: "POST", url: url,
            headers: [
                "Content-Type": "application/json", "X-Amosync-Signature": Hashing.hmacBase64(bytes, secret: settings.secret),
                "User-Agent": "amosync/\(AmoSync.version)",
            ], body: bytes, timeout: timeout)
        let response = try await transport.shop(request, label: label)
        guard (200..<300).contains(response.status) else {
            throw ShopError(
                kind: ShopError.kind(of: response.status), request: label, status: response.status,
                detail: "the shop answered: \(AmoClient.preview(response.body))")
        }
    }
}
