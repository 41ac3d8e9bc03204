import AmoSyncCore
import Hummingbird

/// `Authorization: Bearer <intake token>` for the JSON routes (`/v1/orders`, `/v1/contacts`):
/// a missing or unknown token is a 401 before the body is read.
struct BearerAuthMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: IntakeContext, next: (Request, IntakeContext) async throws -> Response
    ) async throws -> Response {
        try Self.authorize(request, tokens: context.rules.tokens)
        return try await next(request, context)
    }

    /// The presented token is compared with every configured one in constant time (no early
    /// exit, so timing tells nothing about which or how much matched).
    static func authorize(_ request: Request, tokens: [[UInt8]]) throws(IntakeError) {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { throw .unauthorized }
        let presented = Array(header.dropFirst(7).trimmed.utf8)
        var matched = false
        for token in tokens { matched = Hashing.constantTimeEqual(token, presented) || matched }
        guard matched else { throw .unauthorized }
    }
}
