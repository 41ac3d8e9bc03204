import ArgumentParser
import Foundation
import AmoSyncCore
import AmoSyncServer
import AmoCRMFake

/// `amosync auth …`: connect amosync to the account and see how its credentials stand.
struct Auth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Authorize amosync in amoCRM and inspect its tokens.",
        subcommands: [Exchange.self, Status.self, URLCommand.self])

    struct Exchange: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exchange a one-time authorization code for tokens and store them.",
            discussion: """
                Take the code from the integration's "Keys and access" tab (it lives 20 minutes and works once).
                Works while the daemon runs: the daemon picks up the new tokens by itself.
                """)
        @OptionGroup var options: ConfigOptions
        @Option(help: "The authorization code.") var code: String
        @Option(help: "The account host amoCRM named (example.amocrm.ru), when it differs from the configuration.") var referer: String?

        func run() async throws {
            let (config, store) = try await options.openStore()
            guard config.amocrm.longLivedToken == nil else {
                Console.error("amocrm.long_lived_token is set: OAuth codes are not used with a long-lived token")
                throw ExitCode.failure
            }
            let manager = Auth.manager(config, store: store)
            do {
                let tokens = try await manager.exchange(code: code, referer: referer)
                try? await store.setMeta("auth_problem", nil)
                Console.print(
                    "tokens stored in \(config.amocrm.tokensFile); the access token expires \(JobReport.iso.string(from: tokens.expiresAt))"
                )
            } catch let error as AmoError {
                Console.error(error.detail)
                throw ExitCode.failure
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Which auth mode is in use, token expiry, whether a refresh is possible.")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "One JSON document.") var json = false

        func run() async throws {
            let (config, store) = try await options.openStore()
            let report = try await StatsReport.collect(config: config, store: store)
            let vault = AmoAccount.vault(config: config, store: store)
            let stored = try? await vault.load()
            let canRefresh = report.authMode == "oauth" && stored != nil && report.authState != "dead"
            let pending = await (try? store.meta("pending_auth_code")) != nil
            if json {
                var object = report.json["auth"]?.objectValue ?? [:]
                object["can_refresh"] = .bool(canRefresh)
                object["tokens_file"] = .string(vault.place)
                object["pending_code"] = .bool(pending)
                Console.printJSON(.object(object))
                return
            }
            var lines = [
                "mode: \(report.authMode == "oauth" ? "OAuth (client \(config.amocrm.clientID ?? "?"))" : "long-lived token")",
                "state: \(report.authState)",
            ]
            if let expires = report.expiresAt {
                lines.append("access token expires: \(JobReport.iso.string(from: expires))" + (expires < Date() ? " (expired)" : ""))
            }
            if report.authMode == "oauth" {
                lines.append("tokens: \(vault.place)" + (stored == nil ? " (none yet)" : ""))
                lines.append("refresh possible: \(canRefresh ? "yes" : "no")")
                if let base = stored?.baseURL { lines.append("account address: \(base) (differs from the configuration)") }
            }
            if pending { lines.append("an authorization code from the callback is waiting to be exchanged") }
            if let problem = report.authProblem { lines.append("problem: \(JobReport.safe(problem))") }
            if report.authState == "missing" {
                lines.append("next: amosync auth url, open the link, allow access (or: amosync auth exchange --code CODE)")
            }
            Console.print(lines.joined(separator: "\n"))
            if report.authState == "dead" || report.authState == "missing" { throw ExitCode.failure }
        }
    }

    struct URLCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url",
            abstract: "Print the link an account admin opens to allow access (the callback then stores the tokens).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let (config, store) = try await options.openStore()
            let state = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined(separator: "-")
            try await store.issueOAuthState(state, expiresAt: Date().addingTimeInterval(OAuthRoutes.stateLifetime))
            let host = config.amocrm.domain == "kommo.com" ? "www.kommo.com" : "www.\(config.amocrm.domain)"
            var components = URLComponents(string: "https://\(host)/oauth")!
            components.queryItems = [
                URLQueryItem(name: "client_id", value: config.amocrm.clientID ?? ""),
                URLQueryItem(name: "state", value: state), URLQueryItem(name: "mode", value: "post_message"),
            ]
            Console.print(components.url!.absoluteString)
            Console.print(
                "amoCRM redirects to \(config.amocrm.redirectURI ?? "amocrm.redirect_uri"); point it at this daemon's /oauth/callback.")
            Console.print("The link works once, for \(Int(OAuthRoutes.stateLifetime / 60)) minutes.")
        }
    }

    static func manager(_ config: Config, store: any BudgetStore) -> TokenManager {
        AmoAccount.oauth(
            config: config, store: store, limiter: config.amocrm.limiter(shared: SharedBudget(store: store)),
            logger: .init(label: "amosync", factory: { _ in LineLogHandler(label: "amosync", level: .warning) }))
    }
}
