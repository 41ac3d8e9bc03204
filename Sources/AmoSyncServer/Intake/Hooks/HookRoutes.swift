import Foundation
import Hummingbird
import HTTPTypes
import AmoSyncCore

/// `POST /v1/hooks/{source}`: WooCommerce, Shopify and Tilda webhooks as those platforms
/// send them, authenticated by their own signatures, translated into the order or form model.
extension IntakeRoutes {
    static let tildaSetUpCheck = Data("test=test".utf8)

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
            let topic = request.headers[HTTPField.Name("X-WC-Webhook-Topic")!]
            return try await signedOrder(raw, source: name, skip: PlatformTopic.wooCommerce(topic), translate: WooCommerceAdapter.order)
        case "shopify":
            try verify(request.headers[HTTPField.Name("X-Shopify-Hmac-Sha256")!], raw: raw, source: name, secret: source.secret)
            let topic = request.headers[HTTPField.Name("X-Shopify-Topic")!]
            return try await signedOrder(raw, source: name, skip: PlatformTopic.shopify(topic), translate: ShopifyAdapter.order)
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

    /// A delivery whose signature checked out is never refused for its content: WooCommerce
    /// disables a webhook after a few failed deliveries, Shopify removes it after retrying for
    /// hours. A deletion, another topic, or an order that cannot be mapped is stored as a
    /// `skipped` job with the reason and answered 200; an order without phone or email becomes
    /// a lead without a contact.
    func signedOrder(
        _ raw: Data, source: String, skip: String?, translate: (JSONValue) throws(MappingError) -> JSONValue
    ) async throws -> Response {
        let body: JSONValue
        do { body = try JSONValue.parse(raw) } catch {
            let text = JSONValue.string(String(decoding: raw, as: UTF8.self))
            return try await skipped(text, source: source, id: nil, reason: "the body is not valid JSON: \(Config.describe(error))")
        }
        let id = Mapper.identifier(body["id"])
        if let skip { return try await skipped(body, source: source, id: id, reason: skip) }
        let input: JSONValue
        let mapped: MappedJob
        do {
            input = try translate(body)
            mapped = try mapper.mapOrder(input, source: source, requireContact: false)
        } catch {
            return try await skipped(body, source: source, id: id, reason: "the order cannot be delivered: \(error.summary)")
        }
        return Self.accepted(try await store(.versioned(mapped, input: input)))
    }

    func skipped(_ body: JSONValue, source: String, id: String?, reason: String) async throws -> Response {
        let result = try await store(.skipped(source: source, externalID: id, input: body, reason: reason))
        logger.info(
            "webhook delivery skipped", metadata: ["job.id": "\(result.jobID)", "job.source": "\(source)", "reason": "\(reason)"])
        var answer: [String: JSONValue] = [
            "job_id": .number(JSONNumber(result.jobID)), "state": .string(result.state.rawValue), "reason": .string(reason),
        ]
        if result.duplicate { answer["duplicate"] = true }
        return .json(.ok, .object(answer))
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
        // Tilda's set-up check, answered without its key (as it always was): the body is
        // compared, not parsed.
        if raw == Self.tildaSetUpCheck { return .json(.ok, ["status": "ok", "test": true]) }
        // Then the key: an unauthenticated body is never parsed.
        if let secret = source.secret {
            let presented = request.uri.queryParameters["key"].map { Array(String($0).utf8) } ?? []
            guard Hashing.constantTimeEqual(presented, Array(secret.utf8)) else {
                logger.warning("webhook key rejected", metadata: ["source": "\(name)"])
                throw IntakeError(
                    status: .unauthorized, code: "bad_key", message: "the webhook URL needs ?key= with sources.\(name).secret")
            }
        }
        let kind = BodyDecoder.kind(of: contentType) ?? .urlencoded
        guard case .object(let values) = try IntakeError.decoding(raw, as: kind) else {
            throw IntakeError.malformed("expected form fields")
        }
        if values["test"] == "test", values.count == 1 { return .json(.ok, ["status": "ok", "test": true]) }
        let form = source.form ?? ""
        let input = JSONValue.object(values)
        // Without `tranid` a resend is recognized by its content.
        let tranid = values["tranid"]?.textValue.flatMap { $0.isEmpty ? nil : $0 }
        let externalID = tranid ?? "sha256-" + Hashing.sha256Hex(input.canonicalBytes).prefix(32)
        // Like a signed webhook, a Tilda delivery (its key checked, when one is set) is never refused for
        // its content: what cannot be delivered is stored as skipped.
        if let payment = TildaCart.payment(values), let settings = config.forms[form] {
            let order = TildaCart.order(
                values, payment: payment, nameInput: settings.contactName, phoneInput: settings.contactPhone,
                emailInput: settings.contactEmail, fallbackID: externalID)
            let mapped: MappedJob
            do throws(MappingError) { mapped = try mapper.mapOrder(order, source: name, requireContact: false) } catch {
                return try await skipped(input, source: name, id: externalID, reason: "the cart cannot be delivered: \(error.summary)")
            }
            return Self.accepted(try await store(.versioned(mapped, input: order)))
        }
        let mapped: MappedJob
        do throws(MappingError) { mapped = try mapper.mapForm(form, values: input, externalID: externalID) } catch {
            return try await skipped(input, source: name, id: externalID, reason: "the submission cannot be delivered: \(error.summary)")
        }
        return Self.accepted(try await store(NewJob(mapped: mapped, input: input, dedupeKey: "forms:\(form):\(externalID)")))
    }
}
