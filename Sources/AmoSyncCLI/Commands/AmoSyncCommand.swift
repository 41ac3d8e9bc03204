import ArgumentParser
import Foundation
import Logging
import AmoSyncCore
import AmoSyncServer
import AmoCRMFake

/// `amosync`: the root command.
package struct AmoSyncCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "amosync",
        abstract: "Delivers shop orders and website forms into amoCRM (Kommo), durably and within the API's rate limit.",
        discussion: """
            Start with `amosync sandbox`: the whole pipeline against a built-in fake amoCRM, with curl examples.
            Every command takes --config PATH (default: $AMOSYNC_CONFIG, else /etc/amosync/config.json).
            """,
        version: VersionText.line,
        subcommands: [
            Init.self, Serve.self, Sandbox.self, FakeAmoCRMCommand.self, Jobs.self, Stats.self, Auth.self, Check.self, AmoCRMCommand.self,
            Reconcile.self, MigrateQueue.self,
        ])

    package init() {}

    package static func main() async { await main(nil) }

    /// The entry point `@main` runs (it shadows argument-parser's own `main`): parses the
    /// arguments and runs the (async) subcommand; a usage error exits 2, not argument-parser's 64.
    package static func main(_ arguments: [String]?) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // argument-parser's usage errors (64, EX_USAGE) are 2, as the README promises.
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// `--config PATH`, shared by every command that reads the config.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (default: $AMOSYNC_CONFIG, else /etc/amosync/config.json).")
    var config: String?

    var path: String { config ?? ProcessInfo.processInfo.environment["AMOSYNC_CONFIG"] ?? "/etc/amosync/config.json" }

    /// Loads the config, or prints every problem with its key path and exits 1.
    func load() throws -> Config {
        do { return try ConfigFile.load(path: path) } catch let error as ConfigError {
            Console.error("\(path): \(error.description)")
            throw ExitCode.failure
        }
    }

    /// Opens the queue database named in the config.
    func openStore() async throws -> (Config, any Store) {
        let config = try load()
        do { return (config, try await StoreOpener.open(config)) } catch {
            Console.error("cannot open the database \(config.databaseName) (\(StoreOpener.key(config))): \(error)")
            throw ExitCode.failure
        }
    }
}

/// `--log-level`, `--log-format` for long-running commands.
struct LogOptions: ParsableArguments {
    @Option(help: "Log level.")
    var logLevel: Logger.Level = .info

    @Option(help: "text (journald-friendly, no timestamps) or json (for log shippers).")
    var logFormat: LineLogHandler.Format = .text

    func bootstrap(label: String = "amosync") throws -> Logger {
        let (level, format) = (logLevel, logFormat)
        LoggingSystem.bootstrap { LineLogHandler(label: $0, level: level, format: format) }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// Where commands print: stdout for results, stderr for problems.
enum Console {
    /// Human output: whatever it quotes from orders, forms or amoCRM cannot reach the terminal
    /// as a control sequence (`TerminalText`).
    static func print(_ text: String) { write(TerminalText.escape(text, keepNewlines: true)) }
    /// `--json` output, exactly as encoded.
    static func printJSON(_ value: JSONValue) { write(value.prettyString) }
    /// Either, as `--json` asks.
    static func print(json: Bool, _ value: @autoclosure () -> JSONValue, or text: @autoclosure () -> String) {
        if json { printJSON(value()) } else { print(text()) }
    }
    static func error(_ text: String) {
        FileHandle.standardError.write(Data(("amosync: " + TerminalText.escape(text, keepNewlines: true) + "\n").utf8))
    }
    private static func write(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: HTTP intake and the delivery worker, until SIGTERM/SIGINT.",
        discussion:
            "SIGHUP (systemctl reload amosync) reads the config again: rules, forms, sources, intake tokens and worker limits "
            + "change at once; an invalid file is refused and the running config stays."
    )

    @OptionGroup var options: ConfigOptions
    @OptionGroup var logging: LogOptions
    @Option(help: "Listen on this port instead of server.port.") var port: Int?
    @Option(help: ArgumentHelp("Most intake jobs committed in one transaction (1 = one commit per request).", visibility: .hidden))
    var intakeBatchLimit = 512

    func run() async throws {
        var config = try options.load()
        // Under amosync.socket, systemd holds the port across restarts and passes it in.
        let inherited = SystemdSocket.inherited()
        let port = inherited.flatMap(SystemdSocket.port(of:)) ?? port
        if let port { config.server.port = port }
        let logger = try logging.bootstrap()
        let daemon: Daemon
        var daemonOptions = Daemon.Options()
        daemonOptions.intakeBatchLimit = max(1, intakeBatchLimit)
        daemonOptions.inheritedSocket = inherited
        // Batches get 7 s after SIGTERM, the whole shutdown 15 s; a service that still does not
        // end 5 s after cancellation stops the process by force (non-zero), inside systemd's
        // TimeoutStopSec=30.
        daemonOptions.shutdownLimit = .seconds(15)
        daemonOptions.cancellationLimit = .seconds(5)
        let path = options.path
        daemonOptions.reloadConfig = {
            var config = try ConfigFile.load(path: path)
            if let port { config.server.port = port }
            return config
        }
        do {
            daemon = try await Daemon.build(config: config, logger: logger, options: daemonOptions) { [config] port in
                logger.info(
                    "amosync listening",
                    metadata: [
                        "host": "\(config.server.host)", "port": "\(port)",
                        "socket": "\(inherited == nil ? "own" : "from systemd (amosync.socket)")",
                        "database": "\(config.databaseName)",
                    ])
            }
        } catch {
            Console.error("cannot start: \(error)")
            throw ExitCode.failure
        }
        do { try await daemon.run() } catch {
            logger.critical("amosync stopped", metadata: ["error": "\(error)"])
            Console.error("amosync stopped: \(error)")
            throw ExitCode.failure
        }
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the config file, then check it against the account and the shops; exit 0 only if all is well.",
        discussion: """
            One line per problem, with its config key path. Usable in a deploy script: amosync check && systemctl restart amosync

            A source with an API: its webhooks that point at /v1/hooks/SOURCE, one line a topic (disabled, paused or missing \
            is a problem). --fix turns a webhook the shop switched off on again and says so.
            """)

    @OptionGroup var options: ConfigOptions
    @Flag(help: "Only validate the file; do not call amoCRM or the shops.") var offline = false
    @Flag(help: "Turn on again the shop webhooks the shop switched off (WooCommerce disables one after 5 failed deliveries).")
    var fix = false

    func run() async throws {
        let config = try options.load()
        Console.print("\(options.path): configuration is valid")
        if offline { return }
        var otherProblems = 0
        if let url = config.databaseURL {
            for line in await DatabaseCheck(url: url).run() {
                Console.print((line.problem ? "" : "note: ") + line.text)
                if line.problem { otherProblems += 1 }
            }
        }
        for line in await ShopOperations(config: config).checkWebhooks(fix: fix) {
            Console.print((line.problem ? "" : "note: ") + line.text)
            if line.problem { otherProblems += 1 }
        }
        // The same budget (and, on PostgreSQL, the same tokens) as a running daemon on this database.
        let store = try? await StoreOpener.open(config)
        let account = AmoAccount(
            config: config, store: store, logger: Logger(label: "amosync", factory: { _ in SwiftLogNoOpLogHandler() }))
        let vault = AmoAccount.vault(config: config, store: store)
        if config.amocrm.longLivedToken == nil, (try? await vault.load()) == nil {
            Console.print(
                "amocrm: no tokens yet (\(vault.place)): account checks skipped; authorize with `amosync auth url` "
                    + "or `amosync auth exchange`"
            )
            throw ExitCode.failure
        }
        let findings: [AccountCheck.Finding]
        do { findings = try await AccountCheck(config: config, client: account.client).run() } catch let error as AmoError {
            Console.print("amocrm: cannot check the account: \(error.kind == .unauthorized ? error.detail : error.description)")
            throw ExitCode.failure
        }
        for finding in findings { Console.print((finding.isProblem ? "" : "note: ") + finding.line) }
        let problems = findings.filter(\.isProblem).count + otherProblems
        Console.print(
            problems == 0
                ? "account \(config.amocrm.subdomain): all pipelines, statuses, users and fields check out"
                : "\(problems) problem(s) found")
        if problems > 0 { throw ExitCode.failure }
    }
}
