import AmoSyncCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The fake shops as a real HTTP server on loopback: WooCommerce's REST API under `/wp-json/wc/v3`
/// and the shop's own people under `/__shop` (a customer's checkout, staff changing a status);
/// Shopify's GraphQL Admin API and its token grant under `/admin`.
package struct FakeShopServer: HTTPResponder {
    package typealias Context = BasicRequestContext
    var woo: FakeWooShop?
    var shopify: FakeShopifyShop?
    /// How long each answer takes (a shop on shared hosting answers in hundreds of milliseconds).
    var latencyMs = 0

    package func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        var request = request
        let body = Data(buffer: try await request.collectBody(upTo: 1 << 20))
        if latencyMs > 0 { try await Task.sleep(for: .milliseconds(latencyMs)) }
        let path = request.uri.path
        let method = request.method.rawValue
        var answer: (status: Int, body: JSONValue, headers: [String: String]) = (404, ["errors": "Not Found"], [:])
        if path.hasPrefix("/admin/"), let shopify {
            let (status, json) = await shopify.handle(
                method: method, path: path, token: request.headers[HTTPField.Name("X-Shopify-Access-Token")!],
                contentType: request.headers[.contentType], body: body)
            answer = (status, json, [:])
        } else if path.hasPrefix("/__shop/"), let woo {
            let (status, json) = await woo.control(method: method, path: path, body: body)
            answer = (status, json, [:])
        } else if let woo {
            let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { $1 })
            if method == "GET", path.hasSuffix("/wc/v3/orders") { await woo.passListGate() }
            answer = await woo.handle(method: method, path: path, query: query, authorization: request.headers[.authorization], body: body)
        }
        var response = Response(status: .init(code: answer.status), body: .init(byteBuffer: ByteBuffer(bytes: answer.body.canonicalBytes)))
        response.headers[.contentType] = "application/json; charset=UTF-8"
        for (name, value) in answer.headers { response.headers[HTTPField.Name(name)!] = value }
        return response
    }

    /// A Hummingbird application serving `woo` and `shopify`; `onRunning` receives the bound port.
    package static func application(
        woo: FakeWooShop? = nil, shopify: FakeShopifyShop? = nil, port: Int = 0, latencyMs: Int = 0, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            responder: FakeShopServer(woo: woo, shopify: shopify, latencyMs: latencyMs),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "fake-shop"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
