import AmoSyncCore
import Foundation
import Logging

/// The connection to the configured account as every command builds it — `serve`, `sandbox`,
/// `check`, `auth`, the tests and the benchmarks: one rate limiter (with this process's share of
/// the budget other processes on the same database use), the tokens, and the client.
/// Building sends nothing; the first request does.
package struct AmoAccount: Sendable {
    package let limiter: RateLimiter
    package let tokens: any AccessTokenProvider
    package let client: AmoClient

    /// - Parameters:
    ///   - store: the queue whose shared budget this process joins (nil: none, e.g. no database yet).
    ///   - onStateChange: told when the OAuth tokens stop or start working (nil: they work).
    ///   - observer: told of every request (endpoint, status, seconds), for metrics.
    ///   - sendGate: asked as each API request leaves (nil: always send); the OAuth requests are
    ///     not gated, so any node can finish an authorization.
    package init(
        config: Config, store: (any BudgetStore)?, transport: any HTTPTransport = URLSessionTransport(), logger: Logger,
        outageBase: Double = 1, onStateChange: @escaping @Sendable (String?) async -> Void = { _ in },
        observer: (@Sendable (_ endpoint: String, _ status: Int, _ seconds: Double) -> Void)? = nil, transientRetries: Int = 2,
        clock: any TimeSource = SystemTime(), sendGate: (@Sendable () -> Bool)? = nil
    ) {
        limiter = config.amocrm.limiter(
            outageBase: outageBase, shared: store.map { SharedBudget(store: $0, clock: clock) }, clock: clock)
        tokens = Self.tokenProvider(
            config: config, store: store, transport: transport, limiter: limiter, logger: logger, onStateChange: onStateChange,
            clock: clock)
        let gated: any HTTPTransport = sendGate.map { GatedTransport(inner: transport, allows: $0) } ?? transport
        client = AmoClient(
            baseURL: config.amocrm.apiBase, transport: gated, limiter: limiter, tokens: tokens,
            timeout: config.amocrm.timeoutSeconds, logger: logger, observer: observer, transientRetries: transientRetries)
    }

    /// A long-lived token, or the `TokenManager` for OAuth.
    static func tokenProvider(
        config: Config, store: (any BudgetStore)?, transport: any HTTPTransport, limiter: RateLimiter, logger: Logger,
        onStateChange: @escaping @Sendable (String?) async -> Void, clock: any TimeSource
    ) -> any AccessTokenProvider {
        if let token = config.amocrm.longLivedToken {
            if let expiry = JWT.expiry(token), expiry.timeIntervalSince(clock.date) < 14 * 86_400 {
                logger.warning(
                    "the long-lived token expires soon: create a new one in amoCRM and update amocrm.long_lived_token",
                    metadata: ["expires_at": "\(expiry)"])
            }
            return LongLivedToken(token)
        }
        return oauth(
            config: config, store: store, transport: transport, limiter: limiter, logger: logger, onStateChange: onStateChange,
            clock: clock)
    }

    /// Where the OAuth pair lives: in the database when the queue is on PostgreSQL (every node
    /// shares it), else in `amocrm.tokens_file`.
    package static func vault(config: Config, store: (any Sendable)?) -> any TokenVault {
        if let shared = store as? any SharedTokenStore { return DatabaseTokens(store: shared) }
        return TokenFile(path: config.amocrm.tokensFile)
    }

    /// The OAuth token manager for the configured integration (`auth exchange`, `auth status`).
    package static func oauth(
        config: Config, store: (any BudgetStore)?, transport: any HTTPTransport = URLSessionTransport(), limiter: RateLimiter,
        logger: Logger,
        onStateChange: @escaping @Sendable (String?) async -> Void = { _ in }, clock: any TimeSource = SystemTime()
    ) -> TokenManager {
        TokenManager(
            client: .init(
                id: config.amocrm.clientID ?? "", secret: config.amocrm.clientSecret ?? "",
                redirectURI: config.amocrm.redirectURI ?? ""),
            vault: vault(config: config, store: store), baseURL: config.amocrm.apiBase, transport: transport,
            limiter: limiter, timeout: config.amocrm.timeoutSeconds, logger: logger,
            authCode: config.amocrm.authCode, referers: config.amocrm.referers, onStateChange: onStateChange, clock: clock)
    }
}
