import AmoAPI
import Foundation
import Logging
import AmoSyncCore

/// The one owner of OAuth tokens (README, "Authorization"). amoCRM refresh tokens are single-use and
/// rotate on every refresh, so: refreshes are single-flight inside the process and locked
/// across processes (and nodes); the new pair is written to its vault (`tokens_file`, or the
/// database on PostgreSQL) before it is used; a pair written by another process (`amosync auth
/// exchange`, another node) is picked up by itself; and dead
/// credentials are reported, never retried in a loop.
package actor TokenManager: AccessTokenProvider {
    package typealias Client = OAuthClient

    let client: Client
    let vault: any TokenVault
    let baseURL: String
    let transport: any HTTPTransport
    let limiter: RateLimiter
    let timeout: TimeInterval
    let logger: Logger
    /// Refresh this long before the access token expires.
    let refreshMargin: TimeInterval
    let authCode: String?
    /// Which host an OAuth referer may name (the secret goes to it in the code exchange).
    let referers: RefererPolicy
    /// Told when credentials die (`reason`) or work again (`nil`).
    let onStateChange: @Sendable (String?) async -> Void
    /// When tokens expire.
    let clock: any TimeSource
    private var tokens: TokenSet?
    private var loadedStamp: String?
    private var refreshing: Task<TokenSet, any Error>?
    private var dead: String?
    private var triedAuthCode = false
    private(set) var refreshes = 0

    package init(
        client: Client, vault: any TokenVault, baseURL: String, transport: any HTTPTransport, limiter: RateLimiter,
        timeout: TimeInterval, logger: Logger, refreshMargin: TimeInterval = 600, authCode: String? = nil,
        referers: RefererPolicy, onStateChange: @escaping @Sendable (String?) async -> Void = { _ in },
        clock: any TimeSource = SystemTime()
    ) {
        self.clock = clock
        self.client = client
        self.vault = vault
        self.baseURL = baseURL
        self.transport = transport
        self.limiter = limiter
        self.timeout = timeout
        self.logger = logger
        self.refreshMargin = refreshMargin
        self.authCode = authCode
        self.referers = referers
        self.onStateChange = onStateChange
    }

    var deadReason: String? { dead }

    package func accessToken() async throws -> String {
        await reloadIfChanged()
        if tokens == nil, let authCode, !triedAuthCode {
            triedAuthCode = true
            logger.info("no tokens stored: exchanging amocrm.auth_code")
            _ = try await exchange(code: authCode, referer: nil)
        }
        if let dead { throw Self.unauthorized(dead) }
        guard let tokens else {
            throw Self.unauthorized(
                "no tokens in \(vault.place): authorize with `amosync auth exchange --code CODE` (or set amocrm.auth_code)")
        }
        if tokens.expiresAt.timeIntervalSince(clock.date) < refreshMargin { return try await refresh(from: tokens).accessToken }
        return tokens.accessToken
    }

    package func renew(after rejected: String) async throws -> String {
        await reloadIfChanged()
        if let dead { throw Self.unauthorized(dead) }
        guard let tokens else { return try await accessToken() }
        if tokens.accessToken != rejected { return tokens.accessToken }  // someone refreshed meanwhile
        return try await refresh(from: tokens).accessToken
    }

    /// Where the account moved, when amoCRM named a different host at authorization.
    package func accountBase() async -> String? { tokens?.baseURL }

    static func unauthorized(_ detail: String) -> AmoError {
        AmoError(kind: .unauthorized, request: "POST \(AmoPath.accessToken)", status: 401, title: nil, detail: detail)
    }

    /// Picks up a tokens file another process (or `amosync auth exchange`) wrote. The state
    /// change is reported before this returns, so reports arrive in the order things happened.
    private func reloadIfChanged() async {
        let stamp = await vault.stamp()
        guard stamp != loadedStamp || (tokens == nil && stamp != nil) else { return }
        loadedStamp = stamp
        guard let stored = try? await vault.load() else { return }
        if let problem = foreignAddress(stored.baseURL) {
            tokens = nil
            await markDead(problem)
            return
        }
        if stored != tokens {
            tokens = stored
            if dead != nil {
                logger.info("new tokens found in \(vault.place): delivery resumes")
                dead = nil
                await onStateChange(nil)
            }
        }
    }

    /// Why a stored account address may not be used, nil when it may: a tokens file written by
    /// an older version (or by hand) could name any host, and every API call would go there.
    func foreignAddress(_ base: String?) -> String? {
        guard let base else { return nil }
        let host = URL(string: base)?.host?.lowercased() ?? base
        if host == URL(string: baseURL)?.host?.lowercased() { return nil }
        if case .follow = referers.decide(host) { return nil }
        return "the tokens in \(vault.place) send requests to \(RefererPolicy.printable(host)), which the configuration does not follow "
            + "(amocrm.follow_referer, amoCRM's own domains only): authorize again with `amosync auth exchange --code CODE`"
    }

    /// One refresh at a time in this process; callers arriving meanwhile share its result.
    func refresh(from old: TokenSet) async throws -> TokenSet {
        if let refreshing { return try await refreshing.value }
        // Unstructured: callers arriving meanwhile await this same refresh (single flight), and a
        // caller cancelled mid-way does not cancel a refresh amoCRM may already have applied.
        let task = Task { try await self.refreshLocked(old) }
        refreshing = task
        defer { refreshing = nil }
        return try await task.value
    }

    /// Runs `body` holding the vault's lock (every process and node using these tokens shares it).
    private func holdingVaultLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let lock = try await vault.lock(clock: clock)
        do {
            let value = try await body()
            await lock.release()
            return value
        } catch {
            await lock.release()
            throw error
        }
    }

    private func refreshLocked(_ old: TokenSet) async throws -> TokenSet {
        try await holdingVaultLock { try await refreshHolding(old) }
    }

    private func refreshHolding(_ old: TokenSet) async throws -> TokenSet {
        // Another process (or node) may have refreshed while we waited for the lock.
        if let stored = try? await vault.load(), stored.refreshToken != old.refreshToken {
            await adopt(stored)
            return stored
        }
        var new = try await request(grant: TokenRequest.refresh, value: old.refreshToken, base: old.baseURL ?? baseURL)
        new.baseURL = old.baseURL
        try await persist(new)
        refreshes += 1
        logger.info("access token refreshed", metadata: ["expires_at": "\(new.expiresAt)"])
        return new
    }

    /// Exchanges a one-time authorization code and stores the pair. `referer` is the account
    /// host amoCRM names in the redirect (`example.amocrm.ru`); see `RefererPolicy`. A renamed
    /// account that the policy follows has its new address used and kept. A code that fails
    /// leaves a working pair as it was.
    @discardableResult
    package func exchange(code: String, referer: String?) async throws -> TokenSet {
        var base = baseURL
        if let referer {
            switch referers.decide(referer) {
            case .configured: break
            case .follow(let host):
                logger.warning(
                    "the account's address differs from the configuration: using the one amoCRM named",
                    metadata: ["configured": "\(baseURL)", "referer": "\(host)"])
                base = Self.rebased(baseURL, host: host)
            case .refuse(let reason):
                logger.warning("OAuth referer refused: the code was not exchanged", metadata: ["reason": "\(reason)"])
                throw AmoError(kind: .rejected, request: "POST \(AmoPath.accessToken)", status: nil, title: nil, detail: reason)
            }
        }
        await reloadIfChanged()
        return try await holdingVaultLock {
            var new = try await request(grant: TokenRequest.authorizationCode, value: code, base: base)
            if base != baseURL { new.baseURL = base }
            try await persist(new)
            return new
        }
    }

    /// The configured address with the account's new host (scheme and port kept).
    static func rebased(_ configured: String, host: String) -> String {
        guard var components = URLComponents(string: configured) else { return "https://\(host)" }
        components.host = host
        return components.string ?? "https://\(host)"
    }

    private func persist(_ new: TokenSet) async throws {
        try await vault.save(new)  // before the new pair is ever used
        await adopt(new)
    }

    private func adopt(_ new: TokenSet) async {
        tokens = new
        loadedStamp = await vault.stamp()
        if dead != nil {
            dead = nil
            await onStateChange(nil)
        }
    }

    private func markDead(_ reason: String) async {
        if dead == nil { logger.error("amoCRM credentials are dead", metadata: ["reason": "\(reason)"]) }
        dead = reason
        await onStateChange(reason)
    }

    /// `POST /oauth2/access_token`, through the shared rate limiter.
    private func request(grant: String, value: String, base: String) async throws -> TokenSet {
        let body = TokenRequest(
            clientID: client.id, clientSecret: client.secret, grantType: grant, redirectURI: client.redirectURI,
            code: grant == TokenRequest.authorizationCode ? value : nil, refreshToken: grant == TokenRequest.refresh ? value : nil)
        let label = "POST \(AmoPath.accessToken)"
        let url = URL(string: base + AmoPath.accessToken)!
        let response: IncomingResponse
        do {
            response = try await limiter.perform(
                OutgoingRequest(
                    method: "POST", url: url, headers: ["Content-Type": "application/json"], body: try AmoJSON.encode(body),
                    timeout: timeout), on: transport)
        } catch {
            throw AmoError(kind: .transient, request: label, status: nil, title: nil, detail: "\(error)")
        }
        let problem = try? AmoJSON.decode(Problem.self, from: response.body)
        switch response.status {
        case 200..<300:
            guard let answer = try? AmoJSON.decode(TokenResponse.self, from: response.body) else {
                throw AmoError(
                    kind: .transient, request: label, status: response.status, title: nil,
                    detail: "the token answer has no access_token/refresh_token")
            }
            return TokenSet(
                accessToken: answer.accessToken, refreshToken: answer.refreshToken,
                expiresAt: clock.date.addingTimeInterval(answer.expiresIn ?? 86_400))
        case 401, 400, 403, 404:
            let title = problem?.title ?? ""
            let hint = problem?.hint ?? problem?.detail ?? ""
            let reason: String
            if hint.localizedCaseInsensitiveContains("revoked") {
                reason =
                    "amoCRM answered \"Token has been revoked\": the refresh token was already used or expired (3 months unused). "
                    + "Authorize again: `amosync auth exchange --code CODE` with a new code from the integration's settings"
            } else if title.contains("клиент") || title.localizedCaseInsensitiveContains("client") {
                reason = "amoCRM rejected the integration (\(title)): check amocrm.client_id, amocrm.client_secret and amocrm.redirect_uri"
            } else if grant == TokenRequest.authorizationCode {
                reason =
                    "amoCRM refused the authorization code (HTTP \(response.status) \(title): \(hint)); codes live 20 minutes "
                    + "and work once: take a new one"
            } else {
                reason =
                    "amoCRM refused the refresh (HTTP \(response.status) \(title): \(hint)): authorize again with `amosync auth "
                    + "exchange --code CODE`"
            }
            if grant == TokenRequest.refresh || tokens == nil { await markDead(reason) }
            throw Self.unauthorized(reason)
        case 429:
            throw AmoError(kind: .throttled, request: label, status: 429, title: nil, detail: "rate limit exceeded")
        default:
            throw AmoError(
                kind: .transient, request: label, status: response.status, title: problem?.title,
                detail: problem?.detail ?? "token endpoint failed")
        }
    }
}
