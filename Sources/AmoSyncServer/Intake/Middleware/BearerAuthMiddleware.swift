import AmoSyncCore
import Hummingbird

/// `Authorization: Bearer <intake token>` for the JSON routes (`/v1/orders`, `/v1/contacts`):
/// a missing or unknown token is a 401 before the body is read.
struct BearerAuthMiddleware: RouterMiddleware {
    let rules: Live<IntakeRoutes>

    func handle(
        _ request: Request, context: IntakeContext, next: (Request, IntakeContext) async throws -> Response
    ) async throws -> Response {
        try rules.current.authorize(request)
        return try await next(request, context)
    }
}
