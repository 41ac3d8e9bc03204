import AmoAPI
import Foundation
import Synchronization
import Testing
@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import AmoCRMFake
@testable import AmoSyncCLI
@testable import TestSupport
@testable import TestFixtures

/// OAuth against the fake over loopback: single-flight refresh, rotation across restarts,
/// durable writes, dead credentials and recovery, no secrets in logs.
@Suite struct TokenManagerTests {
    static let client = TokenManager.Client(id: "client-id-1", secret: "client-secret-XYZ", redirectURI: "https://shop.example/amo")

    /// The fake with an OAuth integration: in process, or over HTTP on `host` (a loopback address).
    static func fake(host: String? = nil) async throws -> RunningFake {
        var options = FakeAmoState.Options()
        options.oauthClient = FakeOAuthClient(id: client.id, secret: client.secret, redirectURI: client.redirectURI)
        let state = FakeAmoState(options: options)
        guard let host else { return RunningFake(state: state, port: nil, token: "", task: nil) }
        let box = PortBox()
        let app = FakeAmoServer.application(state: state, host: host, port: 0, logger: quietLogger()) { await box.set($0) }
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        return RunningFake(state: state, host: host, port: try await box.wait(), token: "", task: task)
    }

    static func manager(
        _ fake: RunningFake, file: String, margin: TimeInterval = 60, logger: LogCapture? = nil,
        limiter: RateLimiter = RateLimiter(requestsPerSecond: 7),
        onState: @escaping @Sendable (String?) async -> Void = { _ in }
    ) -> TokenManager {
        TokenManager(
            client: client, vault: TokenFile(path: file), baseURL: fake.baseURL, transport: fake.transport(clock: SystemTime()),
            limiter: limiter, timeout: 5, logger: logger?.logger() ?? quietLogger(),
            refreshMargin: margin, referers: RefererPolicy(accountHost: "example.amocrm.ru", followRenamed: false), onStateChange: onState)
    }

    static func amoClient(_ fake: RunningFake, tokens: any AccessTokenProvider, limiter: RateLimiter) -> AmoClient {
        AmoClient(
            baseURL: fake.baseURL, transport: fake.transport(clock: SystemTime()), limiter: limiter, tokens: tokens,
            timeout: 5, logger: quietLogger())
    }

    /// A renamed account: amoCRM names its new host in the redirect's `referer`. With
    /// `follow_referer` the exchange goes there, and so does every later request, also after
    /// a restart (the tokens file keeps the address). The transport stands in for DNS: the
    /// renamed host is served by a fake on 127.0.0.2, the configured one by nothing.
    @Test func aRenamedAccountIsFollowedOnlyWhenAllowedAndKept() async throws {
        let fake = try await Self.fake(host: "127.0.0.2")
        defer { fake.stop() }
        let dir = TempDir()
        let configured = "https://shop.amocrm.ru"
        let transport = HostMapTransport(
            routes: ["renamed.amocrm.ru": URL(string: fake.baseURL)!], secret: Self.client.secret)
        func manager(follow: Bool) -> TokenManager {
            TokenManager(
                client: Self.client, vault: TokenFile(path: dir.file("tokens.json")), baseURL: configured, transport: transport,
                limiter: RateLimiter(requestsPerSecond: 7), timeout: 5, logger: quietLogger(),
                referers: RefererPolicy(accountHost: "shop.amocrm.ru", followRenamed: follow))
        }
        await #expect(throws: AmoError.self, "not followed by default") {
            try await manager(follow: false).exchange(code: await fake.state.issueCode(), referer: "renamed.amocrm.ru")
        }
        #expect(transport.requests.isEmpty, "nothing was sent anywhere")
        let pair = try await manager(follow: true).exchange(code: await fake.state.issueCode(), referer: "renamed.amocrm.ru")
        #expect(pair.baseURL == "https://renamed.amocrm.ru")
        #expect(try TokenFile(path: dir.file("tokens.json")).read()?.baseURL == "https://renamed.amocrm.ru")
        let client = AmoClient(
            baseURL: configured, transport: transport, limiter: RateLimiter(requestsPerSecond: 7), tokens: manager(follow: true),
            timeout: 5, logger: quietLogger())
        #expect(try await client.send(Endpoints.account()).id > 0, "a restarted daemon uses the kept address")
        #expect(transport.requests.allSatisfy { $0.host == "renamed.amocrm.ru" })
    }

    /// Every look-alike of the issue, with `follow_referer` on: the secret goes nowhere.
    @Test(arguments: [
        "evil.example", "amocrm.ru.evil.example", "https://evil.example:8443/path", "example.amocrm.ru@127.0.0.2",
        "evil.example/.amocrm.ru", "xamocrm.ru", ".amocrm.ru", "a..amocrm.ru", "-a.amocrm.ru", "shop.amocrm.ru:8443",
        "https://shop.amocrm.ru", "shop.amocrm.ru/x", "shop.amocrm.ru.", "127.0.0.2", "shop.amocrm.ru\n", "SHOP.amocrm.ru\u{0}",
    ])
    func aForeignRefererNeverReceivesTheSecret(referer: String) async throws {
        let fake = try await Self.fake(host: "127.0.0.2")
        defer { fake.stop() }
        let dir = TempDir()
        let transport = HostMapTransport(routes: [:], secret: Self.client.secret)
        let manager = TokenManager(
            client: Self.client, vault: TokenFile(path: dir.file("tokens.json")), baseURL: fake.baseURL,
            transport: transport, limiter: RateLimiter(requestsPerSecond: 7), timeout: 5, logger: quietLogger(),
            referers: RefererPolicy(accountHost: "shop.amocrm.ru", followRenamed: true))
        await #expect(throws: AmoError.self) { try await manager.exchange(code: await fake.state.issueCode(), referer: referer) }
        #expect(transport.requests.isEmpty)
        #expect(await fake.state.requestStats().total == 0)
    }

    /// A tokens file that names a foreign host (an older version followed any referer) is
    /// never used: credentials are reported dead and nothing is sent there.
    @Test func aStoredForeignAddressIsNeverUsed() async throws {
        let dir = TempDir()
        let file = TokenFile(path: dir.file("tokens.json"))
        var stored = TokenSet(accessToken: "a", refreshToken: "r", expiresAt: Date().addingTimeInterval(86_400))
        stored.baseURL = "https://evil.example"
        try file.write(stored)
        let transport = HostMapTransport(routes: [:], secret: Self.client.secret)
        let manager = TokenManager(
            client: Self.client, vault: file, baseURL: "https://shop.amocrm.ru", transport: transport,
            limiter: RateLimiter(requestsPerSecond: 7), timeout: 5, logger: quietLogger(),
            referers: RefererPolicy(accountHost: "shop.amocrm.ru", followRenamed: true))
        let client = AmoClient(
            baseURL: "https://shop.amocrm.ru", transport: transport, limiter: RateLimiter(requestsPerSecond: 7),
            tokens: manager, timeout: 5, logger: quietLogger())
        await #expect(throws: AmoError.self) { try await client.send(Endpoints.account()) }
        #expect(transport.requests.isEmpty)
        #expect(await manager.deadReason?.contains("evil.example") == true)
    }

    @Test(arguments: [
        ("shop.amocrm.ru", RefererPolicy.Decision.configured), ("Shop.AmoCRM.ru", .configured),
        ("renamed.amocrm.ru", .follow("renamed.amocrm.ru")), ("a.b.kommo.com", .follow("a.b.kommo.com")),
        ("shop.amocrm.com", .follow("shop.amocrm.com")),
    ])
    func refererPolicyFollowsOnlyAmoCRMHosts(referer: String, expected: RefererPolicy.Decision) {
        #expect(RefererPolicy(accountHost: "shop.amocrm.ru", followRenamed: true).decide(referer) == expected)
        let strict = RefererPolicy(accountHost: "shop.amocrm.ru", followRenamed: false).decide(referer)
        if expected == .configured {
            #expect(strict == .configured)
        } else {
            guard case .refuse(let reason) = strict else { Issue.record("followed without follow_referer"); return }
            #expect(reason.contains("amocrm.follow_referer") && reason.contains(referer.lowercased()))
        }
    }

    @Test func concurrentUnauthorizedRequestsCauseExactlyOneRefresh() async throws {
        let fake = try await Self.fake()
        defer { fake.stop() }
        let dir = TempDir()
        let limiter = RateLimiter(requestsPerSecond: 7)
        let manager = Self.manager(fake, file: dir.file("tokens.json"), limiter: limiter)
        try await manager.exchange(code: await fake.state.issueCode(), referer: nil)
        await fake.state.expireAccessTokens()
        let client = Self.amoClient(fake, tokens: manager, limiter: limiter)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<7 { group.addTask { try await client.send(Endpoints.account()).id > 0 ? 200 : 0 } }
            for try await status in group { #expect(status == 200) }
        }
        #expect(await fake.state.oauthStats.refreshes == 1)
        #expect(await manager.refreshes == 1)
    }

    @Test func refreshesAheadOfExpiryAndTheRotatedPairSurvivesARestart() async throws {
        let fake = try await Self.fake()
        defer { fake.stop() }
        let dir = TempDir()
        let first = Self.manager(fake, file: dir.file("tokens.json"), margin: 60)
        await fake.state.setAccessTTL(30)  // inside the 60 s margin: the next use refreshes
        let original = try await first.exchange(code: await fake.state.issueCode(), referer: nil)
        _ = try await first.accessToken()
        let rotated = try #require(try TokenFile(path: dir.file("tokens.json")).read())
        #expect(rotated.refreshToken != original.refreshToken, "the new pair is on disk")
        #expect(await fake.state.oauthStats.refreshes == 1)
        // A restart: a new manager reads the file and refreshes with the rotated token.
        let second = Self.manager(fake, file: dir.file("tokens.json"), margin: 60)
        _ = try await second.accessToken()
        #expect(await fake.state.oauthStats.refreshes == 2)
        #expect(await fake.state.revokedRefreshAttempts == 0, "an old refresh token was never sent")
        #expect(await second.deadReason == nil)
    }

    @Test func tokensFileIsPrivateAndAFailedWriteKeepsTheOldPair() async throws {
        let fake = try await Self.fake()
        defer { fake.stop() }
        let dir = TempDir()
        let path = dir.file("tokens.json")
        let manager = Self.manager(fake, file: path, margin: 60)
        await fake.state.setAccessTTL(3600)
        let original = try await manager.exchange(code: await fake.state.issueCode(), referer: nil)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The temp file cannot be created: the write fails before anything is renamed.
        try FileManager.default.createDirectory(atPath: dir.file(".tokens.json.\(getpid()).tmp"), withIntermediateDirectories: false)
        await fake.state.expireAccessTokens()
        await #expect(throws: (any Error).self) { try await manager.renew(after: original.accessToken) }
        let kept = try #require(try TokenFile(path: path).read())
        #expect(kept.refreshToken == original.refreshToken, "the old pair is intact")
        #expect(kept.accessToken == original.accessToken)
    }

    @Test func deadCredentialsPauseDeliveryAndAuthExchangeResumesIt() async throws {
        let fake = try await Self.fake()
        defer { fake.stop() }
        let dir = TempDir()
        let capture = LogCapture()
        try await Self.manager(fake, file: dir.file("tokens.json")).exchange(code: await fake.state.issueCode(), referer: nil)
        var json = testConfig(fake: fake, dir: dir)
        json.set(
            "amocrm",
            [
                "subdomain": "example", "base_url": .string(fake.baseURL), "client_id": .string(Self.client.id),
                "client_secret": "env:SECRET", "redirect_uri": .string(Self.client.redirectURI),
                "tokens_file": .string(dir.file("tokens.json")), "timeout_seconds": 5,
            ])
        let config = try Config.parse(json.canonicalData, environment: ["SECRET": Self.client.secret])
        var options = Daemon.Options()
        options.authProbeInterval = .milliseconds(300)
        let box = PortBox()
        let daemon = try await Daemon.build(
            config: config, logger: capture.logger(), transport: fake.transport(clock: options.clock), signals: [], options: options
        ) { await box.set($0) }
        let task = Task { try await daemon.run() }
        let port = try await box.wait()
        let running = RunningDaemon(daemon: daemon, port: port, metricsPort: 0, task: task, dir: dir)

        _ = try await running.send("/v1/orders", json: sampleOrder(id: "1"))
        try await running.waitIdle()
        await fake.state.revokeAll()
        _ = try await running.send("/v1/orders", json: sampleOrder(id: "2", phone: "89120000002"))
        try await eventually { await daemon.health.credentialsProblem != nil }
        // The worker probes now and then (each probe is one more paused attempt in the history);
        // between probes the job waits, queued, with no attempt spent.
        try await eventually {
            let job = try await daemon.store.list(JobFilter()).first { $0.externalID == "2" }
            guard let job else { return false }
            return try await daemon.store.attempts(of: job.id).count >= 2
        }
        try await eventually {
            let job = try await daemon.store.list(JobFilter()).first { $0.externalID == "2" }
            return job?.state == .queued && job?.attempts == 0
        }
        let waiting = try await #require(try daemon.store.list(JobFilter()).first { $0.externalID == "2" })
        await #expect(try daemon.store.attempts(of: waiting.id).allSatisfy { $0.outcome == .paused })
        let ready = try await running.send("/readyz", method: "GET", token: nil)
        #expect(ready.status == 503)
        #expect(ready.json?["problems"] == ["amocrm_credentials"], "an outsider learns which check failed, not why")
        #expect(ready.json?.canonicalString.contains("revoked") == false)
        let stats = try await StatsReport.collect(config: config, store: daemon.store)
        #expect(stats.authState == "dead")
        #expect(await fake.state.revokedRefreshAttempts == 1, "the dead refresh token is not retried in a loop")

        // `amosync auth exchange` in another process: a new pair in the file.
        try await Self.manager(fake, file: dir.file("tokens.json")).exchange(code: await fake.state.issueCode(), referer: nil)
        try await running.waitIdle()
        await #expect(try daemon.store.list(JobFilter()).allSatisfy { $0.state == .done })
        #expect(await daemon.health.credentialsProblem == nil)
        await running.stop()

        let secrets =
            [Self.client.secret] + (try TokenFile(path: dir.file("tokens.json")).read().map { [$0.accessToken, $0.refreshToken] } ?? [])
        for line in capture.all { for secret in secrets { #expect(!line.contains(secret), "a secret leaked into: \(line)") } }
        #expect(capture.all.contains { $0.contains("credentials") })
    }

    static func routes(_ fake: RunningFake, dir: TempDir, store: SQLiteStore, logger: LogCapture? = nil) async -> OAuthRoutes {
        OAuthRoutes(
            store: store, tokens: Self.manager(fake, file: dir.file("tokens.json")),
            referers: RefererPolicy(accountHost: "example.amocrm.ru", followRenamed: false), logger: logger?.logger() ?? quietLogger())
    }

    @Test func theCallbackStoresTheCodeAndExchangesItOnce() async throws {
        let fake = try await Self.fake()
        defer { fake.stop() }
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("q.sqlite3"))
        try await store.issueOAuthState("s-123", expiresAt: Date().addingTimeInterval(600))
        let routes = await Self.routes(fake, dir: dir, store: store)
        let code = await fake.state.issueCode()
        await #expect(routes.callback(["code": code, "state": "wrong"]).status == .badRequest)
        await #expect(routes.callback(["code": code, "state": "s-123", "referer": "example.amocrm.ru"]).status == .ok)
        try await eventually { (try? TokenFile(path: dir.file("tokens.json")).read()) != nil }
        try await eventually { await (try? store.meta("pending_auth_code")) == nil }
        await #expect(routes.callback(["code": code, "state": "s-123"]).status == .badRequest, "a state works once")
        // A widget install carries no state: only for the configured account.
        await #expect(routes.callback(["code": await fake.state.issueCode(), "from_widget": "1"]).status == .badRequest)
        await #expect(
            routes.callback(["code": await fake.state.issueCode(), "from_widget": "1", "referer": "evil.example"]).status == .badRequest)
        await #expect(
            routes.callback(["code": await fake.state.issueCode(), "from_widget": "1", "referer": "example.amocrm.ru"]).status == .ok)
    }

    @Test func anExpiredStateIsRefused() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("q.sqlite3"))
        try await store.issueOAuthState("s-old", expiresAt: Date().addingTimeInterval(-1))
        await #expect(try store.consumeOAuthState("s-old") == false)
        try await store.issueOAuthState("s-new", expiresAt: Date().addingTimeInterval(60))
        await #expect(try store.consumeOAuthState("s-new-") == false)
        await #expect(try store.consumeOAuthState("s-new") == true)
        await #expect(try store.consumeOAuthState("s-new") == false)
    }

    /// The issue's scenario: a working pair, then forged callbacks (no state, a foreign referer,
    /// a replayed or repeated state, a flood): nothing is exchanged, the pair and deliveries go on.
    @Test func forgedCallbacksNeverDisturbAWorkingPair() async throws {
        let fake = try await Self.fake()
        defer { fake.stop() }
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("q.sqlite3"))
        let manager = Self.manager(fake, file: dir.file("tokens.json"))
        let pair = try await manager.exchange(code: await fake.state.issueCode(), referer: nil)
        let daemon = try await RunningDaemon.start(fake: fake, dir: dir) { config in
            config.set(
                "amocrm",
                [
                    "subdomain": "example", "base_url": .string(fake.baseURL), "client_id": .string(Self.client.id),
                    "client_secret": .string(Self.client.secret), "redirect_uri": .string(Self.client.redirectURI),
                    "tokens_file": .string(dir.file("tokens.json")), "timeout_seconds": 5,
                ])
        }
        let before = await fake.state.requestStats().total
        var statuses: [Int] = []
        for query in [
            "code=x&from_widget=1&referer=evil.example", "code=abc&from_widget=1", "code=x&state=wrong&state=RIGHT",
            "code=x&from_widget=1&referer=example.amocrm.ru.evil.example", "code=x&state=guess",
        ] {
            statuses.append(try await daemon.send("/oauth/callback?\(query)", method: "GET", token: nil).status)
        }
        #expect(statuses == [400, 400, 400, 400, 400])
        var flood: [Int] = []
        for _ in 0..<3 { flood.append(try await daemon.send("/oauth/callback?code=x", method: "GET", token: nil).status) }
        #expect(flood.contains(429), "callbacks are limited to \(OAuthRoutes.callbacksPerMinute) a minute")
        #expect(await fake.state.requestStats().total == before, "no forged code reached any token endpoint")
        #expect(try TokenFile(path: dir.file("tokens.json")).read()?.refreshToken == pair.refreshToken)
        _ = try await daemon.send("/v1/orders", json: sampleOrder(id: "after-forgery"))
        try await daemon.waitIdle()
        await #expect(try daemon.store.stats().counts[.done] == 1, "deliveries go on")
        await daemon.stop()
    }

    @Test func fakeOAuthBehavesLikeAmoCRM() async throws {
        let fake = try await Self.fake()
        defer { fake.stop() }
        func post(_ body: JSONValue) async throws -> (Int, JSONValue?) {
            let response = try await fake.transport(clock: SystemTime()).send(
                OutgoingRequest(
                    method: "POST", url: URL(string: fake.baseURL + "/oauth2/access_token")!,
                    headers: ["Content-Type": "application/json"], body: body.canonicalData))
            return (response.status, try? JSONValue.parse(response.body))
        }
        let base: [String: JSONValue] = [
            "client_id": .string(Self.client.id), "client_secret": .string(Self.client.secret),
            "redirect_uri": .string(Self.client.redirectURI),
        ]
        let code = await fake.state.issueCode()
        let (status, tokens) = try await post(.object(base.merging(["grant_type": "authorization_code", "code": .string(code)]) { $1 }))
        #expect(status == 200)
        #expect(
            try await post(.object(base.merging(["grant_type": "authorization_code", "code": .string(code)]) { $1 })).0 == 400,
            "codes work once")
        let refresh = try #require(tokens?["refresh_token"])
        #expect(try await post(.object(base.merging(["grant_type": "refresh_token", "refresh_token": refresh]) { $1 })).0 == 200)
        let reused = try await post(.object(base.merging(["grant_type": "refresh_token", "refresh_token": refresh]) { $1 }))
        #expect(reused.0 == 401)
        #expect(reused.1?["hint"] == "Token has been revoked")
        let wrongClient = try await post(
            .object(base.merging(["client_secret": "nope", "grant_type": "authorization_code", "code": "x"]) { $1 }))
        #expect(wrongClient.0 == 401)
        #expect(wrongClient.1?["title"] == "Некорректный клиент")
    }
}

@Suite struct ExchangeRunnerTests {
    /// Requests while one exchange runs never start a second one: they make the running one
    /// go once more when it ends (to read a code stored meanwhile).
    @Test func oneAtATimeAndNothingMissed() async throws {
        let runner = ExchangeRunner()
        let started = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let runs = Mutex((total: 0, concurrent: 0, most: 0))
        let work: @Sendable () async -> Void = {
            runs.withLock {
                $0.total += 1; $0.concurrent += 1; $0.most = max($0.most, $0.concurrent)
            }
            started.continuation.yield()
            var releases = release.stream.makeAsyncIterator()
            _ = await releases.next()
            runs.withLock { $0.concurrent -= 1 }
        }
        var starts = started.stream.makeAsyncIterator()
        runner.run(work)
        _ = await starts.next()
        for _ in 0..<5 { runner.run(work) }  // five callbacks while the first exchange runs
        release.continuation.yield()
        _ = await starts.next()  // the one more round
        release.continuation.yield()
        try await eventually { runner.isIdle }
        #expect(runs.withLock { $0.total } == 2)
        #expect(runs.withLock { $0.most } == 1)
    }
}
