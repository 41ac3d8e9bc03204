import AmoSyncCore
/// Supplies the bearer token for amoCRM requests (`TokenManager` for OAuth, a fixed
/// long-lived token otherwise).
package protocol AccessTokenProvider: Sendable {
    /// A token to use now; throws `AmoError` of kind `.unauthorized` when none is usable.
    func accessToken() async throws -> String
    /// The server rejected `token` (401): renew it once if possible and return the new one.
    func renew(after rejected: String) async throws -> String
    /// The account's API base when it moved (renamed account); nil keeps the configured one.
    func accountBase() async -> String?
}

extension AccessTokenProvider {
    func accountBase() async -> String? { nil }
}

/// A long-lived token (private integrations): never refreshed.
struct LongLivedToken: AccessTokenProvider {
    let token: String

    init(_ token: String) { self.token = token }

    func accessToken() async throws -> String { token }

    func renew(after rejected: String) async throws -> String {
        throw AmoError(
            kind: .unauthorized, request: "auth", status: 401, title: "Unauthorized",
            detail:
                "the long-lived token was rejected (expired or revoked): create a new one in amoCRM and put it in amocrm.long_lived_token")
    }
}
