import AmoSyncCore
import Hummingbird

/// The first middleware: the rules current when the request arrives become the request's
/// (`IntakeContext.rules`); a reload replaces them for the next request only.
struct RulesMiddleware: RouterMiddleware {
    let live: Live<IntakeRoutes>

    func handle(
        _ request: Request, context: IntakeContext, next: (Request, IntakeContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.snapshot = live.current
        return try await next(request, context)
    }
}
