import AmoSyncCore
import Hummingbird

/// CORS for `fetch()` posts from a form's `allowed_origins`: answers the preflight, and
/// marks every answer to an allowed origin — errors too, so the page can read them.
struct CORSMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: IntakeContext, next: (Request, IntakeContext) async throws -> Response
    ) async throws -> Response {
        let form = context.parameters.get("form") ?? ""
        let allowed = context.rules.config.forms[form]?.allowedOrigins ?? []
        let origin = request.headers[.origin].flatMap { allowed.contains($0) ? $0 : nil }
        if request.method == .options { return Self.preflight(origin: origin) }
        var response: Response
        do { response = try await next(request, context) } catch let error as IntakeError { response = error.response }
        if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
        }
        return response
    }

    /// 204; with the CORS headers only for an allowed origin.
    static func preflight(origin: String?) -> Response {
        var response = Response(status: .noContent)
        guard let origin else { return response }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlAllowMethods] = "POST, OPTIONS"
        response.headers[.accessControlAllowHeaders] = "Content-Type, Idempotency-Key, Authorization"
        response.headers[.accessControlMaxAge] = "600"
        response.headers[.vary] = "Origin"
        return response
    }
}
