import Foundation
import Testing
@testable import AmoSyncCore

/// OAuth against the fake over loopback: single-flight refresh, rotation across restarts,
/// durable writes, dead credentials and recovery, no secrets in logs.
@Suite struct TokenManagerTests {
    static let client = TokenManager.Client(id: "client-id-1", secret: "client-secret-XYZ", redirectURI: "https://shop.example/amo")

    static func fake(host: String = "127.0.0.1") async throws -> RunningFake {
        var options = FakeAmoState.Options()
        options.oauthClient = FakeOAuthClient(id: client.id, secret: client.secret, redirectURI: client.redirectURI)
        let state = FakeAmoState(options: options)
        let box = PortBox()
        let app = FakeAmoServer.application(state: state, host: host, port: 0, logger: quietLogger()) { await box.set($0) }
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        return RunningFake(state: state, port: try await box.wait(), token: "", task: task)
    }

    static func manager(_ fake: RunningFake, file: String, margin: TimeInterval = 60, logger: LogCapture? = nil,
                        limiter: RateLimiter = RateLimiter(requestsPerSecond: 7),
                        onState: @escaping @Sendable (String?) async -> Void = { _ in }) -> TokenManager {
        TokenManager(client: client, file: TokenFile(path: file), baseURL: fake.baseURL, transport: URLSessionTransport(),
                     limiter: limiter, timeout: 5, logger: logger?.logger() ?? quietLogger(),
                     refreshMargin: margin, followReferer: false, onStateChange: onState)
    }

    static func amoClient(_ fake: RunningFake, tokens: any AccessTokenProvider, limiter: RateLimiter) -> AmoClient {
        AmoClient(baseURL: fake.baseURL, transport: URLSessionTransport(), limiter: limiter, tokens: tokens,
                  timeout: 5, logger: quietLogger())
    }

    /// A renamed account: amoCRM names its new host in the redirect's `referer`. The exchange goes
    /// there, and so does every later request, also after a restart (the tokens file keeps the address).
    @Test func aRefererNamingAnotherHostIsFollowedAndKept() async throws {
        // The account now lives on 127.0.0.2; the configured address (127.0.0.1, same port) has nothing.
        let fake = try await Self.fake(host: "127.0.0.2")
        defer { fake.stop() }
        let dir = TempDir()
        let configured = "http://127.0.0.1:\(fake.port)"
        func manager() -> TokenManager {
            TokenManager(client: Self.client, file: TokenFile(path: dir.file("tokens.json")), baseURL: configured, transport: URLSessionTransport(),
                         limiter: RateLimiter(requestsPerSecond: 7), timeout: 5, logger: quietLogger(), followReferer: true)
        }
        let pair = try await manager().exchange(code: await fake.state.issueCode(), referer: "127.0.0.2")
        #expect(pair.baseURL == "http://127.0.0.2:\(fake.port)")
        #expect(try TokenFile(path: dir.file("tokens.json")).read()?.baseURL == "http://127.0.0.2:\(fake.port)")
        let client = AmoClient(baseURL: configured, transport: URLSessionTransport(), limiter: RateLimiter(requestsPerSecond: 7), tokens: manager(),
                               timeout: 5, logger: quietLogger())
        #expect(try await client.send("GET", "/api/v4/account").status == 200, "a restarted daemon uses the kept address")
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
            for _ in 0..<7 { group.addTask { try await client.send("GET", "/api/v4/account").status } }
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
        json.set("amocrm", ["subdomain": "example", "base_url": .string(fake.baseURL), "client_id": .string(Self.client.id),
                            "client_secret": "env:SECRET", "redirect_uri": .string(Self.client.redirectURI),
                            "tokens_file": .string(dir.file("tokens.json")), "timeout_seconds": 5])
        let config = try Config.parse(json.canonicalData, environment: ["SECRET": Self.client.secret])
        var options = Daemon.Options()
        options.authProbeInterval = .milliseconds(300)
        let box = PortBox()
        let daemon = try Daemon.build(config: config, logger: capture.logger(), signals: [], options: options) { await box.set($0) }
        let task = Task { try await daemon.run() }
        let port = try await box.wait()
        let running = RunningDaemon(daemon: daemon, port: port, task: task, dir: dir)

        _ = try await running.send("/v1/orders", json: sampleOrder(id: "1"))
        try await running.waitIdle()
        await fake.state.revokeAll()
        _ = try await running.send("/v1/orders", json: sampleOrder(id: "2", phone: "89120000002"))
        try await eventually { await daemon.health.credentialsProblem != nil }
        try await Task.sleep(for: .seconds(1))
        // The worker probes now and then; between probes the job waits, queued, with no attempt spent.
        try await eventually {
            let job = try daemon.store.list(JobStore.Filter()).first { $0.externalID == "2" }
            return job?.state == .queued && job?.attempts == 0
        }
        let waiting = try #require(try daemon.store.list(JobStore.Filter()).first { $0.externalID == "2" })
        #expect(try daemon.store.attempts(of: waiting.id).allSatisfy { $0.outcome == .paused })
        let ready = try await running.send("/readyz", method: "GET", token: nil)
        #expect(ready.status == 503)
        #expect(ready.json?["problems"]?.arrayValue?.first?.stringValue?.contains("Token has been revoked") == true)
        let stats = try StatsReport.collect(config: config, store: daemon.store)
        #expect(stats.authState == "dead")
        #expect(await fake.state.revokedRefreshAttempts == 1, "the dead refresh token is not retried in a loop")

        // `amosync auth exchange` in another process: a new pair in the file.
        try await Self.manager(fake, file: dir.file("tokens.json")).exchange(code: await fake.state.issueCode(), referer: nil)
        try await running.waitIdle()
        #expect(try daemon.store.list(JobStore.Filter()).allSatisfy { $0.state == .done })
        #expect(await daemon.health.credentialsProblem == nil)
        await running.stop()

        let secrets = [Self.client.secret] + (try TokenFile(path: dir.file("tokens.json")).read().map { [$0.accessToken, $0.refreshToken] } ?? [])
        for line in capture.all { for secret in secrets { #expect(!line.contains(secret), "a secret leaked into: \(line)") } }
        #expect(capture.all.contains { $0.contains("credentials") })
    }

    @Test func theCallbackStoresTheCodeAndExchangesIt() async throws {
        let fake = try await Self.fake()
        defer { fake.stop() }
        let dir = TempDir()
        let store = try JobStore(path: dir.file("q.sqlite3"))
        let manager = Self.manager(fake, file: dir.file("tokens.json"))
        try store.setMeta("oauth_state", "s-123")
        let routes = OAuthRoutes(store: store, tokens: manager, logger: quietLogger())
        let code = await fake.state.issueCode()
        let bad = routes.callback(["code": code, "state": "wrong"])
        #expect(bad.status == .badRequest)
        let ok = routes.callback(["code": code, "state": "s-123", "referer": "example.amocrm.ru"])
        #expect(ok.status == .ok)
        try await eventually { (try? TokenFile(path: dir.file("tokens.json")).read()) != nil }
        #expect(try store.meta("pending_auth_code") == nil)
        // A widget install carries no state.
        let widget = routes.callback(["code": await fake.state.issueCode(), "from_widget": "1"])
        #expect(widget.status == .ok)
    }

    @Test func fakeOAuthBehavesLikeAmoCRM() async throws {
        let fake = try await Self.fake()
        defer { fake.stop() }
        func post(_ body: JSONValue) async throws -> (Int, JSONValue?) {
            let response = try await URLSessionTransport().send(OutgoingRequest(method: "POST", url: URL(string: fake.baseURL + "/oauth2/access_token")!,
                                                                               headers: ["Content-Type": "application/json"], body: body.canonicalData))
            return (response.status, try? JSONValue.parse(response.body))
        }
        let base: [String: JSONValue] = ["client_id": .string(Self.client.id), "client_secret": .string(Self.client.secret),
                                         "redirect_uri": .string(Self.client.redirectURI)]
        let code = await fake.state.issueCode()
        let (status, tokens) = try await post(.object(base.merging(["grant_type": "authorization_code", "code": .string(code)]) { $1 }))
        #expect(status == 200)
        #expect(try await post(.object(base.merging(["grant_type": "authorization_code", "code": .string(code)]) { $1 })).0 == 400, "codes work once")
        let refresh = try #require(tokens?["refresh_token"])
        #expect(try await post(.object(base.merging(["grant_type": "refresh_token", "refresh_token": refresh]) { $1 })).0 == 200)
        let reused = try await post(.object(base.merging(["grant_type": "refresh_token", "refresh_token": refresh]) { $1 }))
        #expect(reused.0 == 401)
        #expect(reused.1?["hint"] == "Token has been revoked")
        let wrongClient = try await post(.object(base.merging(["client_secret": "nope", "grant_type": "authorization_code", "code": "x"]) { $1 }))
        #expect(wrongClient.0 == 401)
        #expect(wrongClient.1?["title"] == "Некорректный клиент")
    }
}
