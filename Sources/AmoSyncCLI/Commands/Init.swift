import ArgumentParser
import Foundation
import Logging
import AmoSyncCore
import AmoSyncServer

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a working starter config for an amoCRM account, with a fresh intake token.",
        discussion: """
            Writes the config (0640) and, beside it, amosync.env (0600) with a new 32-byte intake token and the \
            long-lived token; the config refers to both as env:NAME, so no secret is in the config itself. With a \
            long-lived token, the account's main pipeline and its first stage are filled in (unless --offline). Refuses \
            to overwrite a config someone wrote; the untouched example the Debian package installs is replaced.
            Example: amosync init --subdomain shop --long-lived-token-file /root/amocrm-token.txt
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "The account: shop for shop.amocrm.ru.") var subdomain: String
    @Option(help: "amocrm.ru, amocrm.com or kommo.com.") var domain = "amocrm.ru"
    @Option(help: "A file holding a long-lived token (amoCRM → Settings → Integrations → your private integration → Keys).")
    var longLivedTokenFile: String?
    @Option(help: "OAuth integration id (instead of a long-lived token).") var clientId: String?
    @Option(help: "Name of the environment variable holding the OAuth client secret.") var clientSecretEnv: String?
    @Option(help: "OAuth redirect URI, as registered in the integration.") var redirectUri: String?
    @Option(help: "Where the daemon keeps its queue and tokens.") var stateDirectory = "/var/lib/amosync"
    @Option(help: "Intake port.") var port = 8080
    @Option(
        help: """
            The HTTPS address amoCRM reaches this amosync at (https://amosync.shop.example): sets amocrm.webhook with a new \
            key in amosync.env, so that managers' stage changes can be written back to the shop.
            """)
    var publicUrl: String?
    @Flag(help: "Do not call amoCRM: leads go to the main pipeline's first stage until orders.pipeline_id is set.")
    var offline = false
    @Option(help: ArgumentHelp("API base URL instead of https://SUBDOMAIN.DOMAIN (tests).", visibility: .hidden)) var baseUrl: String?
    @Option(help: ArgumentHelp("The example the package installs as the config (replaced when untouched).", visibility: .hidden))
    var packagedExample = "/usr/share/amosync/config.example.json"

    func validate() throws {
        if let publicUrl, URL(string: publicUrl)?.scheme?.hasPrefix("http") != true || URL(string: publicUrl)?.host == nil {
            throw ValidationError("--public-url: expected the address amoCRM reaches amosync at, like https://amosync.shop.example")
        }
        let oauth = [clientId, clientSecretEnv, redirectUri]
        switch (longLivedTokenFile, oauth.allSatisfy { $0 != nil }, oauth.contains { $0 != nil }) {
        case (.some, _, false), (nil, true, _): break
        case (.some, _, true): throw ValidationError("use either --long-lived-token-file or the OAuth options, not both")
        case (nil, false, true): throw ValidationError("OAuth needs all three: --client-id, --client-secret-env, --redirect-uri")
        case (nil, false, false):
            throw ValidationError("name the credentials: --long-lived-token-file FILE, or --client-id, --client-secret-env, --redirect-uri")
        }
    }

    func run() async throws {
        let path = options.path
        let envPath = EnvFile.path(besideConfig: path)
        let writer = StarterFiles(configPath: path, envPath: envPath, packagedExample: packagedExample)
        do { try writer.checkConfigIsFree() } catch { try fail(error) }

        var starter = StarterConfig(subdomain: subdomain, domain: domain, baseURL: baseUrl, auth: .longLivedToken)
        starter.stateDirectory = stateDirectory
        starter.port = port
        starter.publicURL = publicUrl
        var secrets: [(String, String)] = [(StarterConfig.Variable.intakeToken, StarterFiles.newToken())]
        if publicUrl != nil { secrets.append((StarterConfig.Variable.hookKey, StarterFiles.newToken())) }
        if let file = longLivedTokenFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                try fail(StarterFiles.Failure("cannot read the token file \(file) (--long-lived-token-file)"))
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.split(separator: ".").count == 3 else {
                try fail(StarterFiles.Failure("\(file) does not hold a long-lived token (expected a JWT: three parts joined by dots)"))
            }
            secrets.append((StarterConfig.Variable.longLivedToken, token))
        } else if let clientId, let clientSecretEnv, let redirectUri {
            starter.auth = .oauth(clientID: clientId, secretEnv: clientSecretEnv, redirectURI: redirectUri)
            if let secret = ProcessInfo.processInfo.environment[clientSecretEnv] { secrets.append((clientSecretEnv, secret)) }
        }

        var stageLine = "orders and forms go to the main pipeline's first stage (set orders.pipeline_id and status_id to choose)"
        if !offline, case .longLivedToken = starter.auth {
            do {
                let found = try await firstStage(starter, secrets: secrets)
                starter.stage = (found.pipelineID, found.statusID)
                stageLine =
                    "orders and forms go to pipeline \(found.pipelineID) (\(found.pipeline)), stage \(found.statusID) (\(found.status))"
            } catch {
                try fail(
                    StarterFiles.Failure("cannot reach \(subdomain).\(domain): \(error) (run with --offline to write the config anyway)"))
            }
        }
        let env: [String]
        do {
            env = try writer.writeEnv(secrets)
            try writer.writeConfig(starter.json.prettyString + "\n")
        } catch { try fail(error) }
        Console.print(
            Self.nextSteps(
                configPath: path, envPath: envPath, written: env, stage: stageLine, port: port,
                missingSecret: secrets.contains { $0.0 == clientSecretEnv } ? nil : clientSecretEnv, publicURL: publicUrl))
    }

    private func fail(_ error: any Error) throws -> Never {
        Console.error("\(error)")
        throw ExitCode.failure
    }

    /// The main pipeline's first open stage, asked of the account with the new config.
    private func firstStage(_ starter: StarterConfig, secrets: [(String, String)]) async throws -> MainStage {
        let config = try Config.parse(starter.json.canonicalData, environment: Dictionary(secrets) { $1 })
        let account = AmoAccount(config: config, store: nil, logger: Logger(label: "amosync", factory: { _ in SwiftLogNoOpLogHandler() }))
        guard let stage = try await MainStage.fetch(client: account.client) else {
            throw StarterFiles.Failure("the account has no pipeline with a stage leads can be created in")
        }
        return stage
    }

    static func nextSteps(
        configPath: String, envPath: String, written: [String], stage: String, port: Int, missingSecret: String?,
        publicURL: String? = nil
    ) -> String {
        var lines = [
            "wrote \(configPath)",
            written.isEmpty
                ? "kept \(envPath): it already defines what the config refers to"
                : "wrote \(envPath) (0600): \(written.joined(separator: ", "))",
            stage,
        ]
        if port != 8080 {
            lines.append("port \(port): under systemd, amosync.socket holds the port; set it there too (systemctl edit amosync.socket)")
        }
        if let missingSecret { lines.append("add the OAuth client secret to \(envPath): \(missingSecret)=…") }
        lines += [
            "",
            "Next:",
            "  amosync check\(configPath == "/etc/amosync/config.json" ? "" : " --config \(configPath)")      # the file, then the account",
            "  systemctl enable --now amosync",
            "Shop side (through your HTTPS reverse proxy to 127.0.0.1:\(port)):",
            "  orders:   POST https://YOUR-HOST/v1/orders          Authorization: Bearer $\(StarterConfig.Variable.intakeToken)",
            "  forms:    POST https://YOUR-HOST/v1/forms/callback  Authorization: Bearer $\(StarterConfig.Variable.intakeToken)",
            "  webhooks: WooCommerce, Shopify, Tilda post to https://YOUR-HOST/v1/hooks/SOURCE once a source is configured (README)",
            "The intake token is in \(envPath) (\(StarterConfig.Variable.intakeToken)).",
            publicURL == nil
                ? "Managers' decisions back to the shop: run init with --public-url (or set amocrm.webhook), map stages in "
                    + "status_back (README, \"Back to the shop\"), then amosync amocrm webhook install"
                : "amoCRM → amosync: once \(publicURL!) reaches this server, register the webhook: "
                    + "amosync amocrm webhook install\(configPath == "/etc/amosync/config.json" ? "" : " --config \(configPath)")",
        ]
        return lines.joined(separator: "\n")
    }
}
