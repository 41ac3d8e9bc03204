import AmoSyncCore
import Hummingbird

/// CORS for `fetch()` posts from a form's `allowed_origins`: answers the preflight, and
/// marks every answer to an allowed origin — errors too, so the page can read them.
struct CORSMiddleware: RouterMiddleware {
    let rules: Live<IntakeRoutes>

    func handle(
        _ request: Request, context: IntakeContext, next: (Request, IntakeContext) async throws -> Response
    ) async throws -> Response {
        let rules = rules.current
        let form = context.parameters.get("form") ?? ""
        if request.method == .options { return rules.preflight(request, form: form) }
        var response: Response
        do { response = try await next(request, context) } catch let error as IntakeError { response = error.response }
        rules.allowOrigin(request, form: form, response: &response)
        return response
    }
}
