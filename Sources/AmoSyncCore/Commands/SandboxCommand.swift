import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole daemon against a built-in fake amoCRM, and print curl examples.",
        discussion: "Nothing to configure: a demo config and database are written to a temporary directory (printed).")

    @Option(help: "Port of the daemon's HTTP intake.") var port = 8080
    @Option(help: "Port of the fake amoCRM (0 picks a free one).") var fakePort = 0
    @Option(help: "Where to keep the demo config and database (default: a new temporary directory).") var directory: String?
    @OptionGroup var logging: LogOptions

    func run() async throws {
        let logger = try logging.bootstrap()
        let dir = directory ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("amosync-sandbox-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let token = JWT.make(["exp": .number(JSONNumber(Date().addingTimeInterval(5 * 365 * 86_400).timeIntervalSince1970.rounded())), "api_domain": "127.0.0.1"])
        var options = FakeAmoState.Options()
        options.longLivedTokens = [token]
        let state = FakeAmoState(options: options)
        let fakeReady = PortBox()
        let fake = FakeAmoServer.application(state: state, port: fakePort, logger: logger) { await fakeReady.set($0) }
        let fakeTask = Task { try await fake.runService(gracefulShutdownSignals: []) }
        let actualFakePort = try await fakeReady.wait()
        let configPath = (dir as NSString).appendingPathComponent("config.json")
        let json = SandboxSetup.configJSON(port: port, fakePort: actualFakePort, directory: dir, token: token)
        try Data(json.utf8).write(to: URL(fileURLWithPath: configPath))
        let config = try Config.parse(Data(json.utf8))
        let daemon = try Daemon.build(config: config, logger: logger) { bound in
            Console.print(SandboxSetup.instructions(port: bound, fakePort: actualFakePort, configPath: configPath))
        }
        defer { fakeTask.cancel() }
        do { try await daemon.run() } catch {
            Console.error("sandbox stopped: \(error)")
            throw ExitCode.failure
        }
    }
}

/// Waits for a server's bound port.
actor PortBox {
    private var port: Int?

    func set(_ port: Int) { self.port = port }

    func wait(timeout: Duration = .seconds(10)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while port == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        guard let port else { throw ValidationError("server did not start within \(timeout)") }
        return port
    }
}

struct FakeAmoCRMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-amocrm",
        abstract: "Run only the fake amoCRM (for development, benchmarks and tests).",
        discussion: "Control it over HTTP: GET /__fake/state, POST /__fake/faults, POST /__fake/contacts.")

    @Option(help: "Port to listen on.") var port = 8099
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Requests per second before 429.") var rps = 7
    @Option(help: "Long-lived token to accept (default: a new one, printed).") var token: String?
    @Option(help: "Latency added to every API response, in milliseconds.") var latencyMs = 0
    @Option(help: "Fraction of API requests answered 503 (0…1).") var failRate = 0.0
    @OptionGroup var logging: LogOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "fake-amocrm")
        let token = self.token ?? JWT.make(["exp": .number(JSONNumber(Date().addingTimeInterval(365 * 86_400).timeIntervalSince1970.rounded()))])
        var options = FakeAmoState.Options()
        options.requestsPerSecond = rps
        options.longLivedTokens = [token]
        options.faults.latencyMs = latencyMs
        options.faults.failRate = failRate
        let state = FakeAmoState(options: options)
        let host = self.host
        let app = FakeAmoServer.application(state: state, host: host, port: port, logger: logger) { bound in
            Console.print("\(FakeAmoProcess.banner)\(host):\(bound)\nlong-lived token: \(token)")
        }
        try await app.runService()
    }
}
