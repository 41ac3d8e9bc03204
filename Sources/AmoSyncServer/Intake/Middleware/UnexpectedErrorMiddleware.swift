import Hummingbird
import Logging

/// The last line: an error that is not an `HTTPResponseError` (a bug, not the client's fault)
/// is logged with its detail and answered as a JSON 500 that reveals nothing.
struct UnexpectedErrorMiddleware: RouterMiddleware {
    let logger: Logger

    func handle(
        _ request: Request, context: IntakeContext, next: (Request, IntakeContext) async throws -> Response
    ) async throws -> Response {
        do { return try await next(request, context) } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context)
        } catch {
            logger.error("intake failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return IntakeError(status: .internalServerError, code: "internal", message: "internal error").response
        }
    }
}
