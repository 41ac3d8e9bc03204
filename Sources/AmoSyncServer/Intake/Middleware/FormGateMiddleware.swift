import AmoSyncCore
import Hummingbird

/// Who may post to `/v1/forms/{form}`: an unknown form is a 404; a private form needs the
/// bearer token; a public form takes `per_ip_per_minute` submissions per client address —
/// a flood is refused with 429 and `Retry-After` before its body is read.
struct FormGateMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: IntakeContext, next: (Request, IntakeContext) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post else { return try await next(request, context) }
        let rules = context.rules
        let name = context.parameters.get("form") ?? ""
        guard let form = rules.config.forms[name] else { throw IntakeError.notFound("no form named \(name) in the configuration") }
        if !form.isPublic {
            try BearerAuthMiddleware.authorize(request, tokens: rules.tokens)
            return try await next(request, context)
        }
        let client = ClientAddress(request, peer: context.remoteAddress, trustedProxies: rules.config.server.trustedProxies)
        if let wait = await rules.ipLimit.check("\(name)|\(client.key)", limit: form.perIPPerMinute, now: rules.clock.now) {
            rules.logger.warning("public form flooded: submission refused", metadata: ["form": "\(name)"])
            throw IntakeError(
                status: .tooManyRequests, code: "too_many_submissions",
                message: "too many submissions from this address; try again in \(wait) s", headers: [("Retry-After", "\(wait)")])
        }
        return try await next(request, context)
    }
}
