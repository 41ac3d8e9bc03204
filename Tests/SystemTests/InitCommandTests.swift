import Foundation
import Testing

@testable import AmoSyncCore
@testable import AmoSyncServer
@testable import TestSupport
@testable import TestFixtures

/// `amosync init` as an operator runs it on a fresh server: the real executable, real files.
@Suite struct InitCommandTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    static func env(_ path: String) throws -> [String: String] {
        Dictionary(EnvFile.parse(try String(contentsOfFile: path, encoding: .utf8)).map { ($0.key, $0.value) }) { $1 }
    }

    /// Against a running (fake) account: the main pipeline's first open stage is written down,
    /// the secrets go to the env file only, and `amosync check` (which reads that env file) passes.
    @Test func writesAConfigTheAccountAccepts() async throws {
        let fake = try await RunningFake.start(overHTTP: true)
        defer { fake.stop() }
        let dir = TempDir()
        let tokenFile = dir.file("token.txt")
        try Data((fake.token + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
        let config = dir.file("etc/config.json")
        let run = try await CommandLineTests.amosync([
            "init", "--subdomain", "shop", "--long-lived-token-file", tokenFile, "--config", config,
            "--state-directory", dir.file("state"), "--base-url", fake.baseURL,
        ])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("pipeline 3177727 (Воронка), stage 32392159 (Новый заказ)"), "\(run.output)")
        #expect(run.output.contains("systemctl enable --now amosync"))

        let json = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: config)))
        #expect(json.value(at: "orders.pipeline_id")?.intValue == 3_177_727)
        #expect(json.value(at: "orders.status_id")?.intValue == 32_392_159)
        #expect(json.value(at: "amocrm.long_lived_token")?.stringValue == "env:AMOCRM_LONG_LIVED_TOKEN")
        #expect(json.value(at: "database.path")?.stringValue == dir.file("state/queue.sqlite3"))
        let envPath = dir.file("etc/amosync.env")
        let env = try Self.env(envPath)
        let intakeToken = try #require(env["AMOSYNC_INTAKE_TOKEN"])
        #expect(intakeToken.count == 64 && intakeToken.allSatisfy(\.isHexDigit))
        #expect(env["AMOCRM_LONG_LIVED_TOKEN"] == fake.token)
        let configText = try String(contentsOfFile: config, encoding: .utf8)
        #expect(!configText.contains(fake.token) && !configText.contains(intakeToken))
        #expect(try Self.mode(config) == 0o640)
        #expect(try Self.mode(envPath) == 0o600)
        #expect(!run.output.contains(intakeToken) && !run.output.contains(fake.token))

        let check = try await CommandLineTests.amosync(["check", "--config", config])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("all pipelines, statuses, users and fields check out"), "\(check.output)")
    }

    /// A config someone wrote is never replaced, and nothing else is written either.
    @Test func refusesToOverwriteAConfig() async throws {
        let dir = TempDir()
        let config = dir.file("config.json")
        try Data("{\"mine\": true}".utf8).write(to: URL(fileURLWithPath: config))
        try Data("a.b.c".utf8).write(to: URL(fileURLWithPath: dir.file("token")))
        let run = try await CommandLineTests.amosync([
            "init", "--subdomain", "shop", "--long-lived-token-file", dir.file("token"), "--config", config, "--offline",
        ])
        #expect(run.status == 1)
        #expect(run.output.contains("\(config) already exists"), "\(run.output)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "{\"mine\": true}")
        #expect(!FileManager.default.fileExists(atPath: dir.file("amosync.env")))
    }

    /// The example the package installs as `/etc/amosync/config.json`, untouched, is replaced;
    /// an env file that already exists keeps its lines and gains only what it lacks.
    @Test func replacesTheUntouchedPackagedExample() async throws {
        let dir = TempDir()
        let example = try Data(
            contentsOf: Repository.file("config.example.json"))
        try example.write(to: URL(fileURLWithPath: dir.file("example.json")))
        try example.write(to: URL(fileURLWithPath: dir.file("config.json")))
        try Data("WC_WEBHOOK_SECRET=kept\nAMOSYNC_INTAKE_TOKEN=\"mine-0123456789abcdef\"\n".utf8)
            .write(to: URL(fileURLWithPath: dir.file("amosync.env")))
        try Data("a.b.c".utf8).write(to: URL(fileURLWithPath: dir.file("token")))
        let run = try await CommandLineTests.amosync([
            "init", "--subdomain", "shop", "--long-lived-token-file", dir.file("token"), "--config", dir.file("config.json"),
            "--offline", "--packaged-example", dir.file("example.json"),
        ])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("main pipeline's first stage"))
        let json = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: dir.file("config.json"))))
        #expect(json.value(at: "amocrm.subdomain")?.stringValue == "shop")
        #expect(json.value(at: "orders.pipeline_id") == nil)
        #expect(
            try Self.env(dir.file("amosync.env"))
                == ["WC_WEBHOOK_SECRET": "kept", "AMOSYNC_INTAKE_TOKEN": "mine-0123456789abcdef", "AMOCRM_LONG_LIVED_TOKEN": "a.b.c"])
        let check = try await CommandLineTests.amosync(["check", "--offline", "--config", dir.file("config.json")])
        #expect(check.status == 0, "\(check.output)")
    }

    /// `--public-url`: amoCRM's webhook with a new key in the env file, and the command that registers it.
    @Test func aPublicURLSetsUpAmoCRMsWebhook() async throws {
        let dir = TempDir()
        let config = dir.file("config.json")
        try Data("a.b.c".utf8).write(to: URL(fileURLWithPath: dir.file("token")))
        let run = try await CommandLineTests.amosync([
            "init", "--subdomain", "shop", "--long-lived-token-file", dir.file("token"), "--config", config, "--offline",
            "--public-url", "https://amosync.shop.example",
        ])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("amosync amocrm webhook install --config \(config)"), "\(run.output)")
        let json = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: config)))
        #expect(json.value(at: "amocrm.webhook.public_url") == "https://amosync.shop.example")
        #expect(json.value(at: "amocrm.webhook.key") == "env:AMOSYNC_AMOCRM_HOOK_KEY")
        let key = try #require(try Self.env(dir.file("amosync.env"))["AMOSYNC_AMOCRM_HOOK_KEY"])
        #expect(key.count == 64 && key.allSatisfy(\.isHexDigit))
        let check = try await CommandLineTests.amosync(["check", "--offline", "--config", config])
        #expect(check.status == 0, "\(check.output)")
        let wrong = try await CommandLineTests.amosync([
            "init", "--subdomain", "shop", "--long-lived-token-file", dir.file("token"), "--config", dir.file("other.json"),
            "--offline", "--public-url", "amosync.shop.example",
        ])
        #expect(wrong.status == 2)
        #expect(wrong.output.contains("--public-url"), "\(wrong.output)")
    }

    /// OAuth: the secret stays in the environment variable named; until the env file holds it,
    /// `check` names the key that is missing.
    @Test func oauthNamesTheSecretToAdd() async throws {
        let dir = TempDir()
        let config = dir.file("config.json")
        let run = try await CommandLineTests.amosync([
            "init", "--subdomain", "shop", "--client-id", "8a8135d4-1c2b-4d5e-9f00-1234567890ab",
            "--client-secret-env", "AMOSYNC_TEST_UNSET_SECRET", "--redirect-uri", "https://shop.example/amocrm/oauth", "--config", config,
        ])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("add the OAuth client secret to \(dir.file("amosync.env")): AMOSYNC_TEST_UNSET_SECRET="))
        let before = try await CommandLineTests.amosync(["check", "--offline", "--config", config])
        #expect(before.status == 1)
        #expect(
            before.output.contains("amocrm.client_secret: environment variable AMOSYNC_TEST_UNSET_SECRET is not set"), "\(before.output)")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("amosync.env")))
        handle.seekToEndOfFile()
        handle.write(Data("AMOSYNC_TEST_UNSET_SECRET=s3cret\n".utf8))
        try handle.close()
        let after = try await CommandLineTests.amosync(["check", "--offline", "--config", config])
        #expect(after.status == 0, "\(after.output)")
    }

    @Test func credentialsAreOneKindOrTheOther() async throws {
        let both = try await CommandLineTests.amosync([
            "init", "--subdomain", "shop", "--long-lived-token-file", "/tmp/x", "--client-id", "1", "--config", "/nonexistent/c.json",
        ])
        #expect(both.status == 2)
        #expect(both.output.contains("either --long-lived-token-file or the OAuth options"), "\(both.output)")
        let none = try await CommandLineTests.amosync(["init", "--subdomain", "shop", "--config", "/nonexistent/c.json"])
        #expect(none.status == 2)
        #expect(none.output.contains("--long-lived-token-file FILE, or --client-id"), "\(none.output)")
    }

    @Test func envFileReadsAsSystemdDoes() {
        let text = "# comment\n; other\n\nA=1\n B = two words \nC=\"quoted\"\nD='single'\nE=\nnot a pair\nA=override\n"
        let pairs = EnvFile.parse(text)
        #expect(pairs.map(\.key) == ["A", "B", "C", "D", "E", "A"])
        #expect(pairs.map(\.value) == ["1", "two words", "quoted", "single", "", "override"])
    }

    /// The process environment wins over the env file beside the config.
    @Test func processEnvironmentWinsOverTheEnvFile() throws {
        let dir = TempDir()
        try Data("X=file\nY=file\n".utf8).write(to: URL(fileURLWithPath: dir.file("amosync.env")))
        let merged = try ConfigFile.environment(forConfig: dir.file("config.json"), process: ["Y": "process"])
        #expect(merged == ["X": "file", "Y": "process"])
    }
}
