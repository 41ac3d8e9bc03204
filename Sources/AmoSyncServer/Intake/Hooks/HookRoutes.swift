import Foundation
import Hummingbird
import HTTPTypes
import AmoSyncCore

/// `POST /v1/hooks/{source}`: WooCommerce, Shopify and Tilda webhooks as those platforms
/// send them, authenticated by their own signatures, translated into the order or form model.
extension IntakeRoutes {
    func hook(_ request: Request, source name: String) async throws -> Response {
        guard let source = config.sources[name] else { throw IntakeError.notFound("no source named \(name) in the configuration") }
        let raw = try await rawBody(request)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        switch source.type {
        case "woocommerce":
            // The set-up ping: form-encoded `webhook_id=…`, unsigned, must get 200.
            if contentType.hasPrefix("application/x-www-form-urlencoded"), String(decoding: raw, as: UTF8.self).hasPrefix("webhook_id=") {
                return .json(.ok, ["status": "ok", "ping": true])
            }
            try verify(request.headers[HTTPField.Name("X-WC-Webhook-Signature")!], raw: raw, source: name, secret: source.secret)
            return try await order(WooCommerceAdapter.order(try json(raw)), source: name)
        case "shopify":
            try verify(request.headers[HTTPField.Name("X-Shopify-Hmac-Sha256")!], raw: raw, source: name, secret: source.secret)
            return try await order(ShopifyAdapter.order(try json(raw)), source: name)
        case "tilda":
            return try await tilda(request, raw: raw, contentType: contentType, source: source, name: name)
        default:
            throw IntakeError.notFound("source \(name) has an unknown type")
        }
    }

    /// A wrong or missing signature is 401, logged without the body; nothing is queued.
    func verify(_ signature: String?, raw: Data, source: String, secret: String?) throws {
        guard let secret, Hashing.verifyHMACBase64(signature, body: Array(raw), secret: secret) else {
            logger.warning(
                "webhook signature rejected",
                metadata: [
                    "source": "\(source)", "signature_present": "\(signature != nil)",
                    "body_bytes": "\(raw.count)",
                ])
            throw IntakeError(
                status: .unauthorized, code: "bad_signature",
                message: "the webhook signature does not match sources.\(source).secret")
        }
    }

    func json(_ raw: Data) throws -> JSONValue {
        do { return try JSONValue.parse(raw) } catch { throw IntakeError.malformed("body is not valid JSON: \(Config.describe(error))") }
    }

    func order(_ translate: @autoclosure () throws -> JSONValue, source: String) async throws -> Response {
        let input: JSONValue
        let mapped: MappedJob
        do {
            input = try translate()
            mapped = try mapper.mapOrder(input, source: source)
        } catch let error as MappingError {
            throw IntakeError.invalid(error)
        }
        return Self.accepted(try await store(.versioned(mapped, input: input)))
    }

    /// Tilda posts a form-encoded body to one URL per site; `test=test` is its set-up check.
    /// With `secret` set, the webhook URL carries it as `?key=SECRET`.
    func tilda(_ request: Request, raw: Data, contentType: String, source: Config.Source, name: String) async throws -> Response {
        let kind = BodyDecoder.kind(of: contentType) ?? .urlencoded
        guard case .object(let values) = try IntakeError.decoding(raw, as: kind) else {
            throw IntakeError.malformed("expected form fields")
        }
        if values["test"] == "test", values.count == 1 { return .json(.ok, ["status": "ok", "test": true]) }
        if let secret = source.secret {
            let presented = request.uri.queryParameters["key"].map { Array(String($0).utf8) } ?? []
            guard Hashing.constantTimeEqual(presented, Array(secret.utf8)) else {
                logger.warning("webhook key rejected", metadata: ["source": "\(name)"])
                throw IntakeError(
                    status: .unauthorized, code: "bad_key", message: "the webhook URL needs ?key= with sources.\(name).secret")
            }
        }
        let form = source.form ?? ""
        let tranid = values["tranid"]?.textValue.flatMap { $0.isEmpty ? nil : $0 }
        let externalID = tranid ?? UUID().uuidString.lowercased()
        let input = JSONValue.object(values)
        let mapped: MappedJob
        do { mapped = try mapper.mapForm(form, values: input, externalID: externalID) } catch { throw IntakeError.invalid(error) }
        return Self.accepted(try await store(JobStore.NewJob(mapped: mapped, input: input, dedupeKey: "forms:\(form):\(externalID)")))
    }
}
