import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import AmoSyncCore
import AmoSyncServer
import AmoCRMFake
import ShopFakes

struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole daemon against a built-in fake amoCRM, and print curl examples.",
        discussion: "Nothing to configure: a demo config and database are written to a temporary directory (printed).")

    @Option(help: "Port of the daemon's HTTP intake (default: 8080, or the next free port above it).") var port: Int?
    @Option(help: "Port of the fake amoCRM (0 picks a free one).") var fakePort = 0
    @Option(help: "Port of the fake WooCommerce shop (0 picks a free one).") var shopPort = 0
    @Option(help: "Where to keep the demo config and database (default: a new temporary directory).") var directory: String?
    @OptionGroup var logging: LogOptions

    func run() async throws {
        let logger = try logging.bootstrap()
        let port = try Self.port(port, preferred: 8080, setting: "--port")
        let fakePort = try Self.port(self.fakePort == 0 ? nil : self.fakePort, preferred: 0, setting: "--fake-port")
        let dir =
            directory
            ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("amosync-sandbox-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let token = JWT.make([
            "exp": .number(JSONNumber(Date().addingTimeInterval(5 * 365 * 86_400).timeIntervalSince1970.rounded())),
            "api_domain": "127.0.0.1",
        ])
        var fakeOptions = FakeAmoState.Options()
        fakeOptions.longLivedTokens = [token]
        let amo = FakeAmoState(options: fakeOptions)
        let fake = FakeAmoServer.application(state: amo, port: fakePort, logger: logger)
        // The loop back to the shop: a fake WooCommerce shop whose orders come in by its webhook,
        // and amoCRM's webhook for stage changes, both pointing at the daemon.
        let shopPort = try Self.port(self.shopPort == 0 ? nil : self.shopPort, preferred: 0, setting: "--shop-port")
        let woo = FakeWooShop(consumerKey: SandboxSetup.consumerKey, consumerSecret: SandboxSetup.consumerSecret)
        await woo.subscribe(URL(string: "http://127.0.0.1:\(port)/v1/hooks/woo")!, secret: SandboxSetup.wooSecret)
        let shop = FakeShopServer.application(woo: woo, port: shopPort, logger: logger)
        await amo.subscribe("http://127.0.0.1:\(port)/v1/amocrm/events/\(SandboxSetup.hookKey)")
        let configPath = (dir as NSString).appendingPathComponent("config.json")
        let json = SandboxSetup.configJSON(port: port, fakePort: fakePort, shopPort: shopPort, directory: dir, token: token)
        try Data(json.utf8).write(to: URL(fileURLWithPath: configPath))
        let config = try Config.parse(Data(json.utf8))
        var options = Daemon.Options()
        // The fake starts first and stops last, in the daemon's own service group.
        options.companions = [
            Listener(server: fake, port: fakePort, setting: "--fake-port"), Listener(server: shop, port: shopPort, setting: "--shop-port"),
        ]
        options.reloadConfig = { try ConfigFile.load(path: configPath) }
        let daemon = try await Daemon.build(config: config, logger: logger, options: options) { bound in
            Console.print(SandboxSetup.instructions(port: bound, fakePort: fakePort, shopPort: shopPort, configPath: configPath))
        }
        do { try await daemon.run() } catch {
            Console.error("sandbox stopped: \(error)")
            throw ExitCode.failure
        }
    }

    /// The port asked for, or the first free one from `preferred` (0: any free port), said aloud
    /// when it is not the preferred one.
    static func port(_ asked: Int?, preferred: Int, setting: String) throws -> Int {
        if let asked { return asked }  // a taken port is reported when the listener starts
        guard let free = preferred == 0 ? FreePort.ephemeral() : FreePort.from(preferred) else {
            throw ValidationError("no free port from \(preferred) to \(preferred + 99): choose one with \(setting)")
        }
        if preferred != 0, free != preferred {
            Console.print("port \(preferred) is already in use: using \(free) (choose one with \(setting))")
        }
        return free
    }
}

struct FakeAmoCRMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-amocrm",
        abstract: "Run only the fake amoCRM (for development, benchmarks and tests).",
        discussion: "Control it over HTTP: GET /__fake/state, POST /__fake/faults, POST /__fake/contacts.")

    @Option(help: "Port to listen on (default: 8099, or the next free port above it).") var port: Int?
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Requests per second before 429.") var rps = 7
    @Option(help: "Long-lived token to accept (default: a new one, printed).") var token: String?
    @Option(help: "Latency added to every API response, in milliseconds.") var latencyMs = 0
    @Option(help: "Fraction of API requests answered 503 (0…1).") var failRate = 0.0
    @OptionGroup var logging: LogOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "fake-amocrm")
        let token =
            self.token ?? JWT.make(["exp": .number(JSONNumber(Date().addingTimeInterval(365 * 86_400).timeIntervalSince1970.rounded()))])
        var options = FakeAmoState.Options()
        options.requestsPerSecond = rps
        options.longLivedTokens = [token]
        options.faults.latencyMs = latencyMs
        options.faults.failRate = failRate
        let state = FakeAmoState(options: options)
        let host = self.host
        let port = try Sandbox.port(port, preferred: 8099, setting: "--port")
        let app = FakeAmoServer.application(state: state, host: host, port: port, logger: logger) { bound in
            Console.print("\(FakeAmoProcess.banner)\(host):\(bound)\nlong-lived token: \(token)")
        }
        let group = ServiceGroup(
            services: [Listener(server: app, port: port, setting: "--port")],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do { try await group.run() } catch {
            Console.error("fake-amocrm stopped: \(error)")
            throw ExitCode.failure
        }
    }
}
