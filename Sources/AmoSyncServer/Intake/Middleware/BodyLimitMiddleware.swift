import AmoSyncCore
import Hummingbird

/// `server.max_body_bytes`: a declared `Content-Length` above it is a 413 before anything is
/// read (a chunked body is cut off at the limit where it is collected).
struct BodyLimitMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: IntakeContext, next: (Request, IntakeContext) async throws -> Response
    ) async throws -> Response {
        let limit = context.rules.config.server.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw IntakeError.tooLarge(limit) }
        return try await next(request, context)
    }
}
